/** The merged view of records and instances (`listInstances`). */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { instance, record } from '../../support/reconcile-fixtures.js';

describe('listInstances', () => {
  const setup = () => {
    const store = createMemoryStore({ records: [record('a'), record('b')] });
    const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited'), instance('nv-orphan', 'running')] });
    return { store, reconciler: createReconciler({ store, novitaClient: novita }) };
  };

  it('merges records and instances, tagged by source, with counts', async () => {
    const { reconciler } = setup();
    const view = await reconciler.listInstances();
    expect(view.instances.map((row) => [row.source, row.id])).toEqual([
      ['merged', 'a'],
      ['local', 'b'],
      ['novita', 'nv-orphan'],
    ]);
    expect(view.counts).toEqual({ local: 1, novita: 1, merged: 1, total: 3 });
    expect(view.report).toBeUndefined();
  });

  it('leaves Novita-only instances out when asked', async () => {
    const { reconciler } = setup();
    expect((await reconciler.listInstances({ includeNovitaOnly: false })).counts).toEqual({ local: 1, novita: 0, merged: 1, total: 2 });
  });

  it('with syncLocalState runs a sync first and returns its report with the refreshed view', async () => {
    const { reconciler } = setup();
    const view = await reconciler.listInstances({ syncLocalState: true });
    expect(view.report).toMatchObject({ updated: 1, markedTerminated: 1 });
    expect(view.instances.find((row) => row.id === 'a')?.record?.status).toBe('stopped');
    expect(view.instances.find((row) => row.id === 'b')?.record?.status).toBe('terminated');
  });
});

describe('listInstances options', () => {
  it('rejects a misspelt option with a ConfigError naming it and the option meant', async () => {
    const reconciler = createReconciler({ store: createMemoryStore(), novitaClient: createScriptedNovitaClient() });
    await expect(reconciler.listInstances({ includeNovitaOnyl: false } as never)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'includeNovitaOnyl',
      suggestion: 'includeNovitaOnly',
    });
  });
});
