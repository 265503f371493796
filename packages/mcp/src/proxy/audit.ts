import { createWriteStream } from 'node:fs';
import {
  deriveScopes,
  type GovernorEvent,
  type GovernorEventListener,
  type LedgerAdmin,
  type Subject,
  type Unit,
} from '@governor/core';

/** One audit line: what was decided or settled, for whom, and what is left. */
export interface AuditLine {
  time: string;
  event:
    | 'decision'
    | 'commit'
    | 'release'
    | 'observed'
    | 'fail_closed'
    | 'fail_open'
    | 'commit_fallback_event';
  tenant: string;
  run?: string | undefined;
  tool: string;
  points?: number | undefined;
  decision?: string | undefined;
  reason?: string | undefined;
  scope?: string | undefined;
  remaining?: number | undefined;
}

type Audited = Extract<GovernorEvent, { type: AuditLine['event'] }>;
const AUDITED = new Set([
  'decision',
  'commit',
  'release',
  'observed',
  'fail_closed',
  'fail_open',
  'commit_fallback_event',
]);

function pointsOf(e: Audited): { points?: number; unit?: Unit } {
  if (e.type === 'decision' || e.type === 'observed')
    return { points: e.estimate.amount, unit: e.estimate.unit };
  if (e.type === 'commit') return { points: e.charged.amount, unit: e.charged.unit };
  if (e.type === 'commit_fallback_event') return { points: e.actual.amount, unit: e.actual.unit };
  if (e.type === 'release') return { points: e.released.amount, unit: e.released.unit };
  return {};
}

/** The affected scope (the blocking one, else the subject's tightest budget) and what it has left. */
async function tightest(
  ledger: Pick<LedgerAdmin, 'getBudget'>,
  subject: Subject,
  unit: Unit,
  blocked?: string,
) {
  const scopes = blocked ? [blocked] : deriveScopes(subject);
  const budgets = await Promise.all(
    scopes.map((scope) => ledger.getBudget({ scope, unit }).catch(() => undefined)),
  );
  const found = budgets.filter((b) => b !== undefined).sort((a, b) => a.remaining - b.remaining)[0];
  return found ? { scope: found.scope, remaining: found.remaining } : { scope: blocked };
}

/**
 * The governor's `on` listener that writes every decision and settlement as
 * one JSON line (to `path`, appended, or stderr), in order, with the affected
 * scope's remaining balance read from the ledger.
 */
export function auditLog(ledger: Pick<LedgerAdmin, 'getBudget'>, path?: string) {
  const out = path ? createWriteStream(path, { flags: 'a' }) : process.stderr;
  let queue = Promise.resolve();
  const on: GovernorEventListener = (event) => {
    if (!AUDITED.has(event.type)) return;
    const e = event as Audited;
    const time = new Date().toISOString();
    queue = queue.then(async () => {
      const { points, unit } = pointsOf(e);
      const decided = e.type === 'decision' || e.type === 'observed';
      const where = unit ? await tightest(ledger, e.subject, unit, decided ? e.scope : undefined) : {};
      const line: AuditLine = {
        time,
        event: e.type,
        tenant: e.subject.tenant,
        run: e.subject.run,
        tool: e.action.name,
        points,
        ...(decided ? { decision: e.decision, reason: e.reasonCode } : {}),
        ...(e.type === 'release' ? { reason: e.reason } : {}),
        ...(e.type === 'commit_fallback_event' ? { reason: e.reason } : {}),
        ...where,
      };
      out.write(`${JSON.stringify(line)}\n`);
    });
  };
  return {
    on,
    /** Every line queued so far is written. */
    flush: async () => {
      await queue;
      if (out !== process.stderr)
        await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    },
  };
}
