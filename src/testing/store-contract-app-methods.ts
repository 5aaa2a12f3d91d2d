/** The store contract's tests of the methods the application calls: put, get, delete, list, count. */
import assert from 'node:assert/strict';
import type { InstanceRecord } from '../core/record.js';
import type { InstanceStore } from '../core/ports/store.js';
import { isReconcilerError } from '../errors.js';
import { jsonRoundTrip, sample, type ContractIt, type WithStore } from './store-contract-kit.js';

/** @internal */
export function defineAppMethodTests<S extends InstanceStore>(it: ContractIt, withStore: WithStore<S>): void {
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
}
