import { expect, it } from 'vitest';
import type { Ledger } from '../../authority.js';
import type { InvalidRequestError } from '../../errors.js';
import { expectError } from '../expect-error.js';
import { type FreshLedger, key, SCOPES, SUBJECT, type TestLedger, USD_UNIT } from '../harness.js';

type Loose = Record<string, unknown>;

/** `{ a: { a: … } }`, `levels` objects deep (the outer one is level 1). */
export function nested(levels: number): Loose {
  let value: Loose = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

class Point {
  constructor(readonly x = 1) {}
}

/** Values that are not JSON, each with the words its rule names. */
export const NOT_JSON: [name: string, value: unknown, rule: string][] = [
  ['a BigInt', 10n, 'BigInt'],
  ['a function', () => 1, 'function'],
  ['a symbol', Symbol('s'), 'symbol'],
  ['NaN', Number.NaN, 'finite number'],
  ['Infinity', Number.POSITIVE_INFINITY, 'finite number'],
  ['undefined in an array', [1, undefined], 'undefined'],
  ['a Date', new Date(0), 'plain object or array, not a Date'],
  ['a Map', new Map([['a', 1]]), 'plain object or array, not a Map'],
  ['a class instance', new Point(), 'plain object or array, not a Point'],
  ['a typed array', new Uint8Array(2), 'plain object or array'],
];

const action = { kind: 'llm.completion', name: 'gpt-4o-mini' };

/** Every request that carries metadata, as a call with `metadata` in it. */
function metadataCalls(ledger: Ledger, id: string) {
  const amount = { unit: USD_UNIT, amount: 1 };
  return {
    reserve: (metadata: unknown) =>
      ledger.reserve({
        idempotencyKey: key(),
        subject: SUBJECT,
        action,
        estimate: amount,
        metadata,
      } as never),
    decide: (metadata: unknown) =>
      ledger.decide({ idempotencyKey: key(), subject: SUBJECT, action, estimate: amount, metadata } as never),
    event: (metadata: unknown) =>
      ledger.event({ idempotencyKey: key(), subject: SUBJECT, action, actual: amount, metadata } as never),
    commit: (metadata: unknown) =>
      ledger.commit(id, { idempotencyKey: key(), actual: amount, metadata } as never),
    'commit metrics.custom': (custom: unknown) =>
      ledger.commit(id, { idempotencyKey: key(), actual: amount, metrics: { custom } } as never),
    extend: (metadata: unknown) =>
      ledger.extend(id, { idempotencyKey: key(), extendByMs: 1_000, metadata } as never),
  };
}

async function unchanged(t: TestLedger, reservations: number) {
  for (const scope of SCOPES) expect(await t.budgetOf(scope)).toMatchObject({ spent: 0, reserved: 10 });
  expect((await t.ledger.listReservations({})).reservations).toHaveLength(reservations);
  await t.check();
}

/** Free JSON (metadata, metrics.custom, dimensions) is checked before anything reads it. */
export function payloadChecks(fresh: FreshLedger) {
  const expectInvalid = async (promise: Promise<unknown>, path: string, rule: string) => {
    const error = (await expectError(promise, 'INVALID_REQUEST')) as InvalidRequestError;
    expect(
      error.issues.some((i) => i.path === path && i.message.includes(rule)),
      error.message,
    ).toBe(true);
  };

  it('rejects metadata nested 4,100 levels (or 33) with INVALID_REQUEST, in every request that carries it', async () => {
    const t = await fresh();
    await t.budgets(1000, 1000, 1000);
    const id = await t.reserveId(10);
    for (const [name, call] of Object.entries(metadataCalls(t.ledger, id))) {
      const at = name.includes('custom') ? 'metrics.custom' : 'metadata';
      for (const levels of [4_100, 33]) {
        const error = (await expectError(call(nested(levels)), 'INVALID_REQUEST')) as InvalidRequestError;
        expect(error.message, name).toContain('must be nested at most 32 levels deep');
        expect(error.issues[0]?.path.startsWith(`${at}.a`), name).toBe(true);
      }
      await expectInvalid(call({ x: { y: [{}, { z: 10n }] } }), `${at}.x.y[1].z`, 'BigInt');
    }
    await unchanged(t, 1);
  });

  it('accepts metadata 32 levels deep and just under 64 KiB', async () => {
    const t = await fresh();
    await t.budgets(1000);
    const deep = nested(31); // inside the metadata object: 32 levels
    const big = { text: 'x'.repeat(65_000) };
    const r = await t.reserve(10, { metadata: { deep, big } as never });
    expect(r.decision).toBe('ALLOW');
    const detail = await t.ledger.getReservation(r.reservationId as string);
    expect(detail.metadata).toEqual({ big, deep });
  });

  it('rejects metadata over 64 KiB as JSON', async () => {
    const t = await fresh();
    await t.budgets(1000, 1000, 1000);
    const id = await t.reserveId(10);
    for (const call of Object.values(metadataCalls(t.ledger, id))) {
      await expectError(call({ text: 'x'.repeat(65_537) }), 'INVALID_REQUEST', 'must be at most 65536 bytes');
      await expectError(call({ text: 'é'.repeat(33_000) }), 'INVALID_REQUEST', 'must be at most 65536 bytes');
    }
    await unchanged(t, 1);
  });

  for (const [name, value, rule] of NOT_JSON) {
    it(`rejects ${name} in metadata, naming its path`, async () => {
      const t = await fresh();
      await t.budgets(1000, 1000, 1000);
      const id = await t.reserveId(10);
      for (const [call, send] of Object.entries(metadataCalls(t.ledger, id))) {
        const at = call.includes('custom') ? 'metrics.custom' : 'metadata';
        const path = Array.isArray(value) ? `${at}.list.v[1]` : `${at}.list.v`;
        await expectInvalid(send({ ok: 1, list: { v: value } }), path, rule);
      }
      await unchanged(t, 1);
    });
  }

  it('honours the metadataLimits option (depth and size)', async () => {
    const t = await fresh({ metadataLimits: { maxDepth: 4, maxBytes: 1_024 } });
    await t.budgets(1000);
    expect((await t.reserve(1, { metadata: nested(4) })).decision).toBe('ALLOW');
    await expectError(t.reserve(1, { metadata: nested(5) }), 'INVALID_REQUEST', 'at most 4 levels deep');
    expect((await t.reserve(1, { metadata: { t: 'x'.repeat(1_000) } })).decision).toBe('ALLOW');
    await expectError(
      t.reserve(1, { metadata: { t: 'x'.repeat(1_020) } }),
      'INVALID_REQUEST',
      'must be at most 1024 bytes',
    );
    await t.check();
  });

  for (const reserved of ['__proto__', 'constructor', 'prototype']) {
    it(`refuses a "${reserved}" key in metadata and dimensions, never drops it`, async () => {
      const t = await fresh();
      await t.budgets(1000, 1000, 1000);
      const id = await t.reserveId(10);
      const top = JSON.parse(`{"a":1,"${reserved}":{"x":1}}`);
      const deep = JSON.parse(`{"a":{"b":[{"${reserved}":1}]}}`);
      for (const [call, send] of Object.entries(metadataCalls(t.ledger, id))) {
        const at = call.includes('custom') ? 'metrics.custom' : 'metadata';
        await expectInvalid(send(top), `${at}.${reserved}`, 'is a reserved key');
        await expectInvalid(send(deep), `${at}.a.b[0].${reserved}`, 'is a reserved key');
      }
      const dimensions = JSON.parse(`{"team":"a","${reserved}":"x"}`);
      await expectInvalid(
        t.reserve(10, { subject: { ...SUBJECT, dimensions } }),
        `subject.dimensions.${reserved}`,
        'is a reserved key',
      );
      await unchanged(t, 1);
    });
  }

  it('never replays a payload that differs only in a __proto__ key as the original', async () => {
    const t = await fresh();
    await t.budgets(1000);
    const idempotencyKey = key();
    const first = await t.reserve(10, { idempotencyKey, metadata: { a: 1 } });
    const sneaky = JSON.parse('{"a":1,"__proto__":{"admin":true}}');
    await expectError(t.reserve(10, { idempotencyKey, metadata: sneaky }), 'INVALID_REQUEST', '__proto__');
    const dims = JSON.parse('{"__proto__":"x"}');
    await expectError(
      t.reserve(10, { idempotencyKey, subject: { ...SUBJECT, dimensions: dims } }),
      'INVALID_REQUEST',
      '__proto__',
    );
    expect((await t.reserve(10, { idempotencyKey, metadata: { a: 1 } })).reservationId).toBe(
      first.reservationId,
    );
    expect(await t.remaining(SCOPES[0])).toBe(990);
  });
}
