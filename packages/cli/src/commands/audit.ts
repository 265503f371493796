import { createWriteStream } from 'node:fs';
import type { AuditQuery } from '@governor/core';
import { intFlag, parseFlags, UsageError } from '../args.js';
import { auditTable, csvHeader, csvRow } from '../audit-format.js';
import {
  AUDIT_SOURCE_FLAGS,
  AUDIT_SOURCE_HELP,
  auditRecords,
  timeFlag,
  withAuditTrail,
} from '../audit-source.js';
import type { Io } from '../io.js';

export const AUDIT_HELP = `Usage: governor audit <action> (--server <url> | --redis <url> | --ledger <file>) [options]

The audit trail: one record per decision and ledger change, hash-chained per tenant.

Actions:
  query              the records that match the filters, as a table (newest last)
  export             every matching record as JSON lines (default) or CSV
  verify --tenant <id>
                     check the tenant's hash chain; exit 1 at the first break

Filters:
  --tenant <id>          one tenant (default every tenant)
  --scope-prefix <scope> e.g. tenant:acme/workflow:support
  --run <id>
  --reservation <id>
  --decision <d>         ALLOW, ALLOW_WITH_CAPS or DENY
  --action <name>        the action's name (e.g. send_email)
  --operation <op>       reserve, commit, release, expire, budget.fund, …
  --from <time>          ISO time or epoch ms (inclusive); --to <time> (exclusive)
  --limit <n>            query: most records shown (default 50, the latest)

Source:
${AUDIT_SOURCE_HELP}

Output:
  --format jsonl|csv     export: the format (default jsonl)
  --out <file>           export: write here instead of stdout
  --json                 query and verify: print JSON
  -h, --help             show this help
`;

export async function auditCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...AUDIT_SOURCE_FLAGS,
      tenant: { type: 'string' },
      'scope-prefix': { type: 'string' },
      run: { type: 'string' },
      reservation: { type: 'string' },
      decision: { type: 'string' },
      action: { type: 'string' },
      operation: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.out(AUDIT_HELP);
    return 0;
  }
  const [action, ...rest] = positionals;
  if (action !== 'query' && action !== 'export' && action !== 'verify')
    throw new UsageError(
      `${action === undefined ? 'an action is required' : `unknown action "${action}"`} (query, export or verify)`,
    );
  if (rest.length > 0) throw new UsageError(`${action}: unexpected "${rest.join(' ')}"`);
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv')
    throw new UsageError(`--format: expected jsonl or csv, got "${format}"`);
  const limit = intFlag('limit', values.limit, 50, 1);
  const query: AuditQuery = {};
  const set = <K extends keyof AuditQuery>(k: K, v: AuditQuery[K] | undefined) => {
    if (v !== undefined) query[k] = v;
  };
  set('tenant', values.tenant);
  set('scopePrefix', values['scope-prefix']);
  set('run', values.run);
  set('reservationId', values.reservation);
  set('decision', values.decision as AuditQuery['decision']);
  set('actionName', values.action);
  set('operation', values.operation as AuditQuery['operation']);
  set('fromMs', timeFlag('from', values.from));
  set('toMs', timeFlag('to', values.to));

  if (action === 'verify') {
    const tenant = values.tenant;
    if (tenant === undefined) throw new UsageError('verify: --tenant <id> is required');
    const v = await withAuditTrail(values, (trail) => trail.verifyAudit(tenant));
    if (values.json) io.out(JSON.stringify(v, null, 2));
    else if (v.ok)
      io.out(`${tenant}: ${v.checked} records, chain intact${v.headHash ? `; head ${v.headHash}` : ''}`);
    else
      io.out(
        `${tenant}: chain broken at record ${v.firstBreak?.id} (${v.checked} checked): ${v.firstBreak?.reason}`,
      );
    return v.ok ? 0 : 1;
  }

  return withAuditTrail(values, async (trail) => {
    if (action === 'query') {
      // The latest `limit` records: keep a window while walking the pages.
      const window: Awaited<ReturnType<typeof trail.queryAudit>>['records'] = [];
      for await (const r of auditRecords(trail, query)) {
        window.push(r);
        if (window.length > limit) window.shift();
      }
      if (values.json) io.out(JSON.stringify(window, null, 2));
      else if (window.length === 0) io.out('no audit records match');
      else for (const line of auditTable(window, io.color)) io.out(line);
      return 0;
    }
    const file = values.out === undefined ? undefined : createWriteStream(values.out);
    const write = (line: string) => (file ? file.write(`${line}\n`) : io.out(line));
    let n = 0;
    if (format === 'csv') write(csvHeader());
    for await (const r of auditRecords(trail, query)) {
      write(format === 'csv' ? csvRow(r) : JSON.stringify(r));
      n += 1;
    }
    if (file) {
      await new Promise<void>((resolve, reject) =>
        file.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      io.err(`wrote ${n} records to ${values.out}`);
    }
    return 0;
  });
}
