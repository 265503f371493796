import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@governor/core';
import { describeLedgerConformance, type LedgerHarness } from '@governor/core/testing';
import { SqliteAuthority } from '@governor/sqlite';
import { afterAll } from 'vitest';

// A fresh ledger file per factory call, in one temp dir removed after the run.
const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-conformance-'));
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeLedgerConformance(
  'SqliteAuthority',
  async (options) => {
    const clock = new ManualClock();
    const path = join(dir, `ledger-${++n}.db`);
    const h: LedgerHarness & { ledger: SqliteAuthority } = {
      ledger: new SqliteAuthority({ path, clock, ...options }),
      advanceClock: (ms) => clock.advance(ms),
      close: () => h.ledger.close(),
      footprint: async () => h.ledger.tableSizes(),
      // A restart reopens the file: what was on disk when the last call returned is all there is.
      restart: async () => {
        await h.ledger.close();
        h.ledger = new SqliteAuthority({ path, clock, ...options });
      },
    };
    return h;
  },
  // Budget periods, rate limits and the loop breaker are not kept by SqliteAuthority (see packages/sqlite/test).
  { periods: false, rateLimits: false },
);
