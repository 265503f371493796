import { parseArgs } from 'node:util';
import type { Subject } from '@governor/core';
import type { OnUpstreamExit } from './link.js';
import type { UpstreamSpec } from './upstream.js';

/** Wrong usage (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface RunChoice {
  /** One fixed run for every session. */
  fixed?: string | undefined;
  /** Otherwise a run per MCP session (default) or one per process. */
  per: 'session' | 'process';
  /** Over HTTP, the run is this header of the initialize request when present. */
  header?: string | undefined;
}

export interface HttpConfig {
  port: number;
  host: string;
  idleTimeoutMs: number;
  maxSessions: number;
  maxBodyBytes: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  authToken?: string | undefined;
  authTokensFile?: string | undefined;
}

export interface ProxyConfig {
  subject: Subject;
  upstream: UpstreamSpec;
  budgets?: string | undefined;
  redis?: { url: string; prefix: string } | undefined;
  /** A SQLite ledger file (SqliteAuthority): durable across restarts on one machine. */
  ledger?: string | undefined;
  run: RunChoice;
  timeoutMs: number;
  onUpstreamExit: OnUpstreamExit;
  /** Serve over Streamable HTTP instead of stdio. */
  http?: HttpConfig | undefined;
  auditLog?: string | undefined;
  /** A call paused for approval: asked of the host by elicitation (default), or answered with how to approve it. */
  approvals: 'elicit' | 'message';
  help?: boolean;
  version?: boolean;
}

const OPTIONS = {
  ...Object.fromEntries(
    [
      'tenant',
      'workflow',
      'agent',
      'budgets',
      'redis',
      'redis-prefix',
      'ledger',
      'run',
      'run-per',
      'run-header',
      'url',
    ]
      .concat(['timeout-ms', 'on-upstream-exit', 'http', 'host', 'idle-timeout-ms', 'max-sessions'])
      .concat(['max-body-bytes', 'auth-token', 'auth-tokens', 'audit-log', 'approvals'])
      .map((name) => [name, { type: 'string' as const }]),
  ),
  env: { type: 'string', multiple: true },
  'allowed-host': { type: 'string', multiple: true },
  'allowed-origin': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

function whole(flag: string, value: string | undefined, fallback: number, min = 1, max = 2 ** 31): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag}: expected ${choices.join(' or ')}, got "${value}"`);
  }
  return value as T;
}

function pairs(values: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of values) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--env: expected K=V, got "${pair}"`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** Flags over environment; everything after `--` is the upstream's command line. */
export function parseProxyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: v, positionals } = parsed;
  const s = (name: string): string | undefined => (v as Record<string, unknown>)[name] as string | undefined;
  const [command, ...args] = positionals;
  const url = s('url');
  const base = {
    run: { per: 'session' as const },
    timeoutMs: 60_000,
    onUpstreamExit: 'restart' as const,
    approvals: 'elicit' as const,
  };
  if (v.help || v.version)
    return {
      subject: { tenant: 'default' },
      upstream: { url: '' },
      ...base,
      help: !!v.help,
      version: !!v.version,
    };
  if (!url && !command) throw new UsageError('no upstream MCP server given (a command after --, or --url)');
  if (url && command) throw new UsageError('give either --url or a command after --, not both');
  const workflow = s('workflow') ?? env.GOVERNOR_WORKFLOW;
  const agent = s('agent') ?? env.GOVERNOR_AGENT;
  const http = s('http') ?? env.GOVERNOR_HTTP;
  const redis = s('redis') ?? env.GOVERNOR_REDIS;
  if (redis && !/^rediss?:\/\//.test(redis))
    throw new UsageError(`--redis: expected a redis:// or rediss:// URL, got "${redis}"`);
  const ledger = s('ledger') ?? env.GOVERNOR_LEDGER;
  if (redis && ledger) throw new UsageError('give either --redis <url> or --ledger <file>, not both');
  const fixed = s('run') ?? env.GOVERNOR_RUN;
  if (fixed && s('run-per')) throw new UsageError('give either --run <id> or --run-per, not both');
  const extraEnv = pairs(v.env as string[] | undefined);
  return {
    subject: {
      tenant: s('tenant') ?? env.GOVERNOR_TENANT ?? 'default',
      ...(workflow ? { workflow } : {}),
      ...(agent ? { agent } : {}),
    },
    upstream: url ? { url } : { command: command as string, args, env: extraEnv },
    budgets: s('budgets') ?? env.GOVERNOR_BUDGETS,
    redis: redis ? { url: redis, prefix: s('redis-prefix') ?? 'governor' } : undefined,
    ledger,
    run: {
      fixed,
      per: oneOf('run-per', s('run-per'), ['session', 'process'], 'session'),
      header: s('run-header'),
    },
    timeoutMs: whole('timeout-ms', s('timeout-ms'), 60_000),
    onUpstreamExit: oneOf('on-upstream-exit', s('on-upstream-exit'), ['restart', 'exit'], 'restart'),
    http: http
      ? {
          port: whole('http', http, 0, 0, 65535),
          host: s('host') ?? env.GOVERNOR_HOST ?? '127.0.0.1',
          idleTimeoutMs: whole('idle-timeout-ms', s('idle-timeout-ms'), 30 * 60_000),
          maxSessions: whole('max-sessions', s('max-sessions'), 100),
          maxBodyBytes: whole('max-body-bytes', s('max-body-bytes'), 4 * 1024 * 1024),
          allowedHosts: (v['allowed-host'] as string[] | undefined) ?? [],
          allowedOrigins: (v['allowed-origin'] as string[] | undefined) ?? [],
          authToken: s('auth-token') ?? env.GOVERNOR_AUTH_TOKEN,
          authTokensFile: s('auth-tokens'),
        }
      : undefined,
    auditLog: s('audit-log'),
    approvals: oneOf('approvals', s('approvals'), ['elicit', 'message'], 'elicit'),
  };
}
