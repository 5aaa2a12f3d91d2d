/** What the reconciler leaves alone: conflicts, undecodable records, out-of-scope records and instances. */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceStore } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { daysAgo, expectConsistentReport, instance, record } from '../../support/reconcile-fixtures.js';

describe('what the reconciler leaves alone', () => {
  it('a record changed by someone else between read and write is a conflict, left for the next run', async () => {
    const inner = createMemoryStore({ records: [record('a'), record('b')] });
    const store: InstanceStore = {
      ...inner,
      readBatches: async function* (options) {
        yield* inner.readBatches(options);
        // The application writes record a after the reconciler read it.
        await inner.put({ ...record('a'), status: 'health_checking', note: 'app wrote this' });
      },
      writeBatch: (writes, options) => inner.writeBatch(writes, options),
    };
    const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited'), instance('nv-b', 'exited')] });
    const report = await createReconciler({ store, novitaClient: novita }).sync();
    expect(report.conflicts).toBe(1);
    expect(report.updated).toBe(1);
    expect(report.actions.find((action) => action.recordId === 'a')?.outcome).toBe('conflict');
    expect(await inner.get('a')).toMatchObject({ status: 'health_checking', note: 'app wrote this' });
    expectConsistentReport(report);
  });

  it('a record that cannot be decoded is counted and left untouched', async () => {
    const store = createMemoryStore({ records: [record('a')] });
    store.writeRaw('broken', '{"id": "broken", "status": 5}');
    store.writeRaw('garbage', 'not json at all');
    const report = await createReconciler({
      store,
      novitaClient: createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] }),
    }).sync();
    expect(report.skipped.invalid).toBe(2);
    expect(report.beforeSync).toBe(3);
    expect(await store.count()).toBe(3);
    expectConsistentReport(report);
  });

  it('scope: records it does not own are never touched, instances it does not own never adopted or reported', async () => {
    const store = createMemoryStore({ records: [record('mine', { env: 'prod' }), record('theirs', { env: 'staging' })] });
    const novita = createScriptedNovitaClient({
      instances: [
        instance('nv-prod-orphan', 'running', { name: 'prod-x', createdAt: daysAgo(1) }),
        instance('nv-staging-orphan', 'running', { name: 'staging-y', createdAt: daysAgo(1) }),
      ],
    });
    const report = await createReconciler({
      store,
      novitaClient: novita,
      policy: { novitaOnly: 'adopt' },
      scope: { record: (item) => item.env === 'prod', instance: (item) => String(item.name).startsWith('prod-') },
      adoptRecord: (item) => ({ id: `adopted-${item.id}`, status: 'unknown', env: 'prod' }),
    }).sync();
    expect(report.skipped.outOfScope).toBe(1);
    expect(report.markedTerminated).toBe(1);
    expect(report.adopted).toBe(1);
    expect(await store.get('theirs')).toMatchObject({ status: 'running' });
    expect(await store.get('adopted-nv-prod-orphan')).toMatchObject({ novitaInstanceId: 'nv-prod-orphan', status: 'running', env: 'prod' });
    expect(await store.get('adopted-nv-staging-orphan')).toBeNull();
    expectConsistentReport(report);
  });

  it('an adoption that meets an existing record id is a conflict and overwrites nothing', async () => {
    const store = createMemoryStore({ records: [record('nv-orphan', { novitaInstanceId: 'nv-other', owner: 'app' })] });
    const novita = createScriptedNovitaClient({
      instances: [instance('nv-orphan', 'running', { createdAt: daysAgo(1) }), instance('nv-other', 'running')],
    });
    const report = await createReconciler({ store, novitaClient: novita, policy: { novitaOnly: 'adopt' } }).sync();
    expect(report.adopted).toBe(0);
    expect(report.actions).toMatchObject([{ kind: 'adopt', outcome: 'conflict' }]);
    expect(await store.get('nv-orphan')).toMatchObject({ owner: 'app', novitaInstanceId: 'nv-other' });
    expect(report.totalInstances).toBe(2);
    expectConsistentReport(report);
  });
});
