/**
 * The Redis store on ioredis-mock, in the unit tier (no server): the whole store contract, plus what
 * only the mock path has to prove. ioredis-mock's Lua has neither `redis.sha1hex` nor `cjson`, so the
 * store picks its portable scripts for it by itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/core/record.js';
import { isReconcilerError } from '../../src/errors.js';
import { createReconciler } from '../../src/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { createRedisLock, createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/redis/index.js';
import { isIoredisMock } from '../../src/redis/script-flavour.js';
import { defineStoreContract } from '../../src/testing/store-contract.js';
import { sampleRecord } from '../support/redis-test-kit.js';

const redis = new RedisMock();
afterAll(() => redis.disconnect());

function mockHarness(options: Omit<RedisStoreOptions, 'redis' | 'prefix'> = {}) {
  const prefix = `mock:${randomBytes(6).toString('hex')}`;
  const store = createRedisStore({ ...options, redis, prefix });
  return {
    store,
    async writeRaw(id: string, text: string) {
      await redis.multi().set(store.keys.record(id), text).sadd(store.keys.index, id).exec();
    },
    async deleteRaw(id: string) {
      await redis.multi().del(store.keys.record(id)).srem(store.keys.index, id).exec();
    },
  };
}

defineStoreContract({ describe, it }, { name: 'Redis store on ioredis-mock', create: () => mockHarness() });
defineStoreContract(
  { describe, it },
  { name: 'Redis store on ioredis-mock (write chunks of 3, audit on)', create: () => mockHarness({ writeChunkSize: 3, audit: true }) },
);

async function versionOf(store: RedisStore, id: string): Promise<string> {
  for await (const batch of store.readBatches()) {
    const entry = batch.find((candidate) => candidate.id === id);
    if (entry !== undefined) return entry.version;
  }
  throw new Error(`record ${id} not found`);
}

describe('Redis store on ioredis-mock', () => {
  it('is recognised as ioredis-mock from its own fields, without a command sent', () => {
    expect(isIoredisMock(redis)).toBe(true);
    expect(isIoredisMock(new RedisMock.Cluster([]))).toBe(true);
  });

  it('versions are the SHA-1 hex of the stored text, the same as Redis computes, non-ASCII text included', async () => {
    const { store } = mockHarness();
    const stored = sampleRecord('r1', { labels: { team: 'Zürich 漢字 🙂'.repeat(20) } } as Partial<InstanceRecord>);
    await store.put(stored);
    const text = await redis.get(store.keys.record('r1'));
    expect(await versionOf(store, 'r1')).toBe(
      createHash('sha1')
        .update(text ?? '', 'utf8')
        .digest('hex'),
    );
  });

  it('the audit trail records a mark-terminated once: re-writing a record already terminated adds no entry', async () => {
    const { store } = mockHarness({ audit: true });
    await store.put(sampleRecord('r1'));
    const [first] = await store.writeBatch(
      [
        {
          op: 'put',
          id: 'r1',
          record: sampleRecord('r1', { status: 'terminated' }),
          expectedVersion: await versionOf(store, 'r1'),
          reason: 'gone',
          destructive: true,
        },
      ],
      { runId: 'run-1' },
    );
    expect(first?.outcome).toBe('ok');
    const [second] = await store.writeBatch([
      {
        op: 'put',
        id: 'r1',
        record: sampleRecord('r1', { status: 'terminated', terminationReason: 'gone at Novita' } as Partial<InstanceRecord>),
        expectedVersion: await versionOf(store, 'r1'),
      },
    ]);
    expect(second?.outcome).toBe('ok');
    const trail = await store.readAuditTrail();
    expect(trail.map((entry) => [entry.kind, entry.recordId, entry.runId, entry.reason])).toEqual([
      ['mark-terminated', 'r1', 'run-1', 'gone'],
    ]);
  });

  it('a lock on the mock takes, renews and releases its key, and keeps the time of the last completed run', async () => {
    const { store } = mockHarness();
    const lock = createRedisLock({ store, ttlMs: 1_000 });
    const lease = await lock.acquire();
    expect(lease).not.toBeNull();
    expect(await lock.acquire()).toBeNull();
    const at = new Date('2026-03-01T12:00:00.000Z');
    expect(await lease!.recordCompletedRun(at)).toBe(true);
    expect(await lock.lastCompletedRun()).toEqual(at);
    await lease!.release();
    expect(await lease!.recordCompletedRun(at)).toBe(false);
    expect(await lock.acquire()).not.toBeNull();
  });

  it('a reconciler run with the lock on the mock refreshes, terminates and removes records as on Redis, with audit entries', async () => {
    const { store } = mockHarness({ audit: true });
    const created = new Date(Date.now() - 86_400_000).toISOString();
    await store.put({ id: 'kept', novitaInstanceId: 'nv-kept', status: 'running', novitaStatus: 'running', timestamps: { created } });
    await store.put({ id: 'stopped', novitaInstanceId: 'nv-stopped', status: 'running', novitaStatus: 'running', timestamps: { created } });
    await store.put({ id: 'vanished', novitaInstanceId: 'nv-vanished', status: 'running', timestamps: { created, started: created } });
    await store.put({ id: 'never', novitaInstanceId: 'nv-never', status: 'starting', timestamps: { created } });
    const novitaClient = createScriptedNovitaClient({
      instances: [
        { id: 'nv-kept', status: 'running' },
        { id: 'nv-stopped', status: 'exited' },
      ],
    });
    const reconciler = createReconciler({ store, novitaClient, lock: createRedisLock({ store, ttlMs: 5_000 }) });
    const report = await reconciler.sync();
    expect(report).toMatchObject({ updated: 1, markedTerminated: 1, removed: 1, unchanged: 1 });
    expect((await store.get('vanished'))?.status).toBe('terminated');
    expect(await store.get('never')).toBeNull();
    expect((await store.readAuditTrail()).map((entry) => [entry.kind, entry.recordId, entry.runId]).sort()).toEqual([
      ['mark-terminated', 'vanished', report.runId],
      ['remove', 'never', report.runId],
    ]);
    expect((await reconciler.sync()).updated).toBe(0);
  });

  it('the standard scripts asked for explicitly on the mock reject CONFIG_INVALID naming scripts, since its Lua lacks redis.sha1hex', async () => {
    const store = createRedisStore({ redis, prefix: `mock:${randomBytes(6).toString('hex')}`, scripts: 'standard' });
    const failure = await store.put(sampleRecord('r1')).catch((error: unknown) => error);
    expect(isReconcilerError(failure, 'CONFIG_INVALID')).toBe(true);
    expect((failure as { field?: string }).field).toBe('scripts');
    expect((failure as Error).message).toMatch(/redis\.sha1hex/);
    expect(await redis.exists(store.keys.record('r1'))).toBe(0);
  });

  it('a scripts value that is not one of the three is refused when the store is created', () => {
    expect(() => createRedisStore({ redis, prefix: 'x', scripts: 'lua51' as never })).toThrow(
      /scripts: must be one of "auto", "standard", "portable"/,
    );
  });

  it('a real ioredis client is not taken for the mock', async () => {
    const { Redis: RealRedis } = await import('ioredis');
    const real: Redis = new RealRedis({ lazyConnect: true });
    try {
      expect(isIoredisMock(real)).toBe(false);
    } finally {
      real.disconnect();
    }
  });
});
