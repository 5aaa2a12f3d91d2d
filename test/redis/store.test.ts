import { afterAll, describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisStore, type RedisRecordCodec } from '../../src/redis/index.js';
import {
  connectRedis,
  dropPrefix,
  readAllEntries,
  redisStoreHarness,
  sampleRecord,
  uniquePrefix,
  versionOf,
} from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefixes: string[] = [];
function freshStore(options: Parameters<typeof redisStoreHarness>[1] = {}) {
  const harness = redisStoreHarness(redis, options);
  prefixes.push(harness.store.keys.prefix);
  return harness;
}
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('Redis store: layout and isolation', () => {
  it('two prefixes on one Redis never see each other’s records', async () => {
    const a = freshStore().store;
    const b = freshStore().store;
    await a.put(sampleRecord('shared-id', { owner: 'a' }));
    await b.put(sampleRecord('shared-id', { owner: 'b' }));
    await b.put(sampleRecord('only-b'));
    expect((await a.get('shared-id'))?.owner).toBe('a');
    expect((await b.get('shared-id'))?.owner).toBe('b');
    expect(await a.count()).toBe(1);
    expect((await a.list()).map((record) => record.id)).toEqual(['shared-id']);
    const version = await versionOf(a, 'shared-id');
    await a.writeBatch([{ op: 'delete', id: 'shared-id', expectedVersion: version }]);
    expect(await b.get('shared-id')).not.toBeNull();
    expect(await b.count()).toBe(2);
  });

  it('every key of the default layout carries the {prefix} hash tag, so one slot holds them all', async () => {
    const { store } = freshStore({ audit: true });
    await store.put(sampleRecord('r1'));
    const [result] = await store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }]);
    expect(result?.outcome).toBe('ok');
    await store.put(sampleRecord('r2'));
    const [, keys] = await redis.scan('0', 'MATCH', `*${store.keys.prefix}*`, 'COUNT', 1000);
    expect(keys.sort()).toEqual([store.keys.audit, store.keys.index, store.keys.record('r2')].sort());
    for (const key of keys) expect(key.startsWith(store.keys.hashTag)).toBe(true);
  });

  it('a prefix that would break the hash tag is refused with CONFIG_INVALID naming prefix', () => {
    expect(() => createRedisStore({ redis, prefix: 'a}b' })).toThrow(/prefix/);
    expect(() => createRedisStore({ redis, prefix: '' })).toThrow(/prefix/);
  });
});

describe('Redis store: conditional writes', () => {
  it('a raw SET by another client between read and commit is detected, even without touching the index', async () => {
    const { store } = freshStore();
    await store.put(sampleRecord('r1'));
    const version = await versionOf(store, 'r1');
    const other = connectRedis();
    await other.set(store.keys.record('r1'), JSON.stringify(sampleRecord('r1', { status: 'stopped' })));
    await other.quit();
    const results = await store.writeBatch([
      { op: 'put', id: 'r1', record: sampleRecord('r1', { status: 'terminated' }), expectedVersion: version, destructive: true },
      { op: 'delete', id: 'r1', expectedVersion: version },
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['conflict', 'conflict']);
    expect((await store.get('r1'))?.status).toBe('stopped');
  });

  it('a put re-sent after it landed (a reconnect re-send) reports ok, not a false conflict', async () => {
    const { store } = freshStore();
    await store.put(sampleRecord('r1'));
    const version = await versionOf(store, 'r1');
    const write = { op: 'put' as const, id: 'r1', record: sampleRecord('r1', { status: 'stopped' }), expectedVersion: version };
    const [first] = await store.writeBatch([write]);
    const [again] = await store.writeBatch([write]);
    expect(first?.outcome).toBe('ok');
    expect(again).toEqual(first);
    const create = { op: 'put' as const, id: 'new', record: sampleRecord('new'), expectedVersion: null };
    await store.writeBatch([create]);
    expect((await store.writeBatch([create]))[0]?.outcome).toBe('ok');
  });

  it('a delete re-sent after it landed reports missing (done), never a conflict', async () => {
    const { store } = freshStore();
    await store.put(sampleRecord('r1'));
    const write = { op: 'delete' as const, id: 'r1', expectedVersion: await versionOf(store, 'r1') };
    expect((await store.writeBatch([write]))[0]?.outcome).toBe('ok');
    expect((await store.writeBatch([write]))[0]?.outcome).toBe('missing');
  });

  it('a put that lands keeps the index in step, and a delete removes its index entry', async () => {
    const { store } = freshStore();
    await store.writeBatch([{ op: 'put', id: 'r1', record: sampleRecord('r1'), expectedVersion: null }]);
    expect(await redis.sismember(store.keys.index, 'r1')).toBe(1);
    await store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }]);
    expect(await redis.sismember(store.keys.index, 'r1')).toBe(0);
    expect(await redis.exists(store.keys.record('r1'))).toBe(0);
  });

  it('a key holding another type is reported invalid, and writes to it conflict instead of failing the batch', async () => {
    const { store } = freshStore();
    await store.put(sampleRecord('ok'));
    await redis.multi().hset(store.keys.record('hash'), 'status', 'running').sadd(store.keys.index, 'hash').exec();
    const entries = await readAllEntries(store);
    const odd = entries.find((entry) => entry.id === 'hash');
    expect(odd?.invalid).toMatch(/not a string/);
    const results = await store.writeBatch([
      { op: 'delete', id: 'hash', expectedVersion: odd?.version ?? 'x' },
      { op: 'put', id: 'ok', record: sampleRecord('ok', { status: 'stopped' }), expectedVersion: await versionOf(store, 'ok') },
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['conflict', 'ok']);
    expect(await redis.type(store.keys.record('hash'))).toBe('hash');
  });

  it('a stored record whose id differs from its key is reported invalid, so it is never written under the wrong id', async () => {
    const { store, writeRaw } = freshStore();
    await writeRaw('a', JSON.stringify(sampleRecord('b')));
    const [entry] = await readAllEntries(store);
    expect(entry?.invalid).toMatch(/^id:/);
    await expect(store.get('a')).rejects.toSatisfy((error: unknown) => isReconcilerError(error, 'RECORD_INVALID'));
  });

  it('a write whose record id differs from the write id is refused before anything is written', async () => {
    const { store } = freshStore();
    await expect(store.writeBatch([{ op: 'put', id: 'a', record: sampleRecord('b'), expectedVersion: null }])).rejects.toSatisfy(
      (error: unknown) => isReconcilerError(error, 'RECORD_INVALID'),
    );
    expect(await store.count()).toBe(0);
  });
});

