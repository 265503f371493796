import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';

/** Bearer tokens and the tenant each one spends for. */
export type Tokens = ReadonlyMap<string, string>;

/** `--auth-token` (for `tenant`) and/or `--auth-tokens FILE` (JSON `{ "<token>": "<tenant>" }`); undefined: no auth. */
export async function loadTokens(
  token: string | undefined,
  file: string | undefined,
  tenant: string,
): Promise<Tokens | undefined> {
  if (!token && !file) return undefined;
  const tokens = new Map<string, string>();
  if (token) tokens.set(token, tenant);
  if (file) {
    const data: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!data || typeof data !== 'object' || Array.isArray(data))
      throw new Error(`${file}: expected {"<token>": "<tenant>"}`);
    for (const [t, owner] of Object.entries(data)) {
      if (typeof owner !== 'string' || !t)
        throw new Error(`${file}: the tenant of each token must be a string`);
      tokens.set(t, owner);
    }
  }
  return tokens;
}

/** The request's bearer token, if it is one of `tokens`. */
export function bearer(req: IncomingMessage, tokens: Tokens): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1] && tokens.has(match[1]) ? match[1] : undefined;
}
