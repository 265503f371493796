import { ManualClock, MemoryAuthority } from '@governor/core';
import { describeLedgerConformance } from '@governor/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContract } from '../../packages/core/test/support/openapi.js';
import { httpLedgerOver, type SeenAnswer, SUCCESS_SCHEMA } from '../support/http-harness.js';

const seen: SeenAnswer[] = [];

describeLedgerConformance(
  'HttpAuthority → server → MemoryAuthority',
  async (options) => {
    const clock = new ManualClock();
    const memory = new MemoryAuthority({ clock, ...options });
    const harness = await httpLedgerOver(memory, seen);
    return {
      ledger: harness.ledger,
      advanceClock: (ms) => clock.advance(ms),
      close: () => harness.close(),
      footprint: async () => JSON.stringify(memory.snapshot()),
    };
  },
  // The audit trail over HTTP is not part of the wire protocol: see packages/server (audit routes).
  { concurrency: { attempts: 2_000, fits: 737 }, modelRuns: 15, audit: false },
);

describe('every runtime answer seen through HTTP', () => {
  afterAll(() => {
    seen.length = 0;
  });
  it('validates against the Cycles Protocol v0 schemas and carries the correlation headers', () => {
    const contract = loadContract();
    const failures: string[] = [];
    const statuses = new Set<number>();
    for (const answer of seen) {
      statuses.add(answer.status);
      const ok = answer.status >= 200 && answer.status < 300;
      const schema = ok ? (SUCCESS_SCHEMA[answer.operation] as string) : 'ErrorResponse';
      const errors = contract.check(schema, answer.body);
      if (errors)
        failures.push(
          `${answer.operation} ${answer.status} ${schema}: ${errors}\n${JSON.stringify(answer.body)}`,
        );
      if (!answer.headers['x-request-id'])
        failures.push(`${answer.operation} ${answer.status}: no X-Request-Id`);
      if (!/^[0-9a-f]{32}$/.test(String(answer.headers['x-cycles-trace-id'])))
        failures.push(`${answer.operation} ${answer.status}: no X-Cycles-Trace-Id`);
    }
    expect(failures.slice(0, 20), failures.slice(0, 20).join('\n\n')).toEqual([]);
    expect(seen.length).toBeGreaterThan(1_000);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 201, 400, 404, 409, 410]));
  });
});
