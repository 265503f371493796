import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  createGovernor,
  type GovernorOptions,
  ManualClock,
  MemoryAuthority,
  type Unit,
} from '@governor/core';
import { assertLedgerInvariant } from '@governor/core/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

export const RUN = 'tenant:acme/workflow:support/run:r1';
const require = createRequire(import.meta.url);

/** `node <server-everything> stdio`: the upstream the tests run against, from the registry. */
export const EVERYTHING = {
  command: process.execPath,
  args: [
    join(dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist/index.js'),
    'stdio',
  ],
};

/** A real SDK client connected to a fresh server-everything process. */
export async function connectEverything(): Promise<{ client: Client; transport: StdioClientTransport }> {
  const transport = new StdioClientTransport({ ...EVERYTHING, stderr: 'ignore' });
  const client = new Client({ name: 'governor-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A MemoryAuthority with a RISK_POINTS budget for run r1, and a governor acting as run r1. */
export async function setup(
  riskPoints: number,
  options: Partial<GovernorOptions> = {},
  caps?: { toolDenylist: string[] },
) {
  const clock = new ManualClock();
  const ledger = new MemoryAuthority({ clock });
  await ledger.createBudget({
    scope: RUN,
    unit: 'RISK_POINTS',
    allocated: riskPoints,
    ...(caps ? { caps } : {}),
  });
  const governor = createGovernor({
    authority: ledger,
    admin: ledger,
    subject: { tenant: 'acme', workflow: 'support', run: 'r1' },
    clock,
    ...options,
  });
  /** The ledger invariant holds, nothing is reserved, and `spent` is exactly `spent`. */
  const settled = async (spent: number, unit: Unit = 'RISK_POINTS', scope = RUN) => {
    await assertLedgerInvariant(ledger);
    expect((await ledger.listReservations({ status: 'ACTIVE' })).reservations).toEqual([]);
    expect(await ledger.getBudget({ scope, unit })).toMatchObject({ spent, reserved: 0 });
  };
  return { clock, ledger, governor, settled };
}

/** The text of a CallToolResult's content. */
export const textOf = (result: unknown): string =>
  ((result as CallToolResult).content ?? [])
    .map((c) => (c.type === 'text' ? c.text : `[${c.type}]`))
    .join('\n');
