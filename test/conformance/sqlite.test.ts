import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@governor/core';
import { describeLedgerConformance } from '@governor/core/testing';
import { SqliteAuthority } from '@governor/sqlite';
import { afterAll } from 'vitest';

// A fresh ledger file per factory call, in one temp dir removed after the run.
const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-conformance-'));
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeLedgerConformance('SqliteAuthority', async () => {
  const clock = new ManualClock();
  const ledger = new SqliteAuthority({ path: join(dir, `ledger-${++n}.db`), clock });
  return { ledger, advanceClock: (ms) => clock.advance(ms), close: () => ledger.close() };
});
