/**
 * The Redis store's and lock's options go through the package's one option rule: an unknown key is a
 * ConfigError naming it (with the nearest valid name), and an empty environment variable is unset.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisLock, createRedisStore } from '../../src/redis/index.js';
import { connectRedis, dropPrefix, requireRedisUrl, sampleRecord } from '../support/redis-test-kit.js';
import { configError } from '../support/config-error.js';

const redis = connectRedis();
afterAll(async () => {
  await redis.quit();
});

describe('Redis store and lock options', () => {
  it('createRedisStore({ redis, prefx }) is refused, naming prefx and suggesting prefix', () => {
    const error = configError(() => createRedisStore({ redis, prefx: 'app' } as never));
    expect(error.field).toBe('prefx');
    expect(error.suggestion).toBe('prefix');
    expect(error.message).toMatch(/is not an option of createRedisStore; did you mean "prefix"\?/);
  });

  it('createRedisLock refuses an unknown key the same way (ttlMS -> ttlMs, prefx -> prefix)', () => {
    const store = createRedisStore({ redis, prefix: 'options-lock' });
    expect(configError(() => createRedisLock({ store, ttlMS: 5_000 } as never)).suggestion).toBe('ttlMs');
    const prefx = configError(() => createRedisLock({ redis, prefx: 'app' } as never));
    expect([prefx.field, prefx.suggestion]).toEqual(['prefx', 'prefix']);
  });

  it('nested audit options are checked too (audit.maxLenght -> audit.maxLength)', () => {
    const error = configError(() => createRedisStore({ redis, prefix: 'x', audit: { maxLenght: 10 } } as never));
    expect([error.field, error.suggestion]).toEqual(['audit.maxLenght', 'maxLength']);
  });

  it('an empty REDIS_KEY_PREFIX (as .env.example leaves it) is unset: the default prefix novita-reconciler is used', () => {
    expect(createRedisStore({ redis, env: { REDIS_KEY_PREFIX: '' } }).keys.prefix).toBe('novita-reconciler');
    expect(createRedisStore({ redis, env: { REDIS_KEY_PREFIX: '   ' } }).keys.prefix).toBe('novita-reconciler');
    expect(createRedisStore({ redis, env: { REDIS_KEY_PREFIX: 'from-env' } }).keys.prefix).toBe('from-env');
  });

  it('an empty REDIS_URL is unset: without a client or URL the factory asks for one of the three, and a given url is used', async () => {
    const error = configError(() => createRedisStore({ env: { REDIS_URL: '' } }));
    expect(error.field).toBe('options.redis');
    expect(error.message).toMatch(/REDIS_URL/);
    expect(error.message).not.toMatch(/redis:\/\/ or rediss:\/\//);
    const store = createRedisStore({ url: requireRedisUrl(), env: { REDIS_URL: '', REDIS_KEY_PREFIX: '' }, prefix: 'options-url' });
    try {
      await store.put(sampleRecord('r1'));
      expect((await store.get('r1'))?.id).toBe('r1');
    } finally {
      await dropPrefix(redis, 'options-url');
      await store.close();
    }
  });

  it('.env.example names the default prefix the code uses', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const lines = example.split('\n');
    const at = lines.findIndex((line) => line.startsWith('REDIS_KEY_PREFIX='));
    const documented = /Default: (\S+)/.exec(lines[at - 1] ?? '')?.[1];
    expect(documented).toBe(createRedisStore({ redis, env: {} }).keys.prefix);
  });

  it('a scripts option that is not one of the three is refused naming scripts', () => {
    expect(configError(() => createRedisStore({ redis, prefix: 'x', scripts: 'lua' as never })).field).toBe('scripts');
  });
});
