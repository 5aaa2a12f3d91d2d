/**
 * The store contract's tests of the optional instance-action capability (the trail of the calls that
 * end orphans, and when this library stopped each one): run against every store, they check a store that
 * has the capability and pass with nothing to check for one that has neither method.
 */
import assert from 'node:assert/strict';
import {
  INSTANCE_ACTION_METHODS,
  keepsInstanceActions,
  type InstanceActionEntry,
  type InstanceActionStore,
  type InstanceStore,
} from '../core/ports/store.js';
import type { ContractIt, WithStore } from './store-contract-kit.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const entry = (
  overrides: Partial<InstanceActionEntry> & Pick<InstanceActionEntry, 'kind' | 'novitaInstanceId' | 'phase'>,
): InstanceActionEntry => ({
  runId: 'run-1',
  reason: 'orphan 90 min old',
  at: NOW,
  ...overrides,
});

/** @internal */
export function defineInstanceActionTests<S extends InstanceStore>(it: ContractIt, withStore: WithStore<S>): void {
  const keeping = (name: string, body: (store: InstanceActionStore & S) => Promise<void>): void => {
    it(
      name,
      withStore(async ({ store }) => {
        if (!keepsInstanceActions(store)) return;
        await body(store);
      }),
    );
  };

  it(
    `has both of ${INSTANCE_ACTION_METHODS.join(', ')} or neither`,
    withStore(async ({ store }) => {
      const present = INSTANCE_ACTION_METHODS.filter(
        (method) => typeof (store as unknown as Record<string, unknown>)[method] === 'function',
      );
      assert.ok(present.length === 0 || present.length === INSTANCE_ACTION_METHODS.length, `only ${present.join(', ')}`);
    }),
  );

  keeping('knows no stop time of an instance it never stopped', async (store) => {
    assert.deepEqual(await store.readOrphanStops(['never-stopped']), {});
    assert.deepEqual(await store.readOrphanStops([]), {});
  });

  keeping('keeps the stop time of an applied stop only: an intent, a failed or a skipped stop keeps none', async (store) => {
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-applied', phase: 'intent' }));
    assert.deepEqual(await store.readOrphanStops(['i-applied']), {}, 'an intent is not a stop');
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-applied', phase: 'outcome', outcome: 'applied' }));
    await store.recordInstanceAction(
      entry({ kind: 'stop', novitaInstanceId: 'i-failed', phase: 'outcome', outcome: 'failed', reason: 'HTTP 500' }),
    );
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-skipped', phase: 'outcome', outcome: 'skipped' }));
    assert.deepEqual(await store.readOrphanStops(['i-applied', 'i-failed', 'i-skipped']), { 'i-applied': NOW.toISOString() });
  });

  keeping('forgets the stop time of an instance once its delete applied, not before', async (store) => {
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'applied' }));
    await store.recordInstanceAction(entry({ kind: 'delete', novitaInstanceId: 'i-1', phase: 'intent' }));
    await store.recordInstanceAction(entry({ kind: 'delete', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'failed' }));
    assert.deepEqual(await store.readOrphanStops(['i-1']), { 'i-1': NOW.toISOString() });
    await store.recordInstanceAction(entry({ kind: 'delete', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'applied' }));
    assert.deepEqual(await store.readOrphanStops(['i-1']), {});
  });

  keeping('a later applied stop moves the stop time', async (store) => {
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'applied' }));
    const later = new Date(NOW.getTime() + 3_600_000);
    await store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'applied', at: later }));
    assert.deepEqual(await store.readOrphanStops(['i-1']), { 'i-1': later.toISOString() });
  });

  keeping('rejects an aborted call without recording anything', async (store) => {
    const signal = AbortSignal.abort();
    await assert.rejects(
      store.recordInstanceAction(entry({ kind: 'stop', novitaInstanceId: 'i-1', phase: 'outcome', outcome: 'applied' }), { signal }),
    );
    assert.deepEqual(await store.readOrphanStops(['i-1']), {});
  });
}
