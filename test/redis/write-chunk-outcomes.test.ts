/**
 * A write chunk reports exactly what it applied, whatever fails inside it, and an applied destructive
 * write always has its audit entry. Redis keeps the writes a script made before an error, so these
 * break the script's shared keys or one write's commands on a real redis-server and read the store
 * back to prove what the rejection says.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisStore, writeBatchProgress, type RedisConditionalWrite, type RedisStore } from '../../src/redis/index.js';
import { LUA_SOURCES } from '../../src/redis/lua/sources.js';
import { buildLuaScript } from '../../src/redis/lua-scripts.js';
import { connectRedis, dropPrefix, sampleRecord, uniquePrefix, versionOf } from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

async function seededStore(ids: string[], options: { writeChunkSize?: number } = {}): Promise<RedisStore> {
  const prefix = uniquePrefix('chunk');
  prefixes.push(prefix);
  const store = createRedisStore({ redis, prefix, audit: true, ...options });
  for (const id of ids) await store.put(sampleRecord(id));
  return store;
}

/** A delete of r1, a mark-terminated of r2 and a status refresh of r3, at the versions read. */
async function mixedWrites(store: RedisStore, ids = ['r1', 'r2', 'r3']): Promise<RedisConditionalWrite[]> {
  const [a, b, c] = ids as [string, string, string];
  return [
    { op: 'delete', id: a, expectedVersion: await versionOf(store, a), reason: 'gone' },
    {
      op: 'put',
      id: b,
      record: sampleRecord(b, { status: 'terminated' }),
      expectedVersion: await versionOf(store, b),
      reason: 'gone',
      destructive: true,
    },
    { op: 'put', id: c, record: sampleRecord(c, { status: 'stopped' }), expectedVersion: await versionOf(store, c) },
  ];
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the batch to reject');
  return outcome;
}

/** Fills the audit stream up to the last id Redis can give, so the next XADD * fails on its own. */
async function exhaustAuditIds(store: RedisStore): Promise<void> {
  await redis.xadd(store.keys.audit, '18446744073709551615-18446744073709551615', 'kind', 'filler');
}

