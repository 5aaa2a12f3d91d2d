/**
 * Issue 7.3's repro over the real parts: the reconciler on a Redis store built as the README shows
 * (`new Redis(url)`, no command timeout), with Redis behind a proxy that stops answering while keeping
 * the connection open. Before, `sync()` stayed pending forever and `stop()` hung with it. Now the run
 * ends: by the store deadline, the caller's signal, or a lost lease.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createReconciler, type ReconcilerError } from '../../src/index.js';
import { createRedisLock, createRedisStore } from '../../src/redis/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { dropPrefix, requireRedisUrl, sampleRecord, uniquePrefix } from '../support/redis-test-kit.js';
import { startStallingProxy } from '../support/stalling-proxy.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

async function stalledSetup(records: number) {
  const proxy = await startStallingProxy(requireRedisUrl());
  cleanups.push(() => proxy.close());
  const redis = new Redis(proxy.url);
  cleanups.push(() => redis.disconnect());
  const prefix = uniquePrefix('stalled-run');
  cleanups.push(async () => {
    const direct = new Redis(requireRedisUrl());
    await dropPrefix(direct, prefix);
    direct.disconnect();
  });
  const store = createRedisStore({ redis, prefix });
  await store.writeBatch(
    Array.from({ length: records }, (_, i) => ({ op: 'put' as const, id: `r${i}`, record: sampleRecord(`r${i}`), expectedVersion: null })),
  );
  return { proxy, store };
}

async function timedRejection(promise: Promise<unknown>): Promise<{ error: ReconcilerError; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error: error as ReconcilerError, ms: Date.now() - started };
  }
  throw new Error('expected a rejection');
}

describe('a run on a Redis that stops answering', () => {
  it('ends with STORE_UNAVAILABLE at the store deadline, though the client has no command timeout', async () => {
    const { proxy, store } = await stalledSetup(20);
    proxy.stall();
    const reconciler = createReconciler({ store, novitaClient: createScriptedNovitaClient(), storeTimeoutMs: 500 });
    const { error, ms } = await timedRejection(reconciler.sync());
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(ms).toBeLessThan(3_000);
  });

  it("ends with ABORTED when the caller's signal aborts", async () => {
    const { proxy, store } = await stalledSetup(20);
    proxy.stall();
    const reconciler = createReconciler({ store, novitaClient: createScriptedNovitaClient() });
    const { error, ms } = await timedRejection(reconciler.sync({ signal: AbortSignal.timeout(300) }));
    expect(error.code).toBe('ABORTED');
    expect(ms).toBeLessThan(3_000);
  });

  it('ends with LOCK_LOST at once when the lease cannot be renewed', async () => {
    const { proxy, store } = await stalledSetup(20);
    // The lock renews through the same connection: once Redis stops answering, it loses its lease.
    const lock = createRedisLock({ store, ttlMs: 600 });
    const scripted = createScriptedNovitaClient();
    const novitaClient = {
      getInstance: scripted.getInstance.bind(scripted),
      // Redis stops answering once the run holds the lock; the listing then takes its time (ignoring the signal).
      listInstances: async () => {
        proxy.stall();
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return scripted.listInstances();
      },
    };
    const reconciler = createReconciler({ store, novitaClient, lock, storeTimeoutMs: 60_000 });
    const { error, ms } = await timedRejection(reconciler.sync());
    expect(error.code).toBe('LOCK_LOST');
    expect(ms).toBeLessThan(2_500);
  });

  it('stop() returns while a scheduled run is stuck taking the lock, once the store deadline passes', async () => {
    const { proxy, store } = await stalledSetup(5);
    proxy.stall();
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      lock: createRedisLock({ store }),
      storeTimeoutMs: 500,
    });
    reconciler.start({ runImmediately: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopped = Date.now();
    await reconciler.stop();
    expect(Date.now() - stopped).toBeLessThan(3_000);
  });
});
