/** reserve, decide and event: each one script call over the subject's derived scopes. */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Action,
  type Amount,
  approvalIdOf,
  type DecisionRequest,
  type DecisionResponse,
  deriveScopes,
  type EventCreateRequest,
  type EventCreateResponse,
  type Metadata,
  type ReservationCreateRequest,
  type ReservationCreateResponse,
  type Subject,
  scopePathOf,
  validateRequest,
} from '@governor/core';
import {
  callDraft,
  loopGuardOf,
  loopLogKey,
  loopScopeOf,
  normalizeEvent,
  normalizeReservation,
} from '@governor/core/ledger';
import { templateArg } from './config-cache.js';
import { assertUnitKnown, type Mode, noBudgetError, renderEvaluation } from './evaluation.js';
import type { LedgerParts } from './ledger-parts.js';
import { replayed, settlementError } from './outcome-errors.js';
import { msOf } from './periods.js';
import { balancesOf, type Outcome } from './records.js';
import { newReservationId } from './reservation-ids.js';

export const fingerprintOf = (request: unknown): string =>
  createHash('sha256').update(JSON.stringify(request)).digest('hex');

/** The members of a call's audit record that its request gives (the script adds the decision and budgets). */
const callMembers = (
  operation: 'reserve' | 'decide' | 'event',
  req: Parameters<typeof callDraft>[1],
  extra: Record<string, unknown>,
): Record<string, unknown> => ({ ...callDraft(operation, req), ...extra });

interface NewReservation {
  rid: string;
  ttl: number;
  grace: number;
  policy: string;
  detail: string;
}

export class RedisRuntime {
  constructor(readonly parts: LedgerParts) {}

