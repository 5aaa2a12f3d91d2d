/**
 * Single flight (issue 7.6): concurrent `sync()` calls with equal options share one run; a sharer's
 * signal rejects only its own promise; the shared run stops only when every sharer has aborted.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { fleetOf, instance, interceptWrites, rejection } from '../../support/reconcile-fixtures.js';

const listings = (novita: ReturnType<typeof createScriptedNovitaClient>) =>
  novita.calls.filter((call) => call.method === 'listInstances').length;

describe('single flight', () => {
  it('50 concurrent syncs with equal options run one listing and share one report', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'exited')], latencyMs: 20 });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(1) }), novitaClient: novita });
    const reports = await Promise.all(Array.from({ length: 50 }, () => reconciler.sync()));
    expect(listings(novita)).toBe(1);
    expect(new Set(reports.map((report) => report.runId)).size).toBe(1);
    expect(reports[0]?.updated).toBe(1);
  });

  it('a call with other options does not share: it waits, then runs its own', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')], latencyMs: 20 });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(1) }), novitaClient: novita });
    const [real, dry, noObsolete, again] = await Promise.all([
      reconciler.sync(),
      reconciler.sync({ dryRun: true }),
      reconciler.sync({ handleObsoleteInstances: false }),
      reconciler.sync({ dryRun: true }),
    ]);
    expect(listings(novita)).toBe(3);
    expect(dry?.runId).toBe(again?.runId);
    expect(new Set([real?.runId, dry?.runId, noObsolete?.runId]).size).toBe(3);
  });

  it("a sharer's abort rejects only its own promise; the run goes on for the others", async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'exited')], latencyMs: 50 });
    const store = createMemoryStore({ records: fleetOf(1) });
    const reconciler = createReconciler({ store, novitaClient: novita });
    const controller = new AbortController();
    const first = reconciler.sync();
    const second = reconciler.sync({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client went away')), 10);
    expect((await rejection(second)).code).toBe('ABORTED');
    await expect(first).resolves.toMatchObject({ updated: 1 });
    expect((await store.get('r0'))?.status).toBe('stopped');
  });

  it('the shared run aborts only when every sharer has aborted, and the last one gets what it applied', async () => {
    const inner = createMemoryStore({ records: fleetOf(20) });
    const a = new AbortController();
    const b = new AbortController();
    const store = interceptWrites(inner, async (writes, options, call, next) => {
      const results = await next(writes, options);
      if (call === 1) a.abort();
      if (call === 2) b.abort();
      return results;
    });
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: { safetyMinRecords: 1000 },
      writeBatchSize: 5,
    });
    const first = rejection(reconciler.sync({ signal: a.signal }));
    const second = rejection(reconciler.sync({ signal: b.signal }));
    const [errorA, errorB] = await Promise.all([first, second]);
    expect(errorA.code).toBe('ABORTED');
    expect(errorA.report).toBeUndefined();
    expect(errorB.code).toBe('ABORTED');
    // a's abort after batch 1 did not stop the run; b's after batch 2 did.
    expect(errorB.report).toMatchObject({ markedTerminated: 10, notApplied: 10 });
  });

  it('an abort of a call still queued behind another run rejects at once, and nothing of it runs', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')], latencyMs: 200 });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(1) }), novitaClient: novita });
    const running = reconciler.sync();
    const controller = new AbortController();
    const queued = reconciler.sync({ dryRun: true, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    expect((await rejection(queued)).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(150);
    await running;
    expect(listings(novita)).toBe(1);
  });

  it('a call made after a run settled starts a new run', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')] });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(1) }), novitaClient: novita });
    const first = await reconciler.sync();
    const second = await reconciler.sync();
    expect(first.runId).not.toBe(second.runId);
  });
});
