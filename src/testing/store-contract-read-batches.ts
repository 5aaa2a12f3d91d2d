/** The store contract's tests of `readBatches`: every record once, with its version, invalid ones reported. */
import assert from 'node:assert/strict';
import type { InstanceStore } from '../core/ports/store.js';
import { isReconcilerError } from '../errors.js';
import { readAll, sample, versionOf, type ContractIt, type WithStore } from './store-contract-kit.js';

/** @internal */
export function defineReadBatchesTests<S extends InstanceStore>(it: ContractIt, withStore: WithStore<S>): void {
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
}
