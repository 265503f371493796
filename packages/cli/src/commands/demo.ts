import { randomBytes } from 'node:crypto';
import { intFlag, parseFlags, UsageError } from '../args.js';
import { DEFAULT_SCENARIO, VIAS, type Via } from '../demo/defaults.js';
import { dollars } from '../format.js';
import type { Io } from '../io.js';
import { checkRedisUrl } from '../redis-url.js';

const d = DEFAULT_SCENARIO;
export const DEMO_HELP = `Usage: governor demo [options]

Replay the runaway-email incident: a support agent stuck in a retry loop on
the approved send_email tool, run ungoverned and then behind an allowlist
gateway and Governor. No API key, no Redis needed.

Options:
  --via <path>          how the agent is built: ai-sdk (AI SDK generateText, @governor/ai-sdk),
                        langchain (createAgent + governorMiddleware, governTool per toolset),
                        mcp (AI SDK loop calling in-process MCP servers through governClient)
                        (default ai-sdk)
  --emails <n>          emails the stuck agent attempts (default ${d.emails})
  --budget <usd>        the run's dollar budget (default ${dollars(d.runBudget)})
  --tenant-budget <usd> the tenant's dollar budget (default ${dollars(d.tenantBudget)})
  --risk-points <n>     the run's RISK_POINTS for the email toolset; send_email costs 1 (default ${d.riskPoints})
  --refund-points <n>   the run's RISK_POINTS for the billing toolset; refund.issue costs 25 (default ${d.refundPoints})
  --refund-every <n>    a refund every n emails, 0 for none (default ${d.refundEvery})
  --cap-at <percent>    utilisation of a dollar budget at which model calls are capped (default ${d.capAtPercent})
  --max-tokens <n>      the output-token cap from then on (default ${d.capMaxTokens})
  --loop-breaker        the agent retries with the very same arguments: Governor's loop breaker
                        stops it by LOOP_DETECTED long before the RISK_POINTS budget is spent
  --redis <url>         run the governed half on RedisAuthority (a unique key prefix, deleted afterwards)
  --server <url>        run the governed half against a Governor server (governor serve) over
                        HttpAuthority, as a new tenant demo-<id> (admin key: GOVERNOR_ADMIN_KEY)
  --ledger <file>       run the governed half on SqliteAuthority in this new file, kept afterwards
                        (see it with governor balances --ledger <file>)
  --json                print the report as JSON
  -h, --help            show this help
`;

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, {
    emails: { type: 'string' },
    budget: { type: 'string' },
    'tenant-budget': { type: 'string' },
    'risk-points': { type: 'string' },
    'refund-points': { type: 'string' },
    'refund-every': { type: 'string' },
    'cap-at': { type: 'string' },
    'max-tokens': { type: 'string' },
    server: { type: 'string' },
    redis: { type: 'string' },
    ledger: { type: 'string' },
    via: { type: 'string' },
    json: { type: 'boolean' },
    'loop-breaker': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(DEMO_HELP);
    return 0;
  }
  const capAtPercent = intFlag('cap-at', values['cap-at'], d.capAtPercent, 1);
  if (capAtPercent > 100)
    throw new UsageError(`--cap-at: expected a percent from 1 to 100, got "${values['cap-at']}"`);
  if (values.redis !== undefined) checkRedisUrl(values.redis);
  if ([values.redis, values.ledger, values.server].filter((v) => v !== undefined).length > 1) {
    throw new UsageError('give one of --redis <url>, --ledger <file> or --server <url>, not both');
  }
  if (values.server !== undefined && !/^https?:\/\//.test(values.server)) {
    throw new UsageError(`--server: expected an http:// or https:// URL, got "${values.server}"`);
  }
  if (values['loop-breaker'] && values.ledger !== undefined) {
    throw new UsageError(
      '--loop-breaker needs the embedded ledger, --redis or --server (SqliteAuthority keeps no loop windows yet)',
    );
  }
  const via = values.via ?? 'ai-sdk';
  if (!(VIAS as readonly string[]).includes(via)) {
    throw new UsageError(`--via: expected one of ${VIAS.join(', ')}, got "${via}"`);
  }
  io.progress?.(`loading the ${via} agent …`);
  const [{ runDemo }, { usdFlag }] = await Promise.all([import('../demo/demo.js'), import('../policy.js')]);
  await runDemo(
    {
      via: via as Via,
      emails: intFlag('emails', values.emails, d.emails, 1),
      runBudget: usdFlag('budget', values.budget, d.runBudget),
      tenantBudget: usdFlag('tenant-budget', values['tenant-budget'], d.tenantBudget),
      riskPoints: intFlag('risk-points', values['risk-points'], d.riskPoints, 1),
      refundPoints: intFlag('refund-points', values['refund-points'], d.refundPoints, 1),
      refundEvery: intFlag('refund-every', values['refund-every'], d.refundEvery),
      capAtPercent,
      capMaxTokens: intFlag('max-tokens', values['max-tokens'], d.capMaxTokens, 1),
      redis: values.redis,
      ledger: values.ledger,
      server: values.server,
      ...(values.server !== undefined ? { tenant: `demo-${randomBytes(4).toString('hex')}` } : {}),
      json: values.json ?? false,
      loopBreaker: values['loop-breaker'] ?? false,
    },
    io,
  );
  return 0;
}
