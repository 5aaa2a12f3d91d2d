/**
 * A caller's signal ends the store's and the lock's waits on Redis, even with the client the README
 * shows (`new Redis(url)`: no command timeout, so a reply that never comes is waited for forever).
 * Redis sits behind a proxy that stops answering while keeping the connection open.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import {
  createRedisLock,
  createRedisStore,
  writeBatchProgress,
  type RedisConditionalWrite,
  type RedisStore,
} from '../../src/redis/index.js';
import { dropPrefix, requireRedisUrl, sampleRecord, uniquePrefix, versionOf } from '../support/redis-test-kit.js';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

/** A store on `new Redis(proxyUrl)`, seeded through the proxy while it still answers. */
async function storeBehindProxy(
  records: number,
  options: { writeChunkSize?: number } = {},
): Promise<{ proxy: StallingProxy; redis: Redis; store: RedisStore }> {
  const proxy = await startStallingProxy(requireRedisUrl());
  cleanups.push(() => proxy.close());
  const redis = new Redis(proxy.url);
  cleanups.push(() => redis.disconnect());
  const prefix = uniquePrefix('abort');
  cleanups.push(async () => {
    const direct = new Redis(requireRedisUrl());
    await dropPrefix(direct, prefix);
    direct.disconnect();
  });
  const store = createRedisStore({ redis, prefix, ...options });
  await store.writeBatch(
    Array.from({ length: records }, (_, i) => ({ op: 'put' as const, id: `r${i}`, record: sampleRecord(`r${i}`), expectedVersion: null })),
  );
  return { proxy, redis, store };
}

/** Rejects with what `run` rejected with, and how long that took. */
async function timedFailure(run: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await run().then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  );
  return { error, ms: Date.now() - started };
}

const isAborted = (error: unknown) => isReconcilerError(error, 'ABORTED');

describe('Redis store: a signal ends a wait on a Redis that never answers', () => {
  it('readBatches rejects ABORTED about when its signal aborts', async () => {
    const { proxy, store } = await storeBehindProxy(5);
    proxy.stall();
    const { error, ms } = await timedFailure(async () => {
      for await (const batch of store.readBatches({ signal: AbortSignal.timeout(200) })) expect(batch).toBeDefined();
    });
    expect(isAborted(error)).toBe(true);
    expect(ms).toBeLessThan(1_500);
  });

  it('writeBatch rejects ABORTED about when its signal aborts, and calls the chunk it was waiting for in doubt: it may still land', async () => {
    const { proxy, store } = await storeBehindProxy(3);
    const writes: RedisConditionalWrite[] = [];
    for (let i = 0; i < 3; i += 1)
      writes.push({
        op: 'put',
        id: `r${i}`,
        record: sampleRecord(`r${i}`, { status: 'stopped' }),
        expectedVersion: await versionOf(store, `r${i}`),
      });
    proxy.stall();
    const { error, ms } = await timedFailure(() => store.writeBatch(writes, { signal: AbortSignal.timeout(200) }));
    expect(isAborted(error)).toBe(true);
    expect(ms).toBeLessThan(1_500);
    expect(writeBatchProgress(error)).toEqual({ writeResults: [], writesInDoubt: 3 });
    // Once the path is back, the script that was on its way applies: "in doubt" was the truth.
    proxy.resume();
    for (let attempt = 0; attempt < 50 && (await store.get('r0'))?.status !== 'stopped'; attempt += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await store.list()).map((record) => record.status)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('a batch aborted while a later chunk waits reports the chunks before it exactly', async () => {
    const { proxy, redis, store } = await storeBehindProxy(6, { writeChunkSize: 2 });
    const writes: RedisConditionalWrite[] = [];
    for (let i = 0; i < 6; i += 1)
      writes.push({
        op: 'put',
        id: `r${i}`,
        record: sampleRecord(`r${i}`, { status: 'stopped' }),
        expectedVersion: await versionOf(store, `r${i}`),
      });
    const applyWrites = redis.novitaReconcilerApplyWrites.bind(redis);
    let calls = 0;
    redis.novitaReconcilerApplyWrites = ((...args: Parameters<typeof applyWrites>) => {
      calls += 1;
      if (calls === 2) proxy.stall();
      return applyWrites(...args);
    }) as typeof applyWrites;
    const { error, ms } = await timedFailure(() => store.writeBatch(writes, { signal: AbortSignal.timeout(200) }));
    expect(isAborted(error)).toBe(true);
    expect(ms).toBeLessThan(1_500);
    const progress = writeBatchProgress(error);
    expect(progress?.writeResults.map((result) => [result.id, result.outcome])).toEqual([
      ['r0', 'ok'],
      ['r1', 'ok'],
    ]);
    expect(progress?.writesInDoubt).toBe(2);
  });

  it('an aborted wait leaves no listener on the caller’s signal', async () => {
    const { store } = await storeBehindProxy(20);
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added += 1;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed += 1;
      remove(...args);
    }) as typeof remove;
    let records = 0;
    for await (const batch of store.readBatches({ batchSize: 3, signal: controller.signal })) records += batch.length;
    expect(records).toBe(20);
    expect(added).toBeGreaterThan(0);
    expect(removed).toBe(added);
  });
});

describe('Redis lock: a signal ends a wait on a Redis that never answers', () => {
  it('acquire and lastCompletedRun reject ABORTED about when their signal aborts', async () => {
    const { proxy, store } = await storeBehindProxy(0);
    const lock = createRedisLock({ store, ttlMs: 5_000 });
    proxy.stall();
    const acquired = await timedFailure(() => lock.acquire({ signal: AbortSignal.timeout(200) }));
    expect(isAborted(acquired.error)).toBe(true);
    expect(acquired.ms).toBeLessThan(1_500);
    const read = await timedFailure(() => lock.lastCompletedRun({ signal: AbortSignal.timeout(200) }));
    expect(isAborted(read.error)).toBe(true);
    expect(read.ms).toBeLessThan(1_500);
  });

  it('a lock whose acquire was given up gives the key back when its SET lands after all', async () => {
    const { proxy, redis, store } = await storeBehindProxy(0);
    const lock = createRedisLock({ store, ttlMs: 30_000 });
    proxy.stall();
    const { error } = await timedFailure(() => lock.acquire({ signal: AbortSignal.timeout(100) }));
    expect(isAborted(error)).toBe(true);
    proxy.resume();
    // Replies come in order on the connection: the first PING answers after the late SET did (which
    // then sends the release), the second after the release did.
    await redis.ping();
    await redis.ping();
    expect(await redis.exists(store.keys.lock)).toBe(0);
    expect(await lock.acquire()).not.toBeNull();
  });
});
