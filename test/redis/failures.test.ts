/**
 * What the store does when Redis misbehaves. Each test runs its own redis-server, so flushing,
 * pausing, filling or killing it never disturbs the server other test files share.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/core/record.js';
import type { ConditionalWrite } from '../../src/core/ports/store.js';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { freePort, spawnRedis, type RedisProcess } from '../setup/spawn-redis.js';
import { connectRedis, readAllEntries, sampleRecord } from '../support/redis-test-kit.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function privateServer(options: Parameters<typeof spawnRedis>[0] = {}): Promise<RedisProcess> {
  const server = await spawnRedis(options);
  cleanups.push(() => server.stop({ abrupt: true }));
  return server;
}

function isStoreUnavailable(pattern: RegExp) {
  return (error: unknown) =>
    isReconcilerError(error, 'STORE_UNAVAILABLE') && (error as Error).cause !== undefined && pattern.test((error as Error).message);
}

async function seed(store: RedisStore, count: number): Promise<void> {
  await store.writeBatch(
    Array.from({ length: count }, (_, i) => ({ op: 'put' as const, id: `r${i}`, record: sampleRecord(`r${i}`), expectedVersion: null })),
  );
}

/** One run of a toy reconciler: every record not yet `stopped` is moved to `stopped` at the version read. */
async function stopEverything(store: RedisStore, batchSize = 10): Promise<number> {
  let applied = 0;
  for await (const batch of store.readBatches({ batchSize })) {
    const writes: ConditionalWrite[] = batch
      .filter(
        (entry): entry is typeof entry & { record: InstanceRecord } => entry.record !== undefined && entry.record.status !== 'stopped',
      )
      .map((entry) => ({ op: 'put', id: entry.id, record: { ...entry.record, status: 'stopped' }, expectedVersion: entry.version }));
    const results = await store.writeBatch(writes);
    applied += results.filter((result) => result.outcome === 'ok').length;
  }
  return applied;
}

describe('Redis store under failures', () => {
  it('SCRIPT FLUSH in the middle of a run does not break its reads or writes', async () => {
    const server = await privateServer();
    const redis = connectRedis(server.url);
    cleanups.push(() => redis.quit());
    const admin = connectRedis(server.url);
    cleanups.push(() => admin.quit());
    const store = createRedisStore({ redis, prefix: 'flush' });
    await seed(store, 50);
    let batches = 0;
    let applied = 0;
    for await (const batch of store.readBatches({ batchSize: 10 })) {
      batches += 1;
      // Before every read script and every write script of the run, the server forgets all scripts.
      await admin.script('FLUSH');
      const results = await store.writeBatch(
        batch.map((entry) => ({
          op: 'put',
          id: entry.id,
          record: { ...(entry.record as InstanceRecord), status: 'stopped' },
          expectedVersion: entry.version,
        })),
      );
      applied += results.filter((result) => result.outcome === 'ok').length;
      await admin.script('FLUSH');
    }
    expect(batches).toBe(5);
    expect(applied).toBe(50);
    expect((await store.list()).every((record) => record.status === 'stopped')).toBe(true);
  });

  it('a Redis restart mid-run surfaces STORE_UNAVAILABLE, leaves no record half-written, and the next run converges', async () => {
    const server = await privateServer({ persist: true });
    const redis = connectRedis(server.url);
    cleanups.push(async () => redis.disconnect());
    const store = createRedisStore({ redis, prefix: 'restart', writeChunkSize: 10 });
    await seed(store, 60);

    // Kill Redis (as a crash would) right after the second write script of the run landed.
    let scriptCalls = 0;
    const applyWrites = redis.novitaReconcilerApplyWrites.bind(redis);
    redis.novitaReconcilerApplyWrites = (async (...args: Parameters<typeof applyWrites>) => {
      const reply = await applyWrites(...args);
      scriptCalls += 1;
      if (scriptCalls === 2) await server.stop({ abrupt: true });
      return reply;
    }) as typeof applyWrites;

    await expect(stopEverything(store, 60)).rejects.toSatisfy(isStoreUnavailable(/conditional write failed/));
    await expect(store.count()).rejects.toSatisfy(isStoreUnavailable(/failed/));

    await server.restart();
    const entries = await readAllEntries(store);
    // Every record survived whole: 20 written before the crash, the other 40 untouched.
    expect(entries.length).toBe(60);
    expect(entries.every((entry) => entry.record !== undefined)).toBe(true);
    expect(entries.filter((entry) => entry.record?.status === 'stopped').length).toBe(20);

    expect(await stopEverything(store)).toBe(40);
    expect(await stopEverything(store)).toBe(0);
    expect((await store.list()).every((record) => record.status === 'stopped')).toBe(true);
  });

  it('connection refused becomes STORE_UNAVAILABLE with the cause and the connection error', async () => {
    const store = createRedisStore({ url: `redis://127.0.0.1:${await freePort()}`, prefix: 'refused', commandTimeoutMs: 2_000 });
    cleanups.push(() => store.close());
    const failure = await store.count().catch((error: unknown) => error);
    expect(isReconcilerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect((failure as Error).cause).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('a command timeout becomes STORE_UNAVAILABLE, and the store works again once Redis answers', async () => {
    const server = await privateServer();
    const admin = connectRedis(server.url);
    cleanups.push(() => admin.quit());
    const store = createRedisStore({ url: server.url, prefix: 'timeout', commandTimeoutMs: 150 });
    cleanups.push(() => store.close());
    await store.put(sampleRecord('r1'));
    await admin.client('PAUSE', 600, 'ALL');
    await expect(store.get('r1')).rejects.toSatisfy(isStoreUnavailable(/timed out/i));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await store.get('r1'))?.id).toBe('r1');
  });

  it('READONLY from a replica becomes STORE_UNAVAILABLE and nothing is written', async () => {
    const primary = await privateServer();
    const replica = await privateServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const redis = connectRedis(replica.url);
    cleanups.push(() => redis.quit());
    const store = createRedisStore({ redis, prefix: 'replica' });
    await expect(store.put(sampleRecord('r1'))).rejects.toSatisfy(isStoreUnavailable(/READONLY/));
    await expect(store.writeBatch([{ op: 'put', id: 'r1', record: sampleRecord('r1'), expectedVersion: null }])).rejects.toSatisfy(
      isStoreUnavailable(/READONLY/),
    );
    expect(await store.count()).toBe(0);
  });

  it('a script error (out of memory) becomes STORE_UNAVAILABLE with the cause', async () => {
    const server = await privateServer();
    const redis = connectRedis(server.url);
    cleanups.push(() => redis.quit());
    const store = createRedisStore({ redis, prefix: 'oom' });
    await store.put(sampleRecord('r1'));
    const version = (await readAllEntries(store))[0]?.version ?? '';
    await redis.config('SET', 'maxmemory', '1');
    await expect(
      store.writeBatch([{ op: 'put', id: 'r1', record: sampleRecord('r1', { status: 'stopped' }), expectedVersion: version }]),
    ).rejects.toSatisfy(isStoreUnavailable(/OOM/));
    await redis.config('SET', 'maxmemory', '0');
    expect((await store.get('r1'))?.status).toBe('running');
  });
});
