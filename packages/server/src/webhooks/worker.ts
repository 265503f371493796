/**
 * The webhook delivery worker: follows each subscription's tenant trail with
 * its own cursor, off the request path (a reserve never waits for it), and
 * POSTs the events the records produce, signed, at least once, in order.
 *
 * - One pass per subscription at a time; a pass takes (or renews) the
 *   subscription's lease in the identity store first (SET NX PX on Redis), so
 *   among several instances on one Redis one delivers a subscription at a time.
 *   The lease is kept while its holder lives (renewed before every attempt)
 *   and taken over by another instance once it lapses.
 * - A failed attempt does not sleep: it writes the event's retry state
 *   (`retry.notBeforeMs`, exponential back-off) and ends the pass; the poll
 *   that comes after that time tries again. After `maxConsecutiveFailures`
 *   failed attempts in a row the subscription is disabled until an operator
 *   re-enables it (then it goes on with the same event).
 * - The cursor is written after each page of records is delivered: a restart
 *   goes on from there (and may send that page's events again — at least once;
 *   receivers de-duplicate by event id).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { type AuditTrail, type Scheduler, systemClock } from '@governor/core';
import { Agent, request } from 'undici';
import type { IdentityStore, WebhookRecord } from '../store.js';
import { eventsOfRecord, type WebhookEvent } from './events.js';
import { checkTarget, guardedLookup, type TargetPolicy } from './targets.js';

export interface WebhookOptions extends TargetPolicy {
  /** Run the delivery worker in this instance; default: when the ledger keeps an audit trail. */
  deliver?: boolean;
  /** How often the worker looks for new records, in ms; default 200. */
  pollMs?: number;
  /** Deadline of one delivery attempt (connect to end of response), real time; default 5,000 ms. */
  attemptTimeoutMs?: number;
  /** Wait before the second attempt of an event; doubled for each further one; default 1,000 ms. */
  retryBaseMs?: number;
  /** Longest wait between attempts; default 300,000 ms (5 min). */
  retryMaxMs?: number;
  /** Failed attempts in a row that disable a subscription; default 10. */
  maxConsecutiveFailures?: number;
  /** Lifetime of a subscription's delivery lease, renewed before every attempt; default 15,000 ms. */
  leaseMs?: number;
  /** Entries kept in each subscription's delivery log; default 100. */
  deliveryLogSize?: number;
  /** Records read per page; default 100. */
  batchSize?: number;
  /** Timers and time of polling and back-off (tests pass a ManualClock); default the system's. */
  scheduler?: Scheduler;
}

export interface WorkerLog {
  warn(object: Record<string, unknown>, message: string): void;
}

/** The retry wait after the `attempt`-th failed attempt of an event. */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));

/** `sha256=<hex>`: HMAC-SHA256 of the exact body text with the subscription's secret. */
export const signatureOf = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

type Outcome = 'delivered' | 'failed' | 'stop';

export class WebhookWorker {
  readonly #trail: AuditTrail;
  readonly #store: IdentityStore;
  readonly #log: WorkerLog;
  readonly #clock: Scheduler;
  readonly #policy: TargetPolicy;
  readonly #o: Required<Omit<WebhookOptions, 'deliver' | 'scheduler' | keyof TargetPolicy>>;
  readonly #owner = `webhook-worker:${randomUUID()}`;
  readonly #agent: Agent;
  readonly #abort = new AbortController();
  readonly #running = new Map<string, Promise<void>>();
  readonly #leases = new Set<string>();
  #timer: unknown;
  #ticking: Promise<void> | undefined;
  #stopped = false;

