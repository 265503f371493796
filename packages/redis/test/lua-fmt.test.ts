/**
 * lib.lua's fmt, held to the general path: '%d' for integers (and the texts it
 * remembers, also the ones figure() reads from a hash) must write exactly what
 * string.format('%.0f') writes, for every integer a ledger can hold.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL } from './support.js';

const lib = readFileSync(new URL('../src/lua/lib.lua', import.meta.url), 'utf8');
const redis = new Redis(REDIS_URL, { lazyConnect: true });
afterAll(() => redis.quit());

/** Runs `body` after lib.lua (with the four audit arguments it reads from the end: no trail). */
const run = (body: string, args: string[]) => redis.eval(`${lib}\n${body}`, 0, ...args, '', '0', '0', '');

const MAX = Number.MAX_SAFE_INTEGER;
const VALUES = [
  0,
  1,
  -1,
  7,
  999,
  1_000,
  900,
  1e15,
  1_796_220_492_782,
  123_456_789_012_345,
  MAX,
  -MAX,
  MAX - 1,
];

describe('lib.lua fmt', () => {
  it("writes every integer a ledger holds as string.format('%.0f') does, first time and remembered", async () => {
    const out = (await run(
      `local out = {}
       for i = 1, #ARGV - 4 do
         local n = tonumber(ARGV[i])
         local first, again = fmt(n), fmt(n)
         out[i] = { first, again, string.format('%.0f', n) }
       end
       return out`,
      VALUES.map(String),
    )) as string[][];
    out.forEach(([first, again, general], i) => {
      expect(first, `fmt(${VALUES[i]})`).toBe(general);
      expect(again).toBe(general);
      expect(first).toBe(String(VALUES[i]));
    });
  });

  it("writes a figure read from a hash back as the text it was stored as, and sums of figures as '%.0f' does", async () => {
    const stored = VALUES.map((v) => String(Math.abs(v)));
    const out = (await run(
      `local out = {}
       for i = 1, #ARGV - 4 do
         local n = figure(ARGV[i])
         out[i] = { fmt(n), fmt(n - 1), string.format('%.0f', n - 1) }
       end
       return out`,
      stored,
    )) as string[][];
    out.forEach(([text, less, general], i) => {
      expect(text).toBe(stored[i]);
      expect(less).toBe(general);
    });
  });
});