describe('Redis store: exact write-chunk outcomes', () => {
  it('an audit key holding another type rejects the chunk before any write: nothing applied, and the rejection says so', async () => {
    const store = await seededStore(['r1', 'r2', 'r3']);
    const writes = await mixedWrites(store);
    await redis.set(store.keys.audit, 'not a stream');

    const failure = await failureOf(store.writeBatch(writes, { runId: 'run-1' }));
    expect(isReconcilerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect(failure.message).toMatch(/audit key .* holds a string, not a stream/);
    expect(writeBatchProgress(failure)).toEqual({ writeResults: [], writesInDoubt: 0 });
    // Read back: every record as it was, the index complete.
    expect((await store.list()).map((record) => [record.id, record.status]).sort()).toEqual([
      ['r1', 'running'],
      ['r2', 'running'],
      ['r3', 'running'],
    ]);
    expect(await redis.scard(store.keys.index)).toBe(3);
  });

  it('an index key holding another type rejects the chunk before any write', async () => {
    const store = await seededStore(['r1', 'r2', 'r3']);
    const writes = await mixedWrites(store);
    const members = await redis.smembers(store.keys.index);
    await redis.del(store.keys.index);
    await redis.rpush(store.keys.index, ...members);

    const failure = await failureOf(store.writeBatch(writes));
    expect(failure.message).toMatch(/index key .* holds a list, not a set/);
    expect(writeBatchProgress(failure)).toEqual({ writeResults: [], writesInDoubt: 0 });
    for (const id of ['r1', 'r2', 'r3']) expect(JSON.parse((await redis.get(store.keys.record(id))) ?? 'null')?.status).toBe('running');
    expect(await redis.exists(store.keys.audit)).toBe(0);
  });

  it('a chunk that fails after earlier chunks landed reports the earlier ones exactly, with their audit entries', async () => {
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const store = await seededStore(ids, { writeChunkSize: 3 });
    const writes = [...(await mixedWrites(store, ['r1', 'r2', 'r3'])), ...(await mixedWrites(store, ['r4', 'r5', 'r6']))];
    // The second chunk meets a broken index, as if another program had overwritten it meanwhile.
    const applyWrites = redis.novitaReconcilerApplyWrites.bind(redis);
    let calls = 0;
    redis.novitaReconcilerApplyWrites = (async (...args: Parameters<typeof applyWrites>) => {
      calls += 1;
      if (calls === 2) await redis.multi().del(store.keys.index).set(store.keys.index, 'broken').exec();
      return applyWrites(...args);
    }) as typeof applyWrites;
    try {
      const failure = await failureOf(store.writeBatch(writes, { runId: 'run-2' }));
      const progress = writeBatchProgress(failure);
      expect(progress?.writesInDoubt).toBe(0);
      expect(progress?.writeResults.map((result) => [result.id, result.outcome])).toEqual([
        ['r1', 'ok'],
        ['r2', 'ok'],
        ['r3', 'ok'],
      ]);
    } finally {
      redis.novitaReconcilerApplyWrites = applyWrites;
    }
    expect(await redis.exists(store.keys.record('r1'))).toBe(0);
    expect(JSON.parse((await redis.get(store.keys.record('r2'))) ?? 'null')?.status).toBe('terminated');
    expect(JSON.parse((await redis.get(store.keys.record('r3'))) ?? 'null')?.status).toBe('stopped');
    expect(await redis.exists(store.keys.record('r4'))).toBe(1);
    expect(JSON.parse((await redis.get(store.keys.record('r5'))) ?? 'null')?.status).toBe('running');
    const trail = await store.readAuditTrail();
    expect(trail.map((entry) => [entry.kind, entry.recordId]).sort()).toEqual([
      ['mark-terminated', 'r2'],
      ['remove', 'r1'],
    ]);
  });

  it('one write whose audit entry cannot be added fails the chunk, which undoes the writes before it: the chunk applies nothing', async () => {
    const store = await seededStore(['r1', 'r2', 'r3', 'r4']);
    await exhaustAuditIds(store);
    const before = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id) => redis.get(store.keys.record(id))));
    const writes: RedisConditionalWrite[] = [
      { op: 'put', id: 'r1', record: sampleRecord('r1', { status: 'stopped' }), expectedVersion: await versionOf(store, 'r1') },
      { op: 'delete', id: 'r2', expectedVersion: await versionOf(store, 'r2'), reason: 'gone' },
      { op: 'put', id: 'r3', record: sampleRecord('r3', { status: 'stopped' }), expectedVersion: await versionOf(store, 'r3') },
      {
        op: 'put',
        id: 'r4',
        record: sampleRecord('r4', { status: 'terminated' }),
        expectedVersion: await versionOf(store, 'r4'),
        reason: 'gone',
        destructive: true,
      },
    ];

    const failure = await failureOf(store.writeBatch(writes));
    expect(isReconcilerError(failure, 'STORE_UNAVAILABLE')).toBe(true);
    expect(failure.message).toMatch(/exhausted the last possible ID/);
    expect(failure.message).toMatch(/its chunk of 4 writes wrote nothing/);
    expect(writeBatchProgress(failure)).toEqual({ writeResults: [], writesInDoubt: 0 });
    // Read back: r1's put, which had landed before r2 failed, was undone; every record is as it was.
    expect(await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id) => redis.get(store.keys.record(id))))).toEqual(before);
    expect((await redis.smembers(store.keys.index)).sort()).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('a termination whose audit entry cannot be added is not applied: no terminated record without its entry', async () => {
    const store = await seededStore(['r1']);
    await exhaustAuditIds(store);
    const failure = await failureOf(
      store.writeBatch([
        {
          op: 'put',
          id: 'r1',
          record: sampleRecord('r1', { status: 'terminated' }),
          expectedVersion: await versionOf(store, 'r1'),
          reason: 'gone',
          destructive: true,
        },
      ]),
    );
    expect(writeBatchProgress(failure)).toEqual({ writeResults: [], writesInDoubt: 0 });
    expect((await store.get('r1'))?.status).toBe('running');
    expect((await store.readAuditTrail()).filter((entry) => entry.recordId === 'r1')).toEqual([]);
  });
});

