import { InternalError, isTransportFailure } from '@governor/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyRedisError, RedisUnavailableError } from '../src/errors.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url, { lazyConnect: true });
afterAll(() => redis.quit());

describe('Redis errors, classified', () => {
  it('a script that fails on the server is a bug: not a transport failure, never failed open', async () => {
    const error = await redis
      .eval("return redis.call('INCR', KEYS[1], 'extra')", 1, 'governor-test:x')
      .catch((e: unknown) => e);
    const classified = classifyRedisError(error);
    expect(classified).toBeInstanceOf(InternalError);
    expect(isTransportFailure(classified)).toBe(false);
  });

  it('a server that is not reachable is a transport failure', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    const error = await dead.ping().catch((e: unknown) => e);
    const classified = classifyRedisError(error);
    expect(classified).toBeInstanceOf(RedisUnavailableError);
    expect(isTransportFailure(classified)).toBe(true);
    dead.disconnect();
  });

  it('an error of our own code passes through unchanged', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'amount')");
    expect(classifyRedisError(bug)).toBe(bug);
    expect(isTransportFailure(bug)).toBe(false);
  });
});
