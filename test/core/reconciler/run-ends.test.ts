/**
 * Every run ends (issue 7.3): whatever store, lock or Novita call never answers, `sync()` settles, by
 * the caller's signal, the lost lease, or the library's own deadlines; and the report says what is
 * known and what is not.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  NovitaApiError,
  type InstanceStore,
  type LockLease,
  type NovitaClient,
  type ReconcilerEvent,
  type SyncLock,
} from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { expectConsistentReport, fleetOf, instance, interceptWrites, record, rejection } from '../../support/reconcile-fixtures.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** A store whose reads never answer, the way `new Redis(url)` behaves when replies stop coming. */
function storeWithHangingReads(inner: InstanceStore): InstanceStore {
  return {
    ...inner,
    readBatches: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => never<IteratorResult<never>>() }),
    }),
  };
}

/** A lock whose lease can be lost on demand. */
function losableLock(): SyncLock & { lose(): void } {
  const controller = new AbortController();
  const lease: LockLease = { token: 't', lost: controller.signal, release: async () => undefined };
  return { acquire: async () => lease, lose: () => controller.abort(new Error('lease lost')) };
}

describe('a store that never answers', () => {
  it('a read that never answers fails the run with STORE_UNAVAILABLE at the store deadline', async () => {
    const reconciler = createReconciler({
      store: storeWithHangingReads(createMemoryStore({ records: fleetOf(3) })),
      novitaClient: createScriptedNovitaClient(),
      storeTimeoutMs: 150,
    });
    const error = await rejection(reconciler.sync());
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/no answer within 150 ms/);
  });

  it("the caller's signal settles a run stuck on a read", async () => {
    const reconciler = createReconciler({
      store: storeWithHangingReads(createMemoryStore({ records: fleetOf(3) })),
      novitaClient: createScriptedNovitaClient(),
    });
    const error = await rejection(reconciler.sync({ signal: AbortSignal.timeout(100) }));
    expect(error.code).toBe('ABORTED');
  });

  it('a lost lease settles a run stuck on a read, with LOCK_LOST', async () => {
    const lock = losableLock();
    const reconciler = createReconciler({
      store: storeWithHangingReads(createMemoryStore({ records: fleetOf(3) })),
      novitaClient: createScriptedNovitaClient(),
      lock,
    });
    const run = reconciler.sync();
    setTimeout(() => lock.lose(), 50);
    expect((await rejection(run)).code).toBe('LOCK_LOST');
  });

  it('a write batch whose answer never comes is reported unknown, not applied and not not-applied', async () => {
    const inner = createMemoryStore({ records: fleetOf(25) });
    const store = interceptWrites(inner, async (writes, options, call, next) => (call === 2 ? never() : next(writes, options)));
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: { safetyMinRecords: 1000 },
      writeBatchSize: 10,
      storeTimeoutMs: 200,
    });
    const error = await rejection(reconciler.sync());
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toMatch(/outcome of 10 writes is unknown/);
    const report = error.report!;
    expect(report.markedTerminated).toBe(10);
    expect(report.unknown).toBe(10);
    expect(report.notApplied).toBe(5);
    expect(report.actions.map((action) => action.outcome)).toEqual([
      ...Array(10).fill('applied'),
      ...Array(10).fill('unknown'),
      ...Array(5).fill('not-applied'),
    ]);
    expectConsistentReport(report);
  });

  it('an abort while a write batch is in flight still waits briefly for its answer, so the report knows what was applied', async () => {
    const inner = createMemoryStore({ records: fleetOf(20) });
    const controller = new AbortController();
    // The batch lands, then the abort comes while its answer is still on the way back.
    const store = interceptWrites(inner, async (writes, options, _call, next) => {
      const results = await next(writes, options);
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 50));
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
    expect(error.report).toMatchObject({ markedTerminated: 10, unknown: 0, notApplied: 10 });
  });

  it('a lock whose acquire never answers fails the run at the store deadline, and a lease that arrives late is released', async () => {
    let released = 0;
    let arrive: (lease: LockLease) => void = () => undefined;
    const lock: SyncLock = { acquire: () => new Promise<LockLease>((resolve) => (arrive = resolve)) };
    const reconciler = createReconciler({
      store: createMemoryStore(),
      novitaClient: createScriptedNovitaClient(),
      lock,
      storeTimeoutMs: 100,
    });
    expect((await rejection(reconciler.sync())).code).toBe('STORE_UNAVAILABLE');
    arrive({ token: 'late', lost: new AbortController().signal, release: async () => void (released += 1) });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(released).toBe(1);
  });

  it('a release that never answers does not keep a finished run pending', async () => {
    const lock: SyncLock = { acquire: async () => ({ token: 't', lost: new AbortController().signal, release: () => never() }) };
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a')] }),
      novitaClient: createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] }),
      lock,
      storeTimeoutMs: 100,
    });
    await expect(reconciler.sync()).resolves.toMatchObject({ unchanged: 1 });
  });

  it('stop() settles while a scheduled run is stuck on the store, once the deadline passes', async () => {
    const reconciler = createReconciler({
      store: storeWithHangingReads(createMemoryStore({ records: fleetOf(1) })),
      novitaClient: createScriptedNovitaClient(),
      storeTimeoutMs: 150,
    });
    reconciler.start({ runImmediately: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await reconciler.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('a Novita listing that never answers', () => {
  it('a custom client whose listing ignores the signal is settled by the listing deadline', async () => {
    const client: NovitaClient = { listInstances: () => never(), getInstance: async () => null };
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: client, listingTimeoutMs: 100 }).sync());
    expect(error.code).toBe('NOVITA_API');
    expect(error.message).toMatch(/no complete listing within 100 ms/);
  });
});

describe('confirmations are bounded', () => {
  const vanished = (count: number) => createMemoryStore({ records: fleetOf(count) });

  it('a circuit breaker stops asking Novita after confirmFailureLimit failures in a row, leaving the rest unverified', async () => {
    const calls: string[] = [];
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [], total: 0 }),
      getInstance: async (id) => {
        calls.push(id);
        throw new NovitaApiError('Novita answered 404 (not the documented not-found)', { status: 404 });
      },
    };
    const events: ReconcilerEvent[] = [];
    const store = vanished(40);
    const report = await createReconciler({
      store,
      novitaClient: client,
      policy: { safetyMinRecords: 1000 },
      confirmConcurrency: 1,
      confirmFailureLimit: 5,
      onEvent: (event) => events.push(event),
    }).sync();
    expect(calls).toHaveLength(5);
    expect(report.unverified).toBe(40);
    expect(report.markedTerminated + report.removed).toBe(0);
    expect(report.confirmations).toEqual({ requested: 40, gone: 0, alive: 0, failed: 5, notAttempted: 35, stoppedBy: 'circuit-breaker' });
    expect((await store.list()).every((item) => item.status === 'running')).toBe(true);
    expectConsistentReport(report);
  });

  it('a success resets the breaker: failures that are not in a row never trip it', async () => {
    let call = 0;
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [], total: 0 }),
      getInstance: async () => {
        call += 1;
        if (call % 2 === 0) return null;
        throw new Error('flaky');
      },
    };
    const report = await createReconciler({
      store: vanished(20),
      novitaClient: client,
      policy: { safetyMinRecords: 1000 },
      confirmConcurrency: 1,
      confirmFailureLimit: 2,
    }).sync();
    expect(report.confirmations).toMatchObject({ requested: 20, gone: 10, failed: 10, notAttempted: 0, stoppedBy: null });
    expect(report.markedTerminated).toBe(10);
    expect(report.unverified).toBe(10);
  });

  it('an overall budget abandons confirmations that hang and leaves the rest unverified; the run resolves', async () => {
    const client: NovitaClient = { listInstances: async () => ({ instances: [], total: 0 }), getInstance: () => never() };
    const started = Date.now();
    const report = await createReconciler({
      store: vanished(150),
      novitaClient: client,
      policy: { safetyMinRecords: 1000 },
      confirmBudgetMs: 300,
    }).sync();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.unverified).toBe(150);
    expect(report.confirmations).toMatchObject({ requested: 150, stoppedBy: 'budget', notAttempted: 150, failed: 0 });
    expectConsistentReport(report);
  });

  it('confirmations keep to their concurrency bound', async () => {
    const novita = createScriptedNovitaClient({ latencyMs: 5 });
    await createReconciler({ store: vanished(30), novitaClient: novita, policy: { safetyMinRecords: 1000 }, confirmConcurrency: 3 }).sync();
    expect(novita.maxInFlight).toBe(3);
  });
});

