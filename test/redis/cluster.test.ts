/**
 * The store and the lock on a real Redis Cluster of three masters started for this file: every key a
 * script touches must share one hash slot, or Cluster refuses the script with CROSSSLOT.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisLock, createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { defineStoreContract } from '../../src/testing/store-contract.js';
import type { StoreContractHarness } from '../../src/testing/store-contract-types.js';
import { readAllEntries, sampleRecord, uniquePrefix, versionOf } from '../support/redis-test-kit.js';
import { spawnRedis, type RedisProcess } from '../setup/spawn-redis.js';

const run = promisify(execFile);
const nodes: RedisProcess[] = [];
let cluster: Cluster;

beforeAll(async () => {
  nodes.push(
    ...(await Promise.all([0, 1, 2].map(() => spawnRedis({ args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] })))),
  );
  await run(
    'redis-cli',
    ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'],
    { timeout: 30_000 },
  );
  // `--cluster create` returns once slots are assigned; wait until every node agrees the cluster is up.
  for (const node of nodes) {
    const client = new Redis(node.url);
    try {
      for (let attempt = 0; ; attempt += 1) {
        if ((await client.cluster('INFO')).includes('cluster_state:ok')) break;
        if (attempt > 100) throw new Error(`cluster node ${node.port} never reached cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      client.disconnect();
    }
  }
  cluster = new Cluster(
    nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  cluster.on('error', () => {});
  await cluster.ping();
}, 60_000);

afterAll(async () => {
  await cluster?.quit().catch(() => cluster.disconnect());
  await Promise.all(nodes.map((node) => node.stop({ abrupt: true })));
});

function clusterHarness(options: { writeChunkSize?: number; audit?: boolean } = {}): StoreContractHarness<RedisStore> {
  const store = createRedisStore({ redis: cluster, prefix: uniquePrefix('cluster'), ...options });
  return {
    store,
    async writeRaw(id, text) {
      // A MULTI on Cluster works because both keys share the store's hash slot.
      await cluster.multi().set(store.keys.record(id), text).sadd(store.keys.index, id).exec();
    },
    async deleteRaw(id) {
      await cluster.multi().del(store.keys.record(id)).srem(store.keys.index, id).exec();
    },
  };
}

defineStoreContract(
  { describe, it },
  { name: 'Redis store on Redis Cluster', create: () => clusterHarness({ writeChunkSize: 7, audit: true }) },
);

describe('Redis store on Redis Cluster', () => {
  it('the records, the index, the lock, the audit stream, the window budget and the hold of a prefix all live in one slot on one node', async () => {
    const { store } = clusterHarness({ audit: true });
    const lease = await createRedisLock({ store, ttlMs: 5_000 }).acquire();
    expect(lease).not.toBeNull();
    for (let i = 0; i < 30; i += 1) await store.put(sampleRecord(`r${i}`));
    const entries = await readAllEntries(store, 8);
    const results = await store.writeBatch(
      entries.slice(0, 10).map((entry) => ({ op: 'delete' as const, id: entry.id, expectedVersion: entry.version, reason: 'test' })),
      { fence: lease!.fence!, runId: 'cluster-run' },
    );
    expect(results.every((result) => result.outcome === 'ok')).toBe(true);
    expect(await store.readAuditTrail()).toHaveLength(10);
    const keys = [
      store.keys.index,
      store.keys.lock,
      store.keys.audit,
      store.keys.destructiveBudget,
      store.keys.hold,
      store.keys.record('r20'),
      store.keys.record('{other}r'),
    ];
    const slots = await Promise.all(keys.map((key) => cluster.cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
    await lease!.release();
  });

  it('a lock that lost its key makes the store refuse its writes on Cluster too', async () => {
    const { store } = clusterHarness();
    await store.put(sampleRecord('r1'));
    const lease = await createRedisLock({ store, ttlMs: 5_000 }).acquire();
    await cluster.set(store.keys.lock, 'another-owner');
    await expect(
      store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }], { fence: lease!.fence! }),
    ).rejects.toSatisfy((error: unknown) => isReconcilerError(error, 'LOCK_LOST'));
    expect(await store.get('r1')).not.toBeNull();
    await lease!.release();
  });

  it('a lease records its completed run and a lock reads it on Cluster, for a store lock and for a lock key without a hash tag', async () => {
    const { store } = clusterHarness();
    const plainKey = uniquePrefix('plain-lock');
    for (const lock of [createRedisLock({ store, ttlMs: 5_000 }), createRedisLock({ redis: cluster, key: plainKey, ttlMs: 5_000 })]) {
      const lease = await lock.acquire();
      const at = new Date('2026-06-01T00:00:00.000Z');
      // The script reads the lock key and writes the time's key together: a CROSSSLOT would reject it.
      expect(await lease!.recordCompletedRun(at)).toBe(true);
      expect(await lock.lastCompletedRun()).toEqual(at);
      await lease!.release();
    }
    expect(await cluster.cluster('KEYSLOT', plainKey)).toBe(await cluster.cluster('KEYSLOT', `{${plainKey}}:last-completed-run`));
    await cluster.del(plainKey, `{${plainKey}}:last-completed-run`);
  });

  it('a write chunk on Cluster whose audit key holds another type applies nothing', async () => {
    const { store } = clusterHarness({ audit: true });
    await store.put(sampleRecord('r1'));
    await cluster.set(store.keys.audit, 'not a stream');
    await expect(store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }])).rejects.toSatisfy(
      (error: unknown) => isReconcilerError(error, 'STORE_UNAVAILABLE'),
    );
    expect(await store.get('r1')).not.toBeNull();
  });

  it('a custom key layout is refused on a Cluster client, since its keys need not share a slot', () => {
    expect(() =>
      createRedisStore({
        redis: cluster,
        prefix: 'legacy',
        codec: {
          encode: (record) => JSON.stringify(record),
          decode: (text) => JSON.parse(text) as unknown,
          keys: { key: (id) => `instance:${id}`, id: (key) => key.slice(9), match: 'instance:*' },
        },
      }),
    ).toThrow(/Cluster/);
  });
});
