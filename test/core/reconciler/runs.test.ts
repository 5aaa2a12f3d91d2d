/** Runs: never overlapping, aborted, failing midway; the lock around them. */
import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  isReconcilerError,
  type LockLease,
  type ReconcilerEvent,
  type SyncLock,
  type WriteBatchOptions,
} from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { countingStore, expectConsistentReport, fleetOf, instance, interceptWrites, rejection } from '../../support/reconcile-fixtures.js';

describe('runs', () => {
  it('never overlap in one process: a sync with other options waits for the first, then runs', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')], latencyMs: 30 });
    const events: string[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore({ records: fleetOf(1) }),
      novitaClient: novita,
      onEvent: (event) => {
        if (event.type === 'run-started' || event.type === 'run-finished') events.push(event.type);
      },
    });
    const [first, second] = await Promise.all([reconciler.sync(), reconciler.sync({ dryRun: true })]);
    expect(events).toEqual(['run-started', 'run-finished', 'run-started', 'run-finished']);
    expect(first.runId).not.toBe(second.runId);
    expect(second.dryRun).toBe(true);
  });

  it('a run that fails does not block the next one', async () => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')] });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(1) }), novitaClient: novita });
    novita.failListing(new Error('down'));
    await expect(reconciler.sync()).rejects.toThrow(/down/);
    novita.failListing(null);
    await expect(reconciler.sync()).resolves.toMatchObject({ unchanged: 1 });
  });

  it('an aborted run rejects with ABORTED and writes nothing', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(3) }));
    const novita = createScriptedNovitaClient({ latencyMs: 50 });
    const reconciler = createReconciler({ store, novitaClient: novita });
    const controller = new AbortController();
    const run = reconciler.sync({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 10);
    expect((await rejection(run)).code).toBe('ABORTED');
    expect(store.writes).toBe(0);
    const aborted = AbortSignal.abort();
    expect((await rejection(reconciler.sync({ signal: aborted }))).code).toBe('ABORTED');
  });

  it('a run aborted between write batches stops writing and reports what it applied', async () => {
    const inner = createMemoryStore({ records: fleetOf(30) });
    const controller = new AbortController();
    let batches = 0;
    const store = interceptWrites(inner, async (writes, options, call, next) => {
      batches = call;
      const results = await next(writes, options);
      if (call === 1) controller.abort();
      return results;
    });
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: { safetyMinRecords: 1000 },
      writeBatchSize: 10,
    });
    const error = await rejection(reconciler.sync({ signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(batches).toBe(1);
    expect(error.report?.markedTerminated).toBe(10);
    expect(error.report?.notApplied).toBe(20);
    expect(error.report?.actions.filter((action) => action.outcome === 'applied')).toHaveLength(10);
    expectConsistentReport(error.report!);
    expect((await inner.list()).filter((item) => item.status === 'terminated')).toHaveLength(10);
  });

  it('a store failure midway rejects STORE_UNAVAILABLE with the report of what was applied', async () => {
    const inner = createMemoryStore({ records: fleetOf(25) });
    const store = interceptWrites(inner, async (writes, options, call, next) => {
      if (call === 2) throw new Error('ECONNRESET');
      return next(writes, options);
    });
    const lines: string[] = [];
    const events: ReconcilerEvent[] = [];
    const error = await rejection(
      createReconciler({
        store,
        novitaClient: createScriptedNovitaClient(),
        policy: { safetyMinRecords: 1000 },
        writeBatchSize: 10,
        logger: { info: (_fields, message) => lines.push(message) },
        onEvent: (event) => events.push(event),
      }).sync(),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/ECONNRESET/);
    // The ten terminations that did land are logged and emitted; the fifteen never attempted are not.
    expect(lines.filter((line) => line === 'Obsolete instance record marked terminated')).toHaveLength(10);
    expect(events.filter((event) => event.type === 'action')).toHaveLength(10);
    expect(events.at(-1)).toMatchObject({ type: 'run-failed', report: { markedTerminated: 10 } });
    expect(error.report?.markedTerminated).toBe(10);
    expect(error.report?.notApplied).toBe(15);
    expectConsistentReport(error.report!);
  });
});

describe('the lock', () => {
  const leaseFor = (lost = new AbortController()) => {
    const release = vi.fn(async () => undefined);
    const lease: LockLease = { token: 't1', fence: { key: 'lock', token: 't1' }, lost: lost.signal, release };
    return { lease, release, lost };
  };

  it('a lock held elsewhere rejects SYNC_IN_PROGRESS and reads nothing', async () => {
    const novita = createScriptedNovitaClient();
    const lock: SyncLock = { acquire: async () => null };
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: novita, lock }).sync());
    expect(isReconcilerError(error, 'SYNC_IN_PROGRESS')).toBe(true);
    expect(novita.calls).toHaveLength(0);
  });

  it('passes the fence to every write batch and releases the lease', async () => {
    const { lease, release } = leaseFor();
    const inner = createMemoryStore({ records: fleetOf(3) });
    const fences: WriteBatchOptions['fence'][] = [];
    const store = interceptWrites(inner, async (writes, options, _call, next) => {
      fences.push(options?.fence);
      return next(writes, options);
    });
    await createReconciler({ store, novitaClient: createScriptedNovitaClient(), lock: { acquire: async () => lease } }).sync();
    expect(fences).toEqual([{ key: 'lock', token: 't1' }]);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('a lease lost before the writes stops the run with LOCK_LOST, writing nothing', async () => {
    const { lease, release, lost } = leaseFor();
    const store = countingStore(createMemoryStore({ records: fleetOf(3) }));
    const novita = createScriptedNovitaClient({ latencyMs: 20 });
    setTimeout(() => lost.abort(), 5);
    const error = await rejection(createReconciler({ store, novitaClient: novita, lock: { acquire: async () => lease } }).sync());
    expect(error.code).toBe('LOCK_LOST');
    expect(store.writes).toBe(0);
    expect(release).toHaveBeenCalledTimes(1);
  });
});

describe('a sync refused because another replica holds the lock', () => {
  it('emits run-skipped with reason lock-held (there is no run, so no run-failed), then rejects SYNC_IN_PROGRESS', async () => {
    const events: ReconcilerEvent[] = [];
    const lock: SyncLock = { acquire: async () => null };
    const reconciler = createReconciler({
      store: createMemoryStore(),
      novitaClient: createScriptedNovitaClient(),
      lock,
      onEvent: (event) => events.push(event),
    });
    await expect(reconciler.sync()).rejects.toMatchObject({ code: 'SYNC_IN_PROGRESS' });
    expect(events).toEqual([{ type: 'run-skipped', reason: 'lock-held', timestamp: expect.any(String) }]);
  });
});
