/**
 * The driver: better-sqlite3 wherever its native addon loads; Node's built-in
 * node:sqlite only where it cannot (an addon built for another Node.js) and
 * node:sqlite exists; a clear error where neither can open the ledger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SqliteAuthority } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'governor-sqlite-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function betterSqlite3Loads(): boolean {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch {
    return false;
  }
}
const hasNodeSqlite = process.getBuiltinModule?.('node:sqlite') !== undefined;

it(`uses ${betterSqlite3Loads() ? 'better-sqlite3' : 'node:sqlite'} on Node ${process.version}`, async () => {
  const ledger = new SqliteAuthority({ path: join(dir, 'default.db') });
  expect(ledger.driver).toBe(betterSqlite3Loads() ? 'better-sqlite3' : 'node:sqlite');
  await ledger.createBudget({ scope: 'tenant:acme', unit: 'CREDITS', allocated: 3 });
  await ledger.close();
});

// One test either way, so no run of the suite skips anything: where Node has node:sqlite it must
// read a better-sqlite3 file; where it has none, asking for it must be a clear error.
it(`node:sqlite on Node ${process.version}: ${hasNodeSqlite ? 'reads the same file' : 'a clear error when asked for'}`, async () => {
  if (!hasNodeSqlite) {
    expect(() => new SqliteAuthority({ path: join(dir, 'x.db'), driver: 'node:sqlite' })).toThrow(
      /node:sqlite is not available in Node v\d+/,
    );
    return;
  }
  const path = join(dir, 'shared.db');
  const first = new SqliteAuthority({ path });
  await first.createBudget({ scope: 'tenant:acme', unit: 'CREDITS', allocated: 3 });
  await first.close();
  const second = new SqliteAuthority({ path, driver: 'node:sqlite' });
  expect(second.driver).toBe('node:sqlite');
  expect(await second.getBudget({ scope: 'tenant:acme', unit: 'CREDITS' })).toMatchObject({ remaining: 3 });
  await second.close();
});