describe('Redis store: audit trail', () => {
  it('records each applied remove and mark-terminated with the last state, reason and run id; nothing for conflicts or other writes', async () => {
    const { store } = freshStore({ audit: { maxLength: 1000 } });
    await store.put(sampleRecord('gone', { owner: 'team-a' }));
    await store.put(sampleRecord('ended'));
    await store.put(sampleRecord('moved'));
    await store.put(sampleRecord('contested'));
    const versions = new Map((await readAllEntries(store)).map((entry) => [entry.id, entry.version]));
    await store.put(sampleRecord('contested', { status: 'stopped' }));
    const results = await store.writeBatch(
      [
        { op: 'delete', id: 'gone', expectedVersion: versions.get('gone') ?? '', reason: 'obsolete: absent from listing' },
        {
          op: 'put',
          id: 'ended',
          record: sampleRecord('ended', { status: 'terminated', terminationReason: 'gone' }),
          expectedVersion: versions.get('ended') ?? '',
          reason: 'obsolete: instance removed',
          destructive: true,
        },
        { op: 'put', id: 'moved', record: sampleRecord('moved', { status: 'stopped' }), expectedVersion: versions.get('moved') ?? '' },
        { op: 'delete', id: 'contested', expectedVersion: versions.get('contested') ?? '', reason: 'would be wrong' },
      ],
      { runId: 'run-42' },
    );
    expect(results.map((result) => result.outcome)).toEqual(['ok', 'ok', 'ok', 'conflict']);
    const trail = await store.readAuditTrail();
    expect(trail.map((entry) => [entry.kind, entry.recordId])).toEqual([
      ['mark-terminated', 'ended'],
      ['remove', 'gone'],
    ]);
    const removed = trail[1];
    expect(removed?.runId).toBe('run-42');
    expect(removed?.reason).toBe('obsolete: absent from listing');
    expect(JSON.parse(removed?.before ?? '')).toEqual(sampleRecord('gone', { owner: 'team-a' }));
    expect(removed?.beforeVersion).toBe(versions.get('gone'));
    expect(JSON.parse(trail[0]?.after ?? '').status).toBe('terminated');
    expect((await store.readAuditTrail({ recordId: 'gone' })).map((entry) => entry.kind)).toEqual(['remove']);
    expect(Date.parse(removed?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('re-writing a record that was already terminated (a stamp) and re-sent writes add no audit entry', async () => {
    const { store } = freshStore({ audit: true });
    await store.put(sampleRecord('t', { status: 'terminated' }));
    const stamped = {
      op: 'put' as const,
      id: 't',
      record: sampleRecord('t', {
        status: 'terminated',
        timestamps: { created: '2026-01-01T00:00:00.000Z', terminated: '2026-01-02T00:00:00.000Z' },
      }),
      expectedVersion: await versionOf(store, 't'),
    };
    await store.writeBatch([stamped]);
    await store.writeBatch([stamped]);
    expect(await store.readAuditTrail()).toEqual([]);
  });

  it('the stream is capped near maxLength', async () => {
    const { store } = freshStore({ audit: { maxLength: 10 } });
    for (let round = 0; round < 3; round += 1) {
      const writes = [];
      for (let i = 0; i < 100; i += 1)
        writes.push({ op: 'put' as const, id: `r${round}-${i}`, record: sampleRecord(`r${round}-${i}`), expectedVersion: null });
      await store.writeBatch(writes);
      const versions = await readAllEntries(store);
      await store.writeBatch(versions.map((entry) => ({ op: 'delete' as const, id: entry.id, expectedVersion: entry.version })));
    }
    const length = await redis.xlen(store.keys.audit);
    // MAXLEN ~ trims whole stream nodes (100 entries by default), so the length stays near the cap, far below 300.
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
  });

  it('with the audit off, destructive writes leave no stream behind', async () => {
    const { store } = freshStore();
    await store.put(sampleRecord('r1'));
    await store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }]);
    expect(await redis.exists(store.keys.audit)).toBe(0);
  });
});

describe('Redis store: codecs', () => {
  /** A backend that wraps each record and keeps dates as epoch milliseconds. */
  const wrappedCodec: RedisRecordCodec = {
    encode: (record) => {
      const { timestamps, ...rest } = record;
      const epochs = Object.fromEntries(
        Object.entries(timestamps ?? {}).map(([name, value]) => [name, typeof value === 'string' ? Date.parse(value) : value]),
      );
      return JSON.stringify({ schema: 2, instance: { ...rest, times: epochs } });
    },
    decode: (text) => {
      const { instance } = JSON.parse(text) as { instance: Record<string, unknown> & { times?: Record<string, number> } };
      const { times, ...rest } = instance;
      return {
        ...rest,
        timestamps: Object.fromEntries(Object.entries(times ?? {}).map(([name, value]) => [name, new Date(value).toISOString()])),
      };
    },
  };

  it('a value codec keeps the default layout: the backend’s own value shape round-trips and foreign edits are still detected', async () => {
    const { store } = freshStore({ codec: wrappedCodec });
    await store.put(sampleRecord('r1'));
    const stored = JSON.parse((await redis.get(store.keys.record('r1'))) ?? '{}');
    expect(stored.instance.times.created).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(await store.get('r1')).toEqual(sampleRecord('r1'));
    const version = await versionOf(store, 'r1');
    await redis.set(store.keys.record('r1'), JSON.stringify({ ...stored, touchedBy: 'app' }));
    expect((await store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: version }]))[0]?.outcome).toBe('conflict');
  });

  it('a foreign key layout is read with SCAN (no index), counted by scanning, and written conditionally', async () => {
    const base = uniquePrefix('legacy');
    prefixes.push(base);
    // The legacy keys are kept under the test's {tag} only so the cleanup finds them.
    const legacyKey = (id: string) => `{${base}}:legacy-instance:${id}`;
    const store = createRedisStore({
      redis,
      prefix: base,
      batchSize: 7,
      codec: {
        ...wrappedCodec,
        keys: {
          key: legacyKey,
          id: (key) => (key.startsWith(legacyKey('')) ? key.slice(legacyKey('').length) : null),
          match: `{${base}}:legacy-instance:*`,
        },
      },
    });
    for (let i = 0; i < 20; i += 1) await redis.set(legacyKey(`i${i}`), wrappedCodec.encode(sampleRecord(`i${i}`)));
    await redis.set(legacyKey('junk'), 'not json');
    expect(await store.count()).toBe(21);
    const entries = await readAllEntries(store, 7);
    expect(entries.filter((entry) => entry.record).length).toBe(20);
    expect(entries.find((entry) => entry.id === 'junk')?.invalid).toMatch(/cannot be decoded/);
    const version = entries.find((entry) => entry.id === 'i3')?.version ?? '';
    const [result] = await store.writeBatch([{ op: 'delete', id: 'i3', expectedVersion: version }]);
    expect(result?.outcome).toBe('ok');
    expect(await redis.exists(legacyKey('i3'))).toBe(0);
    expect(await redis.exists(store.keys.index)).toBe(0);
    await store.put(sampleRecord('added'));
    expect(await redis.exists(legacyKey('added'))).toBe(1);
    expect(await store.count()).toBe(21);
  });
});

describe('Redis store: connections', () => {
  it('a store opened from a URL owns its connection and close() quits it', async () => {
    const { requireRedisUrl } = await import('../support/redis-test-kit.js');
    const prefix = uniquePrefix('url');
    prefixes.push(prefix);
    const store = createRedisStore({ url: requireRedisUrl(), prefix });
    await store.put(sampleRecord('r1'));
    expect(await store.count()).toBe(1);
    await store.close();
    expect(store.redis.status).toBe('end');
  });

  it('a store given the caller’s client leaves it open on close()', async () => {
    const { store } = freshStore();
    await store.close();
    expect(await redis.ping()).toBe('PONG');
  });

  it('without a client, a URL or REDIS_URL, the factory throws CONFIG_INVALID naming all three', () => {
    expect(() => createRedisStore({ env: {} })).toThrow(/REDIS_URL/);
  });
});
