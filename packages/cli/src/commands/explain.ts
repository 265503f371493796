import { explainReservation } from '@governor/core';
import { parseFlags, UsageError } from '../args.js';
import { explanationLines } from '../audit-format.js';
import { AUDIT_SOURCE_FLAGS, AUDIT_SOURCE_HELP, withAuditTrail } from '../audit-source.js';
import type { Io } from '../io.js';

export const EXPLAIN_HELP = `Usage: governor explain <reservation-id> (--server <url> | --redis <url> | --ledger <file>)

Why a reservation was allowed, capped or denied, from the audit trail: the
scopes checked with their balances at that moment, the rule or degradation
tier that applied, and what followed (commit, release, expiry).

Source:
${AUDIT_SOURCE_HELP}
  --tenant <id>          search this tenant's trail only (faster on a large ledger)
  --json                 print JSON
  -h, --help             show this help
`;

export async function explainCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...AUDIT_SOURCE_FLAGS,
      tenant: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(EXPLAIN_HELP);
    return 0;
  }
  const [id, ...rest] = positionals;
  if (id === undefined) throw new UsageError('a reservation id is required');
  if (rest.length > 0) throw new UsageError(`unexpected "${rest.join(' ')}"`);
  const explanation = await withAuditTrail(values, (trail) =>
    explainReservation(trail, id, { tenant: values.tenant }),
  );
  if (values.json) io.out(JSON.stringify(explanation, null, 2));
  else for (const line of explanationLines(explanation, io.color)) io.out(line);
  return 0;
}
