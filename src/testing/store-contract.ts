import assert from 'node:assert/strict';
import type { InstanceRecord } from '../core/record.js';
import type { ConditionalWrite, InstanceStore, StoreEntry, VersionedRecord } from '../core/store.js';
import { isReconcilerError } from '../errors.js';
import type { ContractTestApi, StoreContractHarness, StoreContractOptions } from './store-contract-types.js';

export type { ContractTestApi, StoreContractHarness, StoreContractOptions } from './store-contract-types.js';

/**
 * Defines the store contract suite: every behaviour the reconciler relies on from a store,
 * including the conflict cases. Run it against every store implementation, yours included.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { defineStoreContract } from 'novita-reconciler/testing';
 *
 * defineStoreContract({ describe, it }, {
 *   name: 'my store',
 *   create: async () => ({ store: makeStore(), writeRaw: ..., deleteRaw: ..., cleanup: ... }),
 * });
 * ```
 */
export function defineStoreContract<S extends InstanceStore>(api: ContractTestApi, options: StoreContractOptions<S>): void {
  const { describe, it } = api;

  /** Runs `body` with a fresh harness and always cleans up. */
  const withStore =
    (body: (harness: StoreContractHarness<S>) => Promise<void>) =>
    async (): Promise<void> => {
      const harness = await options.create();
      try {
        await body(harness);
      } finally {
        await harness.cleanup?.();
      }
    };

  describe(`store contract: ${options.name}`, () => {
    describe('app-facing methods', () => {
      it(
        'put then get returns a deep-equal copy, and every field the backend owns survives',
        withStore(async ({ store }) => {
          const record = sample('r1', { nested: { list: [1, 'two', { three: null }] }, flag: false, owner: 'team-a' });
          await store.put(record);
          const read = await store.get('r1');
          assert.deepEqual(read, jsonRoundTrip(record));
          // The store keeps a copy: mutating what was put or what was read changes nothing stored.
          record.status = 'mutated';
          if (read) read.status = 'mutated-too';
          assert.equal((await store.get('r1'))?.status, 'running');
        }),
      );

      it(
        'get of an unknown id resolves null',
        withStore(async ({ store }) => {
          assert.equal(await store.get('nope'), null);
        }),
      );

      it(
        'put replaces the whole record',
        withStore(async ({ store }) => {
          await store.put(sample('r1', { extra: 'old' }));
          await store.put(sample('r1', { status: 'stopped' }));
          const read = await store.get('r1');
          assert.equal(read?.status, 'stopped');
          assert.equal(read?.extra, undefined);
        }),
      );

      it(
        'put rejects an invalid record with RECORD_INVALID naming the field, and stores nothing',
        withStore(async ({ store }) => {
          await assert.rejects(
            store.put({ id: 'bad', status: 42 } as unknown as InstanceRecord),
            (error: unknown) => isReconcilerError(error, 'RECORD_INVALID') && /status/.test((error as Error).message),
          );
          await assert.rejects(
            store.put({ id: 'bad2', status: 'running', timestamps: { created: 'yesterday' } } as InstanceRecord),
            (error: unknown) => isReconcilerError(error, 'RECORD_INVALID') && /timestamps\.created/.test((error as Error).message),
          );
          assert.equal(await store.count(), 0);
        }),
      );

      it(
        'delete resolves whether the record existed',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          assert.equal(await store.delete('r1'), true);
          assert.equal(await store.delete('r1'), false);
          assert.equal(await store.get('r1'), null);
        }),
      );

      it(
        'list returns every valid record and count counts every stored one',
        withStore(async ({ store, writeRaw }) => {
          for (let i = 0; i < 25; i += 1) await store.put(sample(`r${i}`));
          await writeRaw('broken', '{not json');
          const listed = await store.list();
          assert.equal(listed.length, 25);
          assert.deepEqual(new Set(listed.map((record) => record.id)), new Set(Array.from({ length: 25 }, (_, i) => `r${i}`)));
          assert.equal(await store.count(), 26);
        }),
      );

      it(
        'ids with separators, spaces and unicode are kept apart',
        withStore(async ({ store }) => {
          const ids = ['a:b', 'a', 'a:b:c', 'with space', 'ünï', '{tag}x'];
          for (const id of ids) await store.put(sample(id, { marker: id }));
          for (const id of ids) assert.equal((await store.get(id))?.marker, id);
          assert.equal(await store.count(), ids.length);
        }),
      );
    });

    describe('readBatches', () => {
      it(
        'yields every record exactly once, in batches no larger than batchSize',
        withStore(async ({ store }) => {
          for (let i = 0; i < 53; i += 1) await store.put(sample(`r${i}`));
          const seen: string[] = [];
          for await (const batch of store.readBatches({ batchSize: 10 })) {
            assert.ok(batch.length <= 10, `batch of ${batch.length} exceeds 10`);
            for (const entry of batch) seen.push(entry.id);
          }
          assert.equal(seen.length, 53);
          assert.equal(new Set(seen).size, 53);
        }),
      );

      it(
        'an empty store yields no entries',
        withStore(async ({ store }) => {
          assert.equal((await readAll(store)).length, 0);
        }),
      );

      it(
        'an undecodable value is reported as invalid with its id, never thrown',
        withStore(async ({ store, writeRaw }) => {
          await store.put(sample('good'));
          await writeRaw('not-json', '{"id": "not-json", "status": ');
          await writeRaw('wrong-type', JSON.stringify({ id: 'wrong-type', status: 7 }));
          const entries = await readAll(store);
          const byId = new Map(entries.map((entry) => [entry.id, entry]));
          assert.equal(entries.length, 3);
          assert.ok(byId.get('good')?.record, 'good record decoded');
          assert.equal(typeof byId.get('not-json')?.invalid, 'string');
          assert.match(byId.get('wrong-type')?.invalid ?? '', /status/);
          assert.equal(typeof byId.get('not-json')?.version, 'string');
        }),
      );

      it(
        'get of an undecodable value rejects with RECORD_INVALID',
        withStore(async ({ store, writeRaw }) => {
          await writeRaw('broken', '[]');
          await assert.rejects(store.get('broken'), (error: unknown) => isReconcilerError(error, 'RECORD_INVALID'));
        }),
      );

      it(
        'the version changes on every write, by the store or by foreign code, and not on a read',
        withStore(async ({ store, writeRaw }) => {
          await store.put(sample('r1'));
          const v1 = (await versionOf(store, 'r1')).version;
          assert.equal((await versionOf(store, 'r1')).version, v1);
          await store.put(sample('r1', { status: 'stopped' }));
          const v2 = (await versionOf(store, 'r1')).version;
          assert.notEqual(v2, v1);
          await writeRaw('r1', JSON.stringify(sample('r1', { status: 'exited-by-hand' })));
          const v3 = (await versionOf(store, 'r1')).version;
          assert.notEqual(v3, v2);
        }),
      );
    });

    describe('writeBatch', () => {
      it(
        'a put at the version read applies and returns the new version',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          const [result] = await store.writeBatch([{ op: 'put', id: 'r1', record: sample('r1', { status: 'stopped' }), expectedVersion: read.version }]);
          assert.equal(result?.outcome, 'ok');
          assert.equal(typeof result?.version, 'string');
          assert.equal((await store.get('r1'))?.status, 'stopped');
          assert.equal((await versionOf(store, 'r1')).version, result?.version);
        }),
      );

      it(
        'a put after a change made through the store is a conflict and overwrites nothing',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          await store.put(sample('r1', { status: 'changed-by-app' }));
          const [result] = await store.writeBatch([{ op: 'put', id: 'r1', record: sample('r1', { status: 'terminated' }), expectedVersion: read.version }]);
          assert.equal(result?.outcome, 'conflict');
          assert.equal((await store.get('r1'))?.status, 'changed-by-app');
        }),
      );

      it(
        'a write by foreign code between read and commit is detected as a conflict',
        withStore(async ({ store, writeRaw }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          // Same length, one character different: a version that is not content-sensitive would miss it.
          await writeRaw('r1', JSON.stringify(sample('r1', { status: 'runninG' })));
          const results = await store.writeBatch([
            { op: 'put', id: 'r1', record: sample('r1', { status: 'terminated' }), expectedVersion: read.version },
            { op: 'delete', id: 'r1', expectedVersion: read.version },
          ]);
          assert.deepEqual(
            results.map((result) => result.outcome),
            ['conflict', 'conflict'],
          );
          assert.equal((await store.get('r1'))?.status, 'runninG');
        }),
      );

      it(
        'a put whose record was deleted meanwhile reports missing and does not recreate it',
        withStore(async ({ store, deleteRaw }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          await deleteRaw('r1');
          const [result] = await store.writeBatch([{ op: 'put', id: 'r1', record: sample('r1', { status: 'terminated' }), expectedVersion: read.version }]);
          assert.equal(result?.outcome, 'missing');
          assert.equal(await store.get('r1'), null);
          assert.equal(await store.count(), 0);
        }),
      );

      it(
        'a delete at the version read applies; a delete of a record deleted meanwhile reports missing',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          await store.put(sample('r2'));
          const r1 = await versionOf(store, 'r1');
          const r2 = await versionOf(store, 'r2');
          await store.delete('r2');
          const results = await store.writeBatch([
            { op: 'delete', id: 'r1', expectedVersion: r1.version },
            { op: 'delete', id: 'r2', expectedVersion: r2.version },
          ]);
          assert.deepEqual(
            results.map((result) => [result.id, result.outcome]),
            [
              ['r1', 'ok'],
              ['r2', 'missing'],
            ],
          );
          assert.equal(await store.count(), 0);
        }),
      );

      it(
        'a delete after a change is a conflict and deletes nothing',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          await store.put(sample('r1', { status: 'stopped' }));
          const [result] = await store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: read.version }]);
          assert.equal(result?.outcome, 'conflict');
          assert.equal((await store.get('r1'))?.status, 'stopped');
        }),
      );

      it(
        'a create (expectedVersion null) applies when absent and conflicts when the record exists',
        withStore(async ({ store }) => {
          await store.put(sample('taken', { owner: 'app' }));
          const results = await store.writeBatch([
            { op: 'put', id: 'fresh', record: sample('fresh'), expectedVersion: null },
            { op: 'put', id: 'taken', record: sample('taken', { owner: 'reconciler' }), expectedVersion: null },
          ]);
          assert.deepEqual(
            results.map((result) => result.outcome),
            ['ok', 'conflict'],
          );
          assert.equal((await store.get('fresh'))?.status, 'running');
          assert.equal((await store.get('taken'))?.owner, 'app');
          assert.equal(await store.count(), 2);
        }),
      );

      it(
        'each write of a batch is applied on its own: a conflict does not stop the others',
        withStore(async ({ store }) => {
          for (const id of ['a', 'b', 'c']) await store.put(sample(id));
          const versions = new Map((await readAll(store)).map((entry) => [entry.id, entry.version]));
          await store.put(sample('b', { status: 'changed' }));
          const writes: ConditionalWrite[] = [
            { op: 'put', id: 'a', record: sample('a', { status: 'stopped' }), expectedVersion: versions.get('a') ?? '' },
            { op: 'put', id: 'b', record: sample('b', { status: 'stopped' }), expectedVersion: versions.get('b') ?? '' },
            { op: 'delete', id: 'c', expectedVersion: versions.get('c') ?? '' },
          ];
          const results = await store.writeBatch(writes);
          assert.deepEqual(
            results.map((result) => [result.id, result.outcome]),
            [
              ['a', 'ok'],
              ['b', 'conflict'],
              ['c', 'ok'],
            ],
          );
          assert.equal((await store.get('a'))?.status, 'stopped');
          assert.equal((await store.get('b'))?.status, 'changed');
          assert.equal(await store.get('c'), null);
        }),
      );

      it(
        'an empty batch resolves an empty result',
        withStore(async ({ store }) => {
          assert.deepEqual(await store.writeBatch([]), []);
        }),
      );

      it(
        'a put rejects an invalid record with RECORD_INVALID before writing anything',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          const read = await versionOf(store, 'r1');
          await assert.rejects(
            store.writeBatch([{ op: 'put', id: 'r1', record: { id: 'r1', status: null } as unknown as InstanceRecord, expectedVersion: read.version }]),
            (error: unknown) => isReconcilerError(error, 'RECORD_INVALID'),
          );
          assert.equal((await store.get('r1'))?.status, 'running');
        }),
      );

      it(
        'exactly one of 20 concurrent conditional writers at the same version wins',
        withStore(async ({ store }) => {
          await store.put(sample('contested', { counter: 0 }));
          const read = await versionOf(store, 'contested');
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, writer) =>
              store.writeBatch([{ op: 'put', id: 'contested', record: sample('contested', { counter: writer + 1 }), expectedVersion: read.version }]),
            ),
          );
          const winners = results.flat().filter((result) => result.outcome === 'ok');
          assert.equal(winners.length, 1);
          assert.equal(results.flat().filter((result) => result.outcome === 'conflict').length, 19);
          const stored = await store.get('contested');
          assert.ok(typeof stored?.counter === 'number' && stored.counter >= 1);
        }),
      );

      it(
        'exactly one of 20 concurrent creators of the same id wins',
        withStore(async ({ store }) => {
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, writer) =>
              store.writeBatch([{ op: 'put', id: 'new', record: sample('new', { writer }), expectedVersion: null }]),
            ),
          );
          assert.equal(results.flat().filter((result) => result.outcome === 'ok').length, 1);
          assert.equal(await store.count(), 1);
        }),
      );

      it(
        'a put at the version it returned can follow on from it (versions chain)',
        withStore(async ({ store }) => {
          await store.put(sample('r1'));
          let version = (await versionOf(store, 'r1')).version;
          for (const status of ['stopping', 'stopped', 'terminated']) {
            const [result] = await store.writeBatch([{ op: 'put', id: 'r1', record: sample('r1', { status }), expectedVersion: version }]);
            assert.equal(result?.outcome, 'ok');
            version = result?.version ?? '';
          }
          assert.equal((await store.get('r1'))?.status, 'terminated');
        }),
      );

      it(
        'a large batch (1 200 writes) is applied completely',
        withStore(async ({ store }) => {
          const writes: ConditionalWrite[] = Array.from({ length: 1200 }, (_, i) => ({
            op: 'put' as const,
            id: `bulk-${i}`,
            record: sample(`bulk-${i}`),
            expectedVersion: null,
          }));
          const results = await store.writeBatch(writes);
          assert.equal(results.length, 1200);
          assert.ok(results.every((result, i) => result.outcome === 'ok' && result.id === `bulk-${i}`));
          assert.equal(await store.count(), 1200);
        }),
      );
    });
  });
}

/** A valid sample record; `extra` fields are merged in. */
function sample(id: string, extra: Record<string, unknown> = {}): InstanceRecord {
  return {
    id,
    novitaInstanceId: `nv-${id}`,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: '2026-01-01T00:00:00.000Z' },
    ...extra,
  };
}

function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

async function readAll(store: InstanceStore): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  for await (const batch of store.readBatches({ batchSize: 7 })) entries.push(...batch);
  return entries;
}

async function versionOf(store: InstanceStore, id: string): Promise<VersionedRecord> {
  const entry = (await readAll(store)).find((candidate) => candidate.id === id);
  assert.ok(entry?.record, `record ${id} readable`);
  return entry as VersionedRecord;
}
