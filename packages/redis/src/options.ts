/** RedisAuthority's options, what they resolve to, and the client it opens when given none. */
import { type AuditRetention, type MetadataLimits, schemas as S } from '@governor/core';
import { maxLiveOption } from '@governor/core/ledger';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

export interface RedisAuthorityOptions {
  /** An ioredis client to use, a `Redis` or a `Cluster` (not closed by `quit()`), or … */
  client?: Redis | Cluster;
  /** … a URL for a client of our own; default REDIS_URL or redis://127.0.0.1:6379, or … */
  url?: string;
  /** … the startup nodes of a Redis Cluster, e.g. `[{ host: '127.0.0.1', port: 7001 }]`, for a Cluster client of our own. */
  cluster?: ClusterNode[];
  /** Extra ioredis options for our own (single-node) client. */
  redisOptions?: RedisOptions;
  /** Extra ioredis options for our own Cluster client. */
  clusterOptions?: ClusterOptions;
  /** Prefix of every key; default `governor`. Must not contain `{` or `}`. */
  keyPrefix?: string;
  /** Extensions allowed per reservation; default unlimited. */
  maxExtensions?: number;
  /** How long answers replay for the same idempotency key (PX); default 24 h. */
  idempotencyRetentionMs?: number;
  /** How long finalized and expired reservations stay readable and listable; default 1 h. */
  reservationRetentionMs?: number;
  /** Attach balances to reserve/commit/release/extend/event answers; default true. */
  includeBalances?: boolean;
  /**
   * Most ACTIVE reservations one tenant may hold; past it a reserve is a DENY
   * with reason LIVE_RESERVATION_LIMIT. Default 100,000.
   */
  maxLiveReservationsPerTenant?: number;
  /** Bounds on metadata and `metrics.custom`: nesting depth (default 32) and JSON size (default 64 KiB). */
  metadataLimits?: Partial<MetadataLimits>;
  /**
   * How long this instance reuses the templates and degradation policy it read
   * (ms); default 1,000. Its own changes apply at once; changes made through
   * another instance reach this one within this time. 0 reads them on every call.
   */
  configCacheMs?: number;
  /**
   * TESTS ONLY. Replace Redis TIME with a clock stored in Redis under this
   * prefix (`<prefix>{config}:clock`, absolute epoch ms, shared by every
   * instance on the prefix) that only moves through `advanceClock(ms)`.
   * `startMs` sets it if it is not set yet (default 2026-01-01). Never enable
   * it in production: time would stand still.
   */
  testClock?: { startMs?: number };
  /**
   * The audit trail: one hash-chained record per decision and change, appended
   * by the same script as the change to a Stream per tenant; by default the
   * last 100,000 records per tenant. `false` keeps none.
   */
  audit?: AuditRetention | false;
}

/** The options the ledger's parts read, defaults applied. */
export interface Settings {
  readonly maxExtensions: number;
  readonly idemRetention: number;
  readonly rsvRetention: number;
  readonly includeBalances: boolean;
  readonly schemas: ReturnType<typeof S.requestSchemas>;
  readonly maxLive: number;
  /** Records kept per tenant and their longest age (0 = any); undefined: no audit trail. */
  readonly audit: { max: number; maxAgeMs: number } | undefined;
}

export function settingsOf(options: RedisAuthorityOptions): Settings {
  return {
    maxExtensions: options.maxExtensions ?? -1,
    idemRetention: options.idempotencyRetentionMs ?? 86_400_000,
    rsvRetention: options.reservationRetentionMs ?? 3_600_000,
    includeBalances: options.includeBalances ?? true,
    schemas: S.requestSchemas(options.metadataLimits),
    maxLive: maxLiveOption(options.maxLiveReservationsPerTenant),
    audit:
      options.audit === false
        ? undefined
        : {
            max: positiveInt('audit.maxRecordsPerTenant', options.audit?.maxRecordsPerTenant ?? 100_000),
            maxAgeMs: positiveInt('audit.maxAgeMs', options.audit?.maxAgeMs ?? 0),
          },
  };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`RedisAuthority: ${name} must be an integer ≥ 0, got ${value}`);
  return value;
}

/** A Redis that stops answering (kill -STOP, a partition) fails calls instead of hanging them. */
const TIMEOUTS = { connectTimeout: 5_000, commandTimeout: 5_000 };

/** Our own client: a Cluster client for `cluster`, else one connection to `url`. */
export function ownClient(options: RedisAuthorityOptions): Redis | Cluster {
  if (options.cluster) {
    if (options.url !== undefined) throw new RangeError('RedisAuthority: give `url` or `cluster`, not both');
    return new Cluster(options.cluster, {
      enableAutoPipelining: true,
      ...options.clusterOptions,
      redisOptions: { maxRetriesPerRequest: 2, ...TIMEOUTS, ...options.clusterOptions?.redisOptions },
    });
  }
  return new Redis(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    ...TIMEOUTS,
    ...options.redisOptions,
  });
}