  async reserve(input: ReservationCreateRequest): Promise<ReservationCreateResponse> {
    const { calls, keys, settings, tenants, budgetKeys } = this.parts;
    const req: ReservationCreateRequest = validateRequest(settings.schemas.reservationCreateRequest, input);
    const normalized = normalizeReservation(req);
    const mode = normalized.dryRun ? 'dry' : 'reserve';
    const rid = newReservationId(req.subject.tenant);
    const scopePath = scopePathOf(req.subject);
    const detail: Record<string, unknown> = {
      reservationId: rid,
      idempotencyKey: req.idempotencyKey,
      subject: req.subject,
      action: req.action,
      reserved: req.estimate,
      scopePath,
    };
    if (req.metadata) detail.metadata = req.metadata;
    const out = await this.#evaluate(
      'reserve',
      mode,
      req,
      fingerprintOf(normalized),
      {
        rid,
        ttl: normalized.ttlMs,
        grace: normalized.gracePeriodMs,
        policy: normalized.overagePolicy,
        detail: JSON.stringify(detail),
      },
      callMembers(
        'reserve',
        req,
        req.dryRun ? { estimate: req.estimate, dryRun: true } : { estimate: req.estimate },
      ),
    );
    const response = renderEvaluation(out.outcome, mode, req.estimate, scopePath, settings.includeBalances);
    const id = response.reservationId;
    if (!id || response.expiresAtMs === undefined) return response;
    // Written once the reservation exists (a rejected reserve leaves no key); a replay writes it again.
    await tenants.keepFor(id, req.subject.tenant, normalized.ttlMs + normalized.gracePeriodMs);
    if (!out.replay) {
      budgetKeys.remember(id, out.outcome, req.estimate.unit);
      return { ...response, remainingTtlMs: normalized.ttlMs };
    }
    const status = await calls.redis(() =>
      calls.client.hget(keys.reservation(req.subject.tenant, id), 'status'),
    );
    return {
      ...response,
      remainingTtlMs: status === 'ACTIVE' ? Math.max(0, response.expiresAtMs - out.now) : 0,
    };
  }

  async decide(input: DecisionRequest): Promise<DecisionResponse> {
    const req: DecisionRequest = validateRequest(this.parts.settings.schemas.decisionRequest, input);
    const out = await this.#evaluate(
      'decide',
      'decide',
      req,
      fingerprintOf(req),
      undefined,
      callMembers('decide', req, { estimate: req.estimate }),
    );
    const scopePath = scopePathOf(req.subject);
    const full = renderEvaluation(out.outcome, 'decide', req.estimate, scopePath, false);
    const { decision, caps, reasonCode, affectedScopes, blockedScope, retryAfterMs } = full;
    const response: DecisionResponse = { decision, affectedScopes };
    if (caps) response.caps = caps;
    if (reasonCode) Object.assign(response, { reasonCode, blockedScope });
    if (retryAfterMs !== undefined) response.retryAfterMs = retryAfterMs;
    return response;
  }

  async event(input: EventCreateRequest): Promise<EventCreateResponse> {
    const { calls, keys, settings, config, sweep, tenants } = this.parts;
    const req: EventCreateRequest = validateRequest(settings.schemas.eventCreateRequest, input);
    const normalized = normalizeEvent(req);
    const fingerprint = fingerprintOf(normalized);
    const tenant = req.subject.tenant;
    const scopes = deriveScopes(req.subject);
    const unit = req.actual.unit;
    const cfg = await config.read();
    const clock = await calls.now();
    const templates = scopes.map((scope) => templateArg(cfg, scope, unit, msOf(clock)));
    await tenants.registerIfTemplated(tenant, templates);
    const outcome = await sweep.around(tenant, async () =>
      calls.script(
        'event',
        [
          keys.idempotency(tenant, 'event', req.idempotencyKey),
          keys.expiry(tenant),
          keys.budgetIndex(tenant),
          ...scopes.map((s) => keys.budget(tenant, s, unit)),
        ],
        [
          clock,
          fingerprint,
          settings.idemRetention,
          `evt_${randomUUID()}`,
          unit,
          req.actual.amount,
          normalized.overagePolicy,
          ...scopes.flatMap((scope, i) => [scope, templates[i] ?? '']),
        ],
        { tenant, members: callMembers('event', req, { actual: req.actual }) },
      ),
    );
    const stored = replayed(outcome, tenant, 'event', req.idempotencyKey);
    if (stored.k === 'nobudget') throw await noBudgetError(calls, cfg, tenant, scopes, unit);
    if (stored.k === 'error') throw settlementError(stored.e as [string, string, string]);
    const charged = Number(stored.charged);
    const response: EventCreateResponse = { status: 'APPLIED', eventId: stored.id as string };
    if (charged < Number(stored.amount)) response.charged = { unit, amount: charged };
    if (settings.includeBalances) response.balances = balancesOf(stored.b);
    return response;
  }

  /** reserve, dry run or decide: one reserve.lua call (plus the rare no-budget path). */
  async #evaluate(
    op: 'reserve' | 'decide',
    mode: Mode,
    req: { idempotencyKey: string; subject: Subject; estimate: Amount; action: Action; metadata?: Metadata },
    fingerprint: string,
    rsv: NewReservation | undefined,
    members: Record<string, unknown>,
  ): Promise<{ outcome: Outcome; replay: boolean; now: number }> {
    const { calls, keys, settings, config, sweep, tenants } = this.parts;
    const tenant = req.subject.tenant;
    const unit = req.estimate.unit;
    const scopes = deriveScopes(req.subject);
    const cfg = await config.read();
    const clock = await calls.now();
    const templates = scopes.map((scope) => templateArg(cfg, scope, unit, msOf(clock)));
    if (mode === 'reserve') await tenants.registerIfTemplated(tenant, templates);
    const idemKey = keys.idempotency(tenant, op, req.idempotencyKey);
    const rid = rsv?.rid ?? '';
    const loop = loopGuardOf(req.metadata);
    const loopScope = loop ? loopScopeOf(req.subject) : '';
    const loopKey = keys.loopWindow(tenant, loop ? loopLogKey(loopScope, req.action, loop) : '');
    const approvalId = mode === 'reserve' ? approvalIdOf(req.metadata) : undefined;
    const out = await sweep.around(tenant, async () =>
      calls.script(
        'reserve',
        [
          idemKey,
          keys.expiry(tenant),
          keys.reservationIndex(tenant),
          rid ? keys.reservation(tenant, rid) : `${keys.tag(tenant)}:r:`,
          keys.budgetIndex(tenant),
          ...scopes.map((s) => keys.budget(tenant, s, unit)),
          ...scopes.map((s) => keys.rateWindow(tenant, s, unit)),
          loopKey,
          keys.approval(tenant, approvalId ?? ''),
        ],
        [
          clock,
          mode,
          fingerprint,
          settings.idemRetention,
          rid,
          req.estimate.amount,
          rsv?.ttl ?? 0,
          rsv?.grace ?? 0,
          rsv?.policy ?? '',
          rsv?.detail ?? '',
          cfg.degradationJson,
          unit,
          settings.includeBalances ? '1' : '0',
          settings.maxLive,
          ...scopes.flatMap((scope, i) => [scope, templates[i] ?? '']),
          req.action.kind,
          req.action.name,
          loop?.threshold ?? '',
          loop?.windowMs ?? '',
          loopScope,
          approvalId ?? '',
        ],
        { tenant, members },
      ),
    );
    if (out.k === 'replay' || out.k === 'mismatch') {
      return { outcome: replayed(out, tenant, op, req.idempotencyKey), replay: true, now: Number(out.now) };
    }
    if (out.k !== 'nobudget') return { outcome: out, replay: false, now: Number(out.now) };
    if (mode === 'reserve') throw await noBudgetError(calls, cfg, tenant, scopes, unit);
    await assertUnitKnown(calls, cfg, tenant, scopes, unit);
    const denial = JSON.stringify({ k: 'ok', d: 'NONE' });
    const scopePath = scopes[scopes.length - 1];
    const notFound = { decision: 'DENY', reasonCode: 'BUDGET_NOT_FOUND', blockedScope: scopePath };
    const put = await calls.script('idem_put', [idemKey], [fingerprint, denial, settings.idemRetention], {
      tenant,
      members: { ...members, ...notFound },
    });
    return { outcome: replayed(put, tenant, op, req.idempotencyKey), replay: false, now: 0 };
  }
}
