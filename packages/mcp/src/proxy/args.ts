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
  --run <id>        GOVERNOR_RUN       the run this session is charged to; default mcp-<uuid>`;

export interface ProxyConfig {
  subject: Subject;
  upstream: UpstreamSpec;
  budgets?: string | undefined;
  runId?: string | undefined;
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
    },
  });
  const [command, ...args] = positionals;
  const url = values.url;
  if (!url && !command) throw new Error(`no upstream MCP server given\n${USAGE}`);
  const workflow = values.workflow ?? env.GOVERNOR_WORKFLOW;
  const agent = values.agent ?? env.GOVERNOR_AGENT;
  return {
    subject: {
      tenant: values.tenant ?? env.GOVERNOR_TENANT ?? 'default',
      ...(workflow ? { workflow } : {}),
      ...(agent ? { agent } : {}),
    },
    upstream: url ? { url } : { command: command as string, args },
    budgets: values.budgets ?? env.GOVERNOR_BUDGETS,
    runId: values.run ?? env.GOVERNOR_RUN,
  };
}