describe('Redis store: a chunk whose command fails after others landed undoes them all', () => {
  // Fault injection into the real script: the n-th command the chunk runs is replaced by one that
  // always fails (INCRBY by a non-number), past the up-front checks, to reach the second line of
  // defence.
  function failingAt(...n: number[]): string {
    const injected = `--- @include "prelude"
local commandsRun, realUnpack, failing = 0, unpackArgs, { ${n.map((at) => `[${at}] = true`).join(', ')} }
local function unpackArgs(command)
  commandsRun = commandsRun + 1
  if failing[commandsRun] then return 'INCRBY', KEYS[3], 'not-a-number' end
  return realUnpack(command)
end
`;
    const file = (LUA_SOURCES['applyWrites-n.lua'] ?? '').replace('--- @include "prelude"\n', injected);
    return buildLuaScript('applyWrites-n.lua', 'standard', { ...LUA_SOURCES, 'applyWrites-n.lua': file }).lua;
  }

  async function applyFailingAt(
    n: number,
    store: RedisStore,
    writes: [string, string, string, string, string, string][],
  ): Promise<string[]> {
    const keys = [store.keys.index, store.keys.index, store.keys.audit, ...writes.map((write) => store.keys.record(write[1]))];
    return (await redis.eval(failingAt(n), keys.length, ...keys, '', 10_000, 'run', '1', ...writes.flat())) as string[];
  }

  it('a delete and a termination, the termination’s record write failing: both undone, audit entries included', async () => {
    const store = await seededStore(['r1', 'r2']);
    await redis.xadd(store.keys.audit, '*', 'kind', 'filler');
    const texts = await Promise.all(['r1', 'r2'].map((id) => redis.get(store.keys.record(id))));
    const writes: [string, string, string, string, string, string][] = [
      // r1: XADD, DEL, SREM (commands 1-3); r2: XADD, SET (4, 5: fails), SADD.
      ['delete', 'r1', await versionOf(store, 'r1'), '', '0', 'gone'],
      ['put', 'r2', await versionOf(store, 'r2'), JSON.stringify(sampleRecord('r2', { status: 'terminated' })), '1', 'gone'],
    ];
    const reply = await applyFailingAt(5, store, writes);
    expect(reply[0]).toBe('failed');
    expect(reply[1]).toMatch(/not an integer/);
    expect(reply[2]).toBe('0');
    expect(await Promise.all(['r1', 'r2'].map((id) => redis.get(store.keys.record(id))))).toEqual(texts);
    expect((await redis.smembers(store.keys.index)).sort()).toEqual(['r1', 'r2']);
    expect(await redis.xlen(store.keys.audit)).toBe(1);
  });

  it('a create whose index update fails removes the record it wrote, and an id indexed before stays indexed', async () => {
    const store = await seededStore(['old']);
    const reply = await applyFailingAt(3, store, [
      // old: SADD of an id already indexed (command 1); new: SET (2), SADD (3: fails).
      ['put', 'old', await versionOf(store, 'old'), (await redis.get(store.keys.record('old'))) ?? '', '0', ''],
      ['put', 'new', '', JSON.stringify(sampleRecord('new')), '0', ''],
    ]);
    expect(reply[0]).toBe('failed');
    expect(await redis.exists(store.keys.record('new'))).toBe(0);
    expect(await redis.smembers(store.keys.index)).toEqual(['old']);
  });

  it('the same script without an injected fault applies both writes (the injection is what failed)', async () => {
    const store = await seededStore(['r1', 'r2']);
    const reply = await applyFailingAt(99, store, [
      ['delete', 'r1', await versionOf(store, 'r1'), '', '0', 'gone'],
      ['put', 'r2', await versionOf(store, 'r2'), JSON.stringify(sampleRecord('r2', { status: 'terminated' })), '1', 'gone'],
    ]);
    expect(reply[0]).toBe('applied');
    expect(await redis.exists(store.keys.record('r1'))).toBe(0);
    expect(await redis.xlen(store.keys.audit)).toBe(2);
  });

  it('when undoing fails too, writeBatch reports the whole chunk in doubt and the chunks before it exactly', async () => {
    const store = await seededStore(['r1', 'r2', 'r3', 'r4'], { writeChunkSize: 2 });
    await redis.xadd(store.keys.audit, '*', 'kind', 'filler');
    const writes: RedisConditionalWrite[] = [];
    for (const id of ['r1', 'r2', 'r3', 'r4'])
      writes.push({ op: 'delete', id, expectedVersion: await versionOf(store, id), reason: 'gone' });
    const applyWrites = redis.novitaReconcilerApplyWrites.bind(redis);
    let calls = 0;
    // The second chunk: r3's XADD, DEL, SREM (1-3), r4's XADD (4), DEL (5: fails), then the first
    // undo (6: fails too).
    redis.novitaReconcilerApplyWrites = ((...args: Parameters<typeof applyWrites>) => {
      calls += 1;
      if (calls === 1) return applyWrites(...args);
      const [numberOfKeys, ...rest] = args;
      return redis.eval(failingAt(5, 6), numberOfKeys, ...rest);
    }) as typeof applyWrites;
    try {
      const failure = await failureOf(store.writeBatch(writes));
      expect(failure.message).toMatch(/undoing its chunk failed too/);
      const progress = writeBatchProgress(failure);
      expect(progress?.writeResults.map((result) => [result.id, result.outcome])).toEqual([
        ['r1', 'ok'],
        ['r2', 'ok'],
      ]);
      expect(progress?.writesInDoubt).toBe(2);
    } finally {
      redis.novitaReconcilerApplyWrites = applyWrites;
    }
  });
});
