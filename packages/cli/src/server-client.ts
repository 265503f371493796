/**
 * Talking to a running `governor serve`: `--server <url>` (or GOVERNOR_SERVER)
 * and the admin key from `--admin-key-file <file>` or GOVERNOR_ADMIN_KEY.
 */
import { readFileSync } from 'node:fs';
import { HttpLedgerAdmin } from '@governor/http';
import { UsageError } from './args.js';

export interface ServerFlags {
  server?: string | undefined;
  'admin-key-file'?: string | undefined;
}

export function serverUrl(flags: ServerFlags): string | undefined {
  const url = flags.server ?? process.env.GOVERNOR_SERVER;
  if (url !== undefined && !/^https?:\/\//.test(url)) {
    throw new UsageError(`--server: expected an http:// or https:// URL, got "${url}"`);
  }
  return url;
}

/** The admin key: --admin-key-file, else GOVERNOR_ADMIN_KEY. */
export function adminKeyOf(flags: ServerFlags): string {
  const file = flags['admin-key-file'] ?? process.env.GOVERNOR_ADMIN_KEY_FILE;
  if (file !== undefined) {
    try {
      const key = readFileSync(file, 'utf8').trim();
      if (key) return key;
    } catch {
      throw new UsageError(`--admin-key-file: cannot read ${file}`);
    }
    throw new UsageError(`--admin-key-file: ${file} is empty`);
  }
  const key = process.env.GOVERNOR_ADMIN_KEY;
  if (!key)
    throw new UsageError('the admin key is required: set GOVERNOR_ADMIN_KEY or give --admin-key-file <file>');
  return key;
}

export function openAdmin(flags: ServerFlags): HttpLedgerAdmin {
  const url = serverUrl(flags);
  if (url === undefined) throw new UsageError('--server <url> is required (or GOVERNOR_SERVER)');
  return new HttpLedgerAdmin({ baseUrl: url, adminKey: adminKeyOf(flags), timeoutMs: 10_000 });
}

export const SERVER_OPTIONS_HELP = `  --server <url>          a Governor server (governor serve), or GOVERNOR_SERVER
  --admin-key-file <file> the admin key, else GOVERNOR_ADMIN_KEY`;
