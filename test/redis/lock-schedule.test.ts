/**
 * The Redis lock's share of the replicas' schedule (the time of the last completed run, kept next to
 * the lock key) and its manners on a shared client (no listeners left behind).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisLock, createRedisStore, hashTagOf, type RedisLock, type RedisLockLease } from '../../src/redis/index.js';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefixes: string[] = [];
const leases: RedisLockLease[] = [];
const extraClients: ReturnType<typeof connectRedis>[] = [];

function freshPrefix(name: string): string {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return prefix;
}

async function take(lock: RedisLock): Promise<RedisLockLease> {
  const lease = await lock.acquire();
  if (lease === null) throw new Error('lock unexpectedly held');
  leases.push(lease);
  return lease;
}

afterEach(async () => {
  for (const lease of leases.splice(0)) await lease.release();
});
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await Promise.all([redis, ...extraClients].map((client) => client.quit()));
});

describe('Redis lock: the last completed run', () => {
  it('none is recorded until a lease records one; then the lock reads it back to the millisecond', async () => {
    const lock = createRedisLock({ store: createRedisStore({ redis, prefix: freshPrefix('last-run') }) });
    expect(await lock.lastCompletedRun()).toBeNull();
    const lease = await take(lock);
    const at = new Date('2026-05-04T03:02:01.234Z');
    expect(await lease.recordCompletedRun(at)).toBe(true);
    expect(await lock.lastCompletedRun()).toEqual(at);
  });

  it('without a time, a lease records the Redis server clock; sinceLastCompletedRun measures the age on that clock too', async () => {
    const lock = createRedisLock({ store: createRedisStore({ redis, prefix: freshPrefix('server-clock') }) });
    expect(await lock.sinceLastCompletedRun()).toBeNull();
    const [seconds, micros] = (await redis.time()).map(Number) as [number, number];
    const serverBefore = seconds * 1000 + Math.floor(micros / 1000);
    expect(await (await take(lock)).recordCompletedRun()).toBe(true);
    const recorded = (await lock.lastCompletedRun())?.getTime() ?? 0;
    expect(recorded).toBeGreaterThanOrEqual(serverBefore);
    expect(recorded - serverBefore).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const age = await lock.sinceLastCompletedRun();
    expect(age).toBeGreaterThanOrEqual(100);
    expect(age).toBeLessThan(2_000);
  });

  it('sinceLastCompletedRun is the server clock less the recorded time, whatever this machine says', async () => {
    const lock = createRedisLock({ store: createRedisStore({ redis, prefix: freshPrefix('since') }) });
    const [seconds] = (await redis.time()).map(Number) as [number, number];
    // A run recorded (by a replica with a clock an hour fast) as an hour from the server's now.
    expect(await (await take(lock)).recordCompletedRun(new Date(seconds * 1000 + 3_600_000))).toBe(true);
    const age = (await lock.sinceLastCompletedRun()) ?? 0;
    expect(age).toBeLessThan(-3_590_000);
    expect(age).toBeGreaterThan(-3_600_000);
  });

  it('two locks with different keys keep separate times', async () => {
    const prefixA = freshPrefix('account-a');
    const accountA = createRedisLock({ redis, prefix: prefixA });
    const accountB = createRedisLock({ redis, prefix: freshPrefix('account-b') });
    // A second scope in account A's namespace, with its own lock key.
    const scoped = createRedisLock({ redis, key: `{${prefixA}}:lock:scope-eu` });
    const at = new Date('2026-01-02T00:00:00.000Z');
    expect(await (await take(accountA)).recordCompletedRun(at)).toBe(true);
    expect(await accountA.lastCompletedRun()).toEqual(at);
    expect(await accountB.lastCompletedRun()).toBeNull();
    expect(await scoped.lastCompletedRun()).toBeNull();
    const later = new Date('2026-01-02T00:30:00.000Z');
    expect(await (await take(scoped)).recordCompletedRun(later)).toBe(true);
    expect(await accountA.lastCompletedRun()).toEqual(at);
    expect(await scoped.lastCompletedRun()).toEqual(later);
  });

  it('a time recorded by one replica’s lease is read by another replica’s lock, on another connection', async () => {
    const prefix = freshPrefix('replicas');
    const other = connectRedis();
    extraClients.push(other);
    const replicaA = createRedisLock({ store: createRedisStore({ redis, prefix }) });
    const replicaB = createRedisLock({ store: createRedisStore({ redis: other, prefix }) });
    const at = new Date('2026-02-03T04:05:06.789Z');
    expect(await (await take(replicaA)).recordCompletedRun(at)).toBe(true);
    expect(await replicaB.lastCompletedRun()).toEqual(at);
  });

  it('a lease that lost its lock cannot record, and the time another replica recorded stays', async () => {
    const prefix = freshPrefix('lost');
    const store = createRedisStore({ redis, prefix });
    const lock = createRedisLock({ store, ttlMs: 5_000 });
    const stale = await take(lock);
    // The key expired and another owner took it, before this lease noticed anything.
    await redis.set(store.keys.lock, 'another-owner', 'PX', 5_000);
    expect(await stale.recordCompletedRun(new Date('2026-01-01T00:00:00.000Z'))).toBe(false);
    expect(await lock.lastCompletedRun()).toBeNull();

    await redis.del(store.keys.lock);
    const current = await take(lock);
    const at = new Date('2026-01-01T01:00:00.000Z');
    expect(await current.recordCompletedRun(at)).toBe(true);
    await redis.set(store.keys.lock, 'another-owner', 'PX', 5_000);
    expect(await current.recordCompletedRun(new Date('2026-01-01T02:00:00.000Z'))).toBe(false);
    expect(await lock.lastCompletedRun()).toEqual(at);
  });

  it('a released lease records nothing and does not even ask Redis', async () => {
    const lock = createRedisLock({ redis, prefix: freshPrefix('released') });
    const lease = await take(lock);
    await lease.release();
    expect(await lease.recordCompletedRun(new Date())).toBe(false);
    expect(await lock.lastCompletedRun()).toBeNull();
  });

  it('the time is kept in the lock’s hash slot, also for a lock key without a hash tag', async () => {
    const prefix = freshPrefix('slot');
    const tagged = createRedisLock({ redis, prefix });
    await (await take(tagged)).recordCompletedRun(new Date(1_000));
    const keys = await redis.keys(`{${prefix}}*`);
    expect(keys).toContain(`{${prefix}}:lock:last-completed-run`);
    for (const key of keys) expect(hashTagOf(key)).toBe(prefix);

    const plainKey = `plain-${prefix}`;
    const plain = createRedisLock({ redis, key: plainKey });
    await (await take(plain)).recordCompletedRun(new Date(2_000));
    // `{k}:...` hashes the text k, and a key without braces hashes whole: the same slot.
    expect(await redis.get(`{${plainKey}}:last-completed-run`)).toBe('2000');
    await redis.del(`{${plainKey}}:last-completed-run`);
  });

  it('an unreadable stored time rejects (the scheduler then runs), and a bad time to record is refused', async () => {
    const prefix = freshPrefix('unreadable');
    const lock = createRedisLock({ redis, prefix });
    await redis.set(`{${prefix}}:lock:last-completed-run`, 'yesterday');
    const failure = await lock.lastCompletedRun().catch((error: unknown) => error);
    expect(isReconcilerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
    const lease = await take(lock);
    await expect(lease.recordCompletedRun(new Date('not a date'))).rejects.toSatisfy((error: unknown) =>
      isReconcilerError(error, 'CONFIG_INVALID'),
    );
  });

  it('lastCompletedRun honours an aborted signal', async () => {
    const lock = createRedisLock({ redis, prefix: freshPrefix('abort') });
    await expect(lock.lastCompletedRun({ signal: AbortSignal.abort() })).rejects.toSatisfy((error: unknown) =>
      isReconcilerError(error, 'ABORTED'),
    );
  });
});

describe('Redis lock on a shared client', () => {
  function listenerCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const event of ['error', 'ready', 'end', 'close', 'reconnecting', 'connect']) counts[event] = redis.listenerCount(event);
    return counts;
  }

  it('50 locks on one client, each taken and released, leave no listener on the client', async () => {
    const before = listenerCounts();
    const prefix = freshPrefix('listeners');
    const locks = Array.from({ length: 50 }, (_, i) => createRedisLock({ redis, key: `{${prefix}}:lock:${i}`, ttlMs: 5_000 }));
    expect(listenerCounts()).toEqual(before);
    const taken = await Promise.all(locks.map((lock) => lock.acquire()));
    expect(taken.every((lease) => lease !== null)).toBe(true);
    expect(listenerCounts()).toEqual(before);
    await Promise.all(taken.map((lease) => lease?.release()));
    expect(listenerCounts()).toEqual(before);
  });

  it('50 acquires in flight at once on one client add at most one listener per event, and no MaxListeners warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const before = listenerCounts();
      const prefix = freshPrefix('listeners-concurrent');
      const pending = Array.from({ length: 50 }, (_, i) =>
        createRedisLock({ redis, key: `{${prefix}}:lock:${i}`, ttlMs: 5_000 }).acquire(),
      );
      const inFlight = listenerCounts();
      expect((inFlight.error ?? 0) - (before.error ?? 0)).toBeLessThanOrEqual(1);
      expect((inFlight.ready ?? 0) - (before.ready ?? 0)).toBeLessThanOrEqual(1);
      const taken = await Promise.all(pending);
      leases.push(...taken.filter((lease): lease is RedisLockLease => lease !== null));
      expect(listenerCounts()).toEqual(before);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
