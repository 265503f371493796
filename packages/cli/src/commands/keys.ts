import { parseFlags, UsageError } from '../args.js';
import type { Io } from '../io.js';
import { openAdmin, SERVER_OPTIONS_HELP } from '../server-client.js';

export const KEYS_HELP = `Usage: governor keys <action> --server <url> [options]

API keys of a Governor server's tenants (X-Cycles-API-Key). A key belongs to one
tenant; it is shown once, when it is created, and stored hashed.

Actions:
  create --tenant <id> [--name <name>]   prints the new key on stdout (only the key, unless --json)
  list --tenant <id>
  revoke <key id>                        refused from the next request on, on every server instance

Options:
${SERVER_OPTIONS_HELP}
  --json                  print JSON
  -h, --help              show this help
`;

const ACTIONS = ['create', 'list', 'revoke'] as const;

export async function keysCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      server: { type: 'string' },
      'admin-key-file': { type: 'string' },
      tenant: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(KEYS_HELP);
    return 0;
  }
  const [action, id, ...rest] = positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new UsageError(
      `${action === undefined ? 'an action is required' : `unknown action "${action}"`} (one of ${ACTIONS.join(', ')})`,
    );
  }
  if (rest.length || (action !== 'revoke' && id !== undefined)) {
    throw new UsageError(`${action}: unexpected "${[id, ...rest].filter(Boolean).join(' ')}"`);
  }
  if (action !== 'revoke' && values.tenant === undefined)
    throw new UsageError(`${action}: --tenant <id> is required`);
  if (action === 'revoke' && id === undefined) throw new UsageError('revoke: a key id is required');
  const admin = openAdmin(values);
  try {
    if (action === 'create') {
      const key = await admin.createApiKey(values.tenant as string, values.name);
      if (values.json) io.out(JSON.stringify(key, null, 2));
      else {
        io.out(key.apiKey);
        io.err(`key ${key.keyId} for tenant ${key.tenantId}: shown this once, keep it now`);
      }
    } else if (action === 'list') {
      const keys = await admin.listApiKeys(values.tenant as string);
      if (values.json) io.out(JSON.stringify(keys, null, 2));
      else if (keys.length === 0) io.out('No keys.');
      else for (const k of keys) io.out(`${k.keyId}  ${k.status}${k.name ? `  ${k.name}` : ''}`);
    } else {
      const key = await admin.revokeApiKey(id as string);
      if (values.json) io.out(JSON.stringify(key, null, 2));
      else io.out(`key ${key.keyId}: ${key.status}`);
    }
    return 0;
  } finally {
    await admin.dispose();
  }
}
