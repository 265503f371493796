import { parseArgs } from 'node:util';
import type { Subject } from '@governor/core';
import type { UpstreamSpec } from './upstream.js';

export const USAGE = `usage: governor-mcp-proxy [options] -- <command> [args...]
       governor-mcp-proxy [options] --url <streamable-http-url>
options (or environment):
  --tenant <id>     GOVERNOR_TENANT    default "default"
  --workflow <id>   GOVERNOR_WORKFLOW
  --agent <id>      GOVERNOR_AGENT
  --budgets <file>  GOVERNOR_BUDGETS   policy file (.json/.yaml): budgets, templates, degradation, riskPoints
  --run <id>        GOVERNOR_RUN       the run this session is charged to; default mcp-<uuid>
                                       (with --http: each session's run is <id>-<session id>, default mcp-<session id>)
  --http <port>     GOVERNOR_HTTP      serve MCP over Streamable HTTP at http://<host>:<port>/mcp instead of stdio
  --host <addr>     GOVERNOR_HOST      the interface --http binds; default 127.0.0.1 (loopback only)`;

export interface ProxyConfig {
  subject: Subject;
  upstream: UpstreamSpec;
  budgets?: string | undefined;
  runId?: string | undefined;
  /** Serve over Streamable HTTP instead of stdio. */
  http?: { port: number; host: string } | undefined;
}

function portOf(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--http: not a port: ${value}`);
  return port;
}

/** Flags over environment; everything after `--` is the upstream command. */
export function parseProxyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ProxyConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      workflow: { type: 'string' },
      agent: { type: 'string' },
      budgets: { type: 'string' },
      run: { type: 'string' },
      url: { type: 'string' },
      http: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const [command, ...args] = positionals;
  const url = values.url;
  if (!url && !command) throw new Error(`no upstream MCP server given\n${USAGE}`);
  const workflow = values.workflow ?? env.GOVERNOR_WORKFLOW;
  const agent = values.agent ?? env.GOVERNOR_AGENT;
  const http = values.http ?? env.GOVERNOR_HTTP;
  return {
    subject: {
      tenant: values.tenant ?? env.GOVERNOR_TENANT ?? 'default',
      ...(workflow ? { workflow } : {}),
      ...(agent ? { agent } : {}),
    },
    upstream: url ? { url } : { command: command as string, args },
    budgets: values.budgets ?? env.GOVERNOR_BUDGETS,
    runId: values.run ?? env.GOVERNOR_RUN,
    http: http ? { port: portOf(http), host: values.host ?? env.GOVERNOR_HOST ?? '127.0.0.1' } : undefined,
  };
}
