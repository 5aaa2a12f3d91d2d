/**
 * Writes that no confirmation can change are applied while the confirmations are asked (issue 9), with
 * the same decisions the final plan makes; a failed early write fails the run and stops the confirmations.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type NovitaClient } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { expectConsistentReport, instance, interceptWrites, record, rejection } from '../../support/reconcile-fixtures.js';

describe('early writes', () => {
  it('a status refresh lands while the confirmation of another record is still in flight', async () => {
    const store = createMemoryStore({ records: [record('a'), record('gone')] });
    let refreshedBeforeAnswer: string | undefined;
    const scripted = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited')] });
    const client: NovitaClient = {
      listInstances: (options) => scripted.listInstances(options),
      getInstance: async (id) => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        refreshedBeforeAnswer = (await store.get('a'))?.status;
        return id === 'nv-gone' ? null : scripted.getInstance(id);
      },
    };
    const report = await createReconciler({ store, novitaClient: client, policy: { safetyMinRecords: 100 } }).sync();
    expect(refreshedBeforeAnswer).toBe('stopped');
    expect(report).toMatchObject({ updated: 1, markedTerminated: 1 });
    expect(report.actions.map((action) => [action.kind, action.recordId, action.outcome])).toEqual([
      ['refresh', 'a', 'applied'],
      ['markTerminated', 'gone', 'applied'],
    ]);
    expectConsistentReport(report);
  });

  it('a failed early write fails the run at once: the confirmations stop, nothing is terminated', async () => {
    const inner = createMemoryStore({ records: [record('a'), ...Array.from({ length: 30 }, (_, i) => record(`gone${i}`))] });
    const store = interceptWrites(inner, async () => {
      throw new Error('ECONNRESET');
    });
    let asked = 0;
    const scripted = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited')] });
    const client: NovitaClient = {
      listInstances: (options) => scripted.listInstances(options),
      getInstance: async (_id, options) => {
        asked += 1;
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 50);
          options?.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(options.signal?.reason);
            },
            { once: true },
          );
        });
        return null;
      },
    };
    const started = Date.now();
    const error = await rejection(
      createReconciler({ store, novitaClient: client, policy: { safetyMinRecords: 100 }, confirmConcurrency: 1 }).sync(),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(asked).toBeLessThan(30);
    expect((await inner.list()).every((item) => item.status === 'running')).toBe(true);
    expect(error.report?.notApplied).toBe(1);
    expectConsistentReport(error.report!);
  });

  it('a dry run reports the same actions as the real run, early or late', async () => {
    const records = [record('a'), record('b'), record('gone')];
    const listing = [instance('nv-a', 'exited'), instance('nv-b', 'running')];
    const dry = await createReconciler({
      store: createMemoryStore({ records }),
      novitaClient: createScriptedNovitaClient({ instances: listing }),
      policy: { safetyMinRecords: 100 },
    }).sync({ dryRun: true });
    const real = await createReconciler({
      store: createMemoryStore({ records }),
      novitaClient: createScriptedNovitaClient({ instances: listing }),
      policy: { safetyMinRecords: 100 },
    }).sync();
    expect(dry.actions.map(({ outcome: _o, ...rest }) => rest)).toEqual(real.actions.map(({ outcome: _o, ...rest }) => rest));
  });
});
