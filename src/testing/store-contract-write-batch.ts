/** The store contract's tests of `writeBatch`: conditional writes, conflicts, missing records, fences, large batches. */
import assert from 'node:assert/strict';
import type { InstanceRecord } from '../core/record.js';
import type { ConditionalWrite, InstanceStore } from '../core/ports/store.js';
import { isReconcilerError } from '../errors.js';
import { readAll, sample, versionOf, type ContractIt, type WithStore } from './store-contract-kit.js';

/** @internal */
export function defineWriteBatchTests<S extends InstanceStore>(it: ContractIt, withStore: WithStore<S>): void {
  it(
    'a put at the version read applies and returns the new version',
    withStore(async ({ store }) => {
      await store.put(sample('r1'));
      const read = await versionOf(store, 'r1');
      const [result] = await store.writeBatch([
        { op: 'put', id: 'r1', record: sample('r1', { status: 'stopped' }), expectedVersion: read.version },
      ]);
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
      const [result] = await store.writeBatch([
        { op: 'put', id: 'r1', record: sample('r1', { status: 'terminated' }), expectedVersion: read.version },
      ]);
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
      const [result] = await store.writeBatch([
        { op: 'put', id: 'r1', record: sample('r1', { status: 'terminated' }), expectedVersion: read.version },
      ]);
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
        store.writeBatch([
          { op: 'put', id: 'r1', record: { id: 'r1', status: null } as unknown as InstanceRecord, expectedVersion: read.version },
        ]),
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
          store.writeBatch([
            { op: 'put', id: 'contested', record: sample('contested', { counter: writer + 1 }), expectedVersion: read.version },
          ]),
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
}