  constructor(trail: AuditTrail, store: IdentityStore, options: WebhookOptions = {}, log?: WorkerLog) {
    this.#trail = trail;
    this.#store = store;
    this.#log = log ?? { warn: () => {} };
    this.#clock = options.scheduler ?? systemClock;
    this.#policy = { allowHttp: options.allowHttp, allowPrivateTargets: options.allowPrivateTargets };
    const attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
    this.#o = {
      pollMs: options.pollMs ?? 200,
      attemptTimeoutMs,
      retryBaseMs: options.retryBaseMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 300_000,
      maxConsecutiveFailures: options.maxConsecutiveFailures ?? 10,
      leaseMs: Math.max(options.leaseMs ?? 15_000, 2 * attemptTimeoutMs),
      deliveryLogSize: options.deliveryLogSize ?? 100,
      batchSize: options.batchSize ?? 100,
    };
    this.#agent = new Agent({
      connect: { lookup: guardedLookup(this.#policy), timeout: attemptTimeoutMs },
      keepAliveTimeout: 4_000,
    });
  }

  start(): void {
    this.#schedule(0);
  }

  /** Stop polling, abort attempts in flight, wait for the passes to end, give the leases up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#ticking;
    await Promise.allSettled(this.#running.values());
    await Promise.allSettled([...this.#leases].map((l) => this.#store.releaseLease(l, this.#owner)));
    await this.#agent.close();
  }

  #schedule(ms: number) {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
      });
    }, ms);
  }

  async #tick() {
    try {
      const now = this.#clock.now();
      for (const w of await this.#store.listWebhooks()) {
        if (this.#stopped) return;
        if (!this.#due(w, now) || this.#running.has(w.webhookId)) continue;
        const pass = this.#pass(w.webhookId)
          .catch((error: Error) =>
            this.#log.warn({ err: error, webhookId: w.webhookId }, 'webhook pass failed'),
          )
          .finally(() => this.#running.delete(w.webhookId));
        this.#running.set(w.webhookId, pass);
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'webhook worker: cannot list subscriptions');
    } finally {
      this.#schedule(this.#o.pollMs);
    }
  }

  #due(w: WebhookRecord | undefined, now: number): w is WebhookRecord {
    return w?.enabled === true && (w.retry === undefined || w.retry.notBeforeMs <= now);
  }

  async #hold(webhookId: string): Promise<boolean> {
    const lease = `webhook:${webhookId}`;
    const ok = await this.#store.acquireLease(lease, this.#owner, this.#o.leaseMs);
    if (ok) this.#leases.add(lease);
    else this.#leases.delete(lease);
    return ok;
  }

  /** Deliver what is new for one subscription, page by page, until caught up or an attempt failed. */
  async #pass(webhookId: string) {
    if (!(await this.#hold(webhookId))) return;
    // Read it again under the lease: another instance may have moved its cursor.
    let w = await this.#store.getWebhook(webhookId);
    if (!this.#due(w, this.#clock.now())) return;
    const types = new Set(w.eventTypes);
    const thresholds = w.thresholds;
    while (!this.#stopped) {
      const page = await this.#trail.queryAudit({
        tenant: w.tenantId,
        limit: this.#o.batchSize,
        ...(w.cursor !== undefined ? { after: w.cursor } : {}),
      });
      let events = page.records.flatMap((r) =>
        eventsOfRecord(r, thresholds).filter((e) => types.has(e.type)),
      );
      // Retrying: the events before the one that failed were delivered.
      const retrying = w.retry;
      const from = retrying ? events.findIndex((e) => e.id === retrying.eventId) : -1;
      if (from > 0) events = events.slice(from);
      for (const event of events) {
        const attempts = w.retry?.eventId === event.id ? w.retry.attempts : 0;
        const outcome = await this.#attempt(w, event, attempts + 1);
        if (outcome !== 'delivered') return;
        w = { ...w, retry: undefined };
      }
      if (page.cursor !== w.cursor || w.retry) {
        const next = await this.#store.updateWebhook(webhookId, { cursor: page.cursor, retry: null });
        if (!next) return;
        w = next;
      }
      if (!page.hasMore || !(await this.#hold(webhookId))) return;
    }
  }

  async #attempt(w: WebhookRecord, event: WebhookEvent, attempt: number): Promise<Outcome> {
    if (this.#stopped || !(await this.#hold(w.webhookId))) return 'stop';
    const current = await this.#store.getWebhook(w.webhookId);
    if (!current?.enabled) return 'stop';
    const body = JSON.stringify(event);
    const timestamp = String(this.#clock.now());
    const started = performance.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#o.attemptTimeoutMs);
    try {
      await checkTarget(current.url, this.#policy);
      const res = await request(current.url, {
        method: 'POST',
        dispatcher: this.#agent,
        signal: AbortSignal.any([this.#abort.signal, timeout.signal]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'governor-webhooks',
          'x-governor-event-id': event.id,
          'x-governor-event-type': event.type,
          'x-governor-delivery-attempt': String(attempt),
          'x-governor-timestamp': timestamp,
          'x-governor-signature': signatureOf(current.secret, body),
        },
        body,
      });
      statusCode = res.statusCode;
      await res.body.dump();
    } catch (e) {
      if (this.#stopped) return 'stop';
      error = timeout.signal.aborted
        ? `no answer within ${this.#o.attemptTimeoutMs} ms`
        : (e as Error).message;
    } finally {
      clearTimeout(timer);
    }
    const ok = statusCode !== undefined && statusCode >= 200 && statusCode < 300;
    if (!ok && error === undefined) error = `answered ${statusCode}`;
    await this.#store.appendDelivery(
      w.webhookId,
      {
        eventId: event.id,
        type: event.type,
        attempt,
        atMs: Number(timestamp),
        durationMs: Math.round(performance.now() - started),
        ok,
        ...(statusCode !== undefined ? { statusCode } : {}),
        ...(ok ? {} : { error }),
      },
      this.#o.deliveryLogSize,
    );
    if (ok) {
      if (current.consecutiveFailures > 0 || current.retry)
        await this.#store.updateWebhook(w.webhookId, { consecutiveFailures: 0, retry: null });
      return 'delivered';
    }
    await this.#failed(current, event, attempt, error as string);
    return 'failed';
  }

  async #failed(w: WebhookRecord, event: WebhookEvent, attempt: number, error: string) {
    const failures = w.consecutiveFailures + 1;
    const now = this.#clock.now();
    const wait = backoffMs(attempt, this.#o.retryBaseMs, this.#o.retryMaxMs);
    const retry = { eventId: event.id, attempts: attempt, notBeforeMs: now + wait };
    if (failures < this.#o.maxConsecutiveFailures) {
      await this.#store.updateWebhook(w.webhookId, { consecutiveFailures: failures, retry });
      return;
    }
    const disabledReason = `disabled after ${failures} failed deliveries in a row (last: ${error})`;
    await this.#store.updateWebhook(w.webhookId, {
      enabled: false,
      consecutiveFailures: failures,
      retry: { ...retry, notBeforeMs: now },
      disabledAtMs: now,
      disabledReason,
    });
    this.#log.warn({ webhookId: w.webhookId, tenant: w.tenantId, url: w.url }, `webhook ${disabledReason}`);
  }
}
