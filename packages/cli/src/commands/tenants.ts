import { parseFlags, UsageError } from '../args.js';
import type { Io } from '../io.js';
import { openAdmin, SERVER_OPTIONS_HELP } from '../server-client.js';

export const TENANTS_HELP = `Usage: governor tenants <action> --server <url> [options]

Tenants of a Governor server (its admin plane).

Actions:
  create <id> [--name <name>]   create a tenant (an existing one is shown as it is)
  list
  get <id>
  suspend <id>                  its keys are refused (403) until reactivated
  reactivate <id>
  close <id>                    terminal: revokes every key and closes every budget

Options:
${SERVER_OPTIONS_HELP}
  --json                  print JSON
  -h, --help              show this help
`;

const ACTIONS = ['create', 'list', 'get', 'suspend', 'reactivate', 'close'] as const;

export async function tenantsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      server: { type: 'string' },
      'admin-key-file': { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(TENANTS_HELP);
    return 0;
  }
  const [action, id, ...rest] = positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new UsageError(
      `${action === undefined ? 'an action is required' : `unknown action "${action}"`} (one of ${ACTIONS.join(', ')})`,
    );
  }
  if (rest.length) throw new UsageError(`${action}: unexpected "${rest.join(' ')}"`);
  if (action !== 'list' && id === undefined) throw new UsageError(`${action}: a tenant id is required`);
  const admin = openAdmin(values);
  try {
    if (action === 'list') {
      const tenants = await admin.listTenants();
      if (values.json) io.out(JSON.stringify(tenants, null, 2));
      else if (tenants.length === 0) io.out('No tenants.');
      else for (const t of tenants) io.out(`${t.tenantId}  ${t.status}${t.name ? `  ${t.name}` : ''}`);
      return 0;
    }
    const tenant =
      action === 'create'
        ? await admin.createTenant(id as string, values.name)
        : action === 'get'
          ? await admin.getTenant(id as string)
          : await admin.setTenantStatus(id as string, action as 'suspend' | 'reactivate' | 'close');
    if (values.json) io.out(JSON.stringify(tenant, null, 2));
    else io.out(`tenant ${tenant.tenantId}: ${tenant.status}`);
    return 0;
  } finally {
    await admin.dispose();
  }
}