describe('a write batch that fails midway', () => {
  it("the report follows the store's progress: settled writes as answered, writes in doubt unknown, the rest not applied", async () => {
    const inner = createMemoryStore({ records: fleetOf(10) });
    const store = interceptWrites(inner, async (writes, options, _call, next) => {
      const settled = await next(writes.slice(0, 4), options);
      throw Object.assign(new Error('WRONGTYPE in chunk 2'), { writeResults: settled, writesInDoubt: 3 });
    });
    const error = await rejection(
      createReconciler({ store, novitaClient: createScriptedNovitaClient(), policy: { safetyMinRecords: 1000 } }).sync(),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.report?.actions.map((action) => action.outcome)).toEqual([
      ...Array(4).fill('applied'),
      ...Array(3).fill('unknown'),
      ...Array(3).fill('not-applied'),
    ]);
    expect(error.report).toMatchObject({ markedTerminated: 4, unknown: 3, notApplied: 3 });
    expectConsistentReport(error.report!);
  });
});

describe('stop() with a deadline', () => {
  const slowListing = (ms: number): NovitaClient => ({
    getInstance: async () => null,
    listInstances: (options) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ instances: [], total: 0 }), ms);
        options?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(options.signal?.reason);
        });
      }),
  });

  it('stop({ signal }) aborts the scheduled run in flight when the signal aborts, and resolves', async () => {
    const events: ReconcilerEvent[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore(),
      novitaClient: slowListing(10_000),
      onEvent: (event) => events.push(event),
    });
    reconciler.start({ runImmediately: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await reconciler.stop({ signal: AbortSignal.timeout(100) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(events.at(-1)).toMatchObject({ type: 'run-failed', error: { code: 'ABORTED' } });
  });

  it('stop() without a signal waits for the run to finish', async () => {
    const events: ReconcilerEvent[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore(),
      novitaClient: slowListing(200),
      onEvent: (event) => events.push(event),
    });
    reconciler.start({ runImmediately: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await reconciler.stop();
    expect(events.at(-1)).toMatchObject({ type: 'run-finished' });
  });
});
