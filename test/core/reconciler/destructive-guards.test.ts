/**
 * The guards on destructive actions (issue 16), on the memory store: the per-run cap, the window budget,
 * the hold and the application's liveness check; destructive writes never sent early; each held-back
 * record reported with its reason, and dry runs holding back exactly what the real run would.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createMemoryStore,
  createReconciler,
  readHold,
  releaseHold,
  setHold,
  type InstanceRecord,
  type InstanceStore,
  type NovitaClient,
  type ReconcilerEvent,
} from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import {
  daysAgo,
  expectConsistentReport,
  instance,
  interceptWrites,
  minutesAgo,
  NOW,
  record,
  rejection,
} from '../../support/reconcile-fixtures.js';

/** `count` records whose instances vanished (`gone0`...), and `alive` records whose instances run (`live0`...). */
function fleet(vanished: number, alive: number): { records: InstanceRecord[]; novita: ReturnType<typeof createScriptedNovitaClient> } {
  const records = [
    ...Array.from({ length: vanished }, (_, i) => record(`gone${String(i).padStart(2, '0')}`, { timestamps: { created: daysAgo(2 + i) } })),
    ...Array.from({ length: alive }, (_, i) => record(`live${i}`)),
  ];
  const novita = createScriptedNovitaClient({ instances: Array.from({ length: alive }, (_, i) => instance(`nv-live${i}`, 'running')) });
  return { records, novita };
}

const OPEN_SAFETY = { maxObsoleteFraction: 1 } as const;

/** A store without the guard capability (only the reconciler-facing methods). */
function bareStore(store: InstanceStore): InstanceStore {
  return {
    get: store.get.bind(store),
    put: store.put.bind(store),
    delete: store.delete.bind(store),
    list: store.list.bind(store),
    count: store.count.bind(store),
    readBatches: store.readBatches.bind(store),
    writeBatch: store.writeBatch.bind(store),
  };
}

describe('maxDestructivePerRun', () => {
  it('ends 40 vanished records over four runs, 10 each, refreshing every other record each time', async () => {
    const { records, novita } = fleet(40, 10);
    const store = createMemoryStore({ records });
    const reconciler = createReconciler({
      store,
      novitaClient: novita,
      policy: { ...OPEN_SAFETY, maxDestructivePerRun: 10 },
      clock: () => NOW,
    });
    const ended: string[][] = [];
    for (let run = 0; run < 5; run += 1) {
      // Every live instance changes status each run, so every live record is refreshed each run.
      novita.setInstances(Array.from({ length: 10 }, (_, i) => instance(`nv-live${i}`, run % 2 === 0 ? 'exited' : 'running')));
      const report = await reconciler.sync();
      expectConsistentReport(report);
      expect(report.updated).toBe(10);
      ended.push(report.actions.filter((action) => action.kind === 'markTerminated').map((action) => action.recordId));
      expect(report.skipped.limit).toBe(Math.max(0, 30 - run * 10));
      expect(report.limits).toMatchObject({ maxDestructivePerRun: 10, heldBack: { cap: Math.max(0, 30 - run * 10), window: 0, hold: 0 } });
    }
    expect(ended.map((ids) => ids.length)).toEqual([10, 10, 10, 10, 0]);
    // Oldest first: gone39 was created 41 days ago.
    expect(ended[0]).toEqual(Array.from({ length: 10 }, (_, i) => `gone${39 - i}`).sort());
    expect((await store.list()).filter((stored) => stored.status === 'terminated')).toHaveLength(40);
  });

  it('takes obsolete, then never-started, then retention; each oldest first, then by id', async () => {
    const records = [
      record('ret-old', { status: 'terminated', timestamps: { terminated: daysAgo(30) } }),
      record('ret-new', { status: 'terminated', timestamps: { terminated: daysAgo(10) } }),
      record('never', { status: 'creating', novitaInstanceId: undefined, timestamps: { created: daysAgo(1), started: undefined } }),
      record('obs-b', { timestamps: { created: daysAgo(3) } }),
      record('obs-a', { timestamps: { created: daysAgo(3) } }),
      record('obs-young', { timestamps: { created: daysAgo(2) } }),
    ];
    for (const [cap, expected] of [
      [1, ['obs-a']],
      [3, ['obs-a', 'obs-b', 'obs-young']],
      [4, ['never', 'obs-a', 'obs-b', 'obs-young']],
      [5, ['never', 'obs-a', 'obs-b', 'obs-young', 'ret-old']],
    ] as const) {
      const report = await createReconciler({
        store: createMemoryStore({ records }),
        novitaClient: createScriptedNovitaClient(),
        policy: { ...OPEN_SAFETY, maxDestructivePerRun: cap },
        clock: () => NOW,
      }).sync({ dryRun: true });
      expect(report.actions.map((action) => action.recordId).sort()).toEqual([...expected].sort());
      expect(report.limits.records.map((held) => held.recordId)).toEqual(
        ['obs-a', 'obs-b', 'obs-young', 'never', 'ret-old', 'ret-new'].slice(cap),
      );
      expect(report.skipped.limit).toBe(6 - cap);
    }
  });

  it('0 ends nothing, forceSync lifts nothing, and status refreshes are never limited', async () => {
    const { records, novita } = fleet(20, 5);
    novita.setInstances(Array.from({ length: 5 }, (_, i) => instance(`nv-live${i}`, 'exited')));
    const reconciler = createReconciler({
      store: createMemoryStore({ records }),
      novitaClient: novita,
      policy: { maxDestructivePerRun: 0 },
    });
    const report = await reconciler.sync({ forceSync: true });
    expect(report.safety.overridden).toBe(true);
    expect(report).toMatchObject({ updated: 5, markedTerminated: 0, skipped: expect.objectContaining({ limit: 20 }) });
    expectConsistentReport(report);
  });

  it('a dry run holds back exactly what the real run does', async () => {
    const { records, novita } = fleet(12, 3);
    const store = createMemoryStore({ records });
    const reconciler = createReconciler({
      store,
      novitaClient: novita,
      policy: { ...OPEN_SAFETY, maxDestructivePerRun: 5 },
      clock: () => NOW,
    });
    const dry = await reconciler.sync({ dryRun: true });
    const real = await reconciler.sync();
    expect(dry.limits).toEqual(real.limits);
    expect(dry.actions.map((action) => action.recordId)).toEqual(real.actions.map((action) => action.recordId));
    expect(dry.skipped).toEqual(real.skipped);
  });
});

describe('destructive writes are never sent early', () => {
  it('a record listed as being deleted waits for the confirmations of the others before it is written', async () => {
    const inner = createMemoryStore({ records: [record('deleting'), record('absent'), record('live')] });
    const sent: { ids: string[]; confirmed: boolean }[] = [];
    let confirmed = false;
    const store = interceptWrites(inner, async (writes, options, _call, next) => {
      sent.push({ ids: writes.map((write) => write.id), confirmed });
      return next(writes, options);
    });
    const scripted = createScriptedNovitaClient({ instances: [instance('nv-deleting', 'removing'), instance('nv-live', 'exited')] });
    const client: NovitaClient = {
      listInstances: (options) => scripted.listInstances(options),
      getInstance: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        confirmed = true;
        return null;
      },
    };
    const report = await createReconciler({ store, novitaClient: client, policy: OPEN_SAFETY }).sync();
    expect(report).toMatchObject({ updated: 1, markedTerminated: 2 });
    // The refresh went early; both terminations only once the confirmation was in.
    expect(sent[0]).toEqual({ ids: ['live'], confirmed: false });
    expect(sent.slice(1).every((batch) => batch.confirmed)).toBe(true);
    expect(sent.flatMap((batch) => batch.ids).sort()).toEqual(['absent', 'deleting', 'live']);
  });
});

describe('livenessCheck', () => {
  it('a record it answers true for is kept through any number of runs; false lets the run end it', async () => {
    const { records, novita } = fleet(3, 1);
    const store = createMemoryStore({ records });
    const asked: string[] = [];
    const reconciler = createReconciler({
      store,
      novitaClient: novita,
      policy: OPEN_SAFETY,
      livenessCheck: (stored) => {
        asked.push(stored.id);
        return stored.id === 'gone00';
      },
    });
    for (let run = 0; run < 3; run += 1) {
      asked.length = 0;
      const report = await reconciler.sync();
      expectConsistentReport(report);
      expect(report.liveness.kept.map((kept) => [kept.recordId, kept.verdict])).toEqual([['gone00', 'alive']]);
      expect(report.skipped.liveness).toBe(1);
      expect(asked.filter((id) => id === 'gone00')).toHaveLength(1);
    }
    expect((await store.get('gone00'))?.status).toBe('running');
    expect((await store.get('gone01'))?.status).toBe('terminated');
  });

  it('a throw, a rejection, a hang and any answer but false keep the record, and the report says which', async () => {
    const ids = ['throws', 'rejects', 'hangs', 'zero', 'string', 'undef', 'agrees'];
    const store = createMemoryStore({ records: ids.map((id) => record(id)) });
    let signalOfHang: AbortSignal | undefined;
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: OPEN_SAFETY,
      livenessTimeoutMs: 100,
      livenessCheck: ((stored: InstanceRecord, { signal }: { signal: AbortSignal }) => {
        if (stored.id === 'throws') throw new Error('heartbeat table unreachable');
        if (stored.id === 'rejects') return Promise.reject(new Error('timeout talking to the job'));
        if (stored.id === 'hangs') {
          signalOfHang = signal;
          return new Promise(() => {});
        }
        if (stored.id === 'zero') return 0;
        if (stored.id === 'string') return 'false';
        if (stored.id === 'undef') return undefined;
        return false;
      }) as never,
    });
    const started = Date.now();
    const report = await reconciler.sync();
    expect(Date.now() - started).toBeLessThan(2_000);
    expectConsistentReport(report);
    expect(report.liveness).toMatchObject({ checked: 7, alive: 3, failed: 3 });
    expect(Object.fromEntries(report.liveness.kept.map((kept) => [kept.recordId, kept.verdict]))).toEqual({
      throws: 'error',
      rejects: 'error',
      hangs: 'timeout',
      zero: 'alive',
      string: 'alive',
      undef: 'alive',
    });
    expect(report.liveness.kept.find((kept) => kept.recordId === 'throws')?.message).toBe('heartbeat table unreachable');
    expect(signalOfHang?.aborted).toBe(true);
    expect(report.actions.map((action) => action.recordId)).toEqual(['agrees']);
    expect(report.skipped.liveness).toBe(6);
  });

  it('is not asked about retention, is asked in a dry run, and runs before the cap', async () => {
    const asked: string[] = [];
    const records = [
      record('a'),
      record('b'),
      record('c'),
      record('old', { status: 'terminated', timestamps: { terminated: daysAgo(30) } }),
    ];
    const reconciler = createReconciler({
      store: createMemoryStore({ records }),
      novitaClient: createScriptedNovitaClient(),
      policy: { ...OPEN_SAFETY, maxDestructivePerRun: 1 },
      livenessCheck: (stored) => {
        asked.push(stored.id);
        return stored.id === 'a';
      },
    });
    const report = await reconciler.sync({ dryRun: true });
    expect(asked.sort()).toEqual(['a', 'b', 'c']);
    // a is kept by the veto, so the cap of 1 goes to b (not to a).
    expect(report.actions.map((action) => action.recordId)).toEqual(['b']);
    expect(report.skipped).toMatchObject({ liveness: 1, limit: 2 });
    expect(report.limits.records.map((held) => [held.recordId, held.limit])).toEqual([
      ['c', 'cap'],
      ['old', 'cap'],
    ]);
  });

  it('an abort while it is asked rejects the run with ABORTED, ending nothing', async () => {
    const store = createMemoryStore({ records: [record('a')] });
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      livenessCheck: () => new Promise(() => {}),
    });
    const error = await rejection(reconciler.sync({ signal: AbortSignal.timeout(50) }));
    expect(error.code).toBe('ABORTED');
    expect((await store.get('a'))?.status).toBe('running');
  });
});

describe('destructiveBudget on the memory store', () => {
  it('a store that cannot keep it makes createReconciler throw a ConfigError naming the option', () => {
    const create = () =>
      createReconciler({
        store: bareStore(createMemoryStore()),
        novitaClient: createScriptedNovitaClient(),
        policy: { destructiveBudget: { max: 5, windowMinutes: 60 } },
      });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/policy\.destructiveBudget/);
  });

  it('a store with only some of the guard methods is refused, naming the missing one', () => {
    const store = { ...bareStore(createMemoryStore()), reserveDestructive: async () => ({ hold: null, usedBefore: 0, granted: 0 }) };
    expect(() => createReconciler({ store, novitaClient: createScriptedNovitaClient() })).toThrow(/store\.releaseDestructive/);
  });

  it('ends at most max records within the window, more once it moves; a dry run reads it and reserves nothing', async () => {
    const { records, novita } = fleet(12, 0);
    const store = createMemoryStore({ records });
    let now = NOW.getTime();
    const reconciler = createReconciler({
      store,
      novitaClient: novita,
      policy: { ...OPEN_SAFETY, destructiveBudget: { max: 5, windowMinutes: 60 } },
      clock: () => new Date(now),
    });
    const dry = await reconciler.sync({ dryRun: true });
    expect(dry.limits.window).toEqual({ max: 5, windowMinutes: 60, usedBefore: 0, usedByRun: 5 });
    const first = await reconciler.sync();
    expect(first.markedTerminated).toBe(5);
    expect(first.limits.window).toEqual({ max: 5, windowMinutes: 60, usedBefore: 0, usedByRun: 5 });
    expect(first.limits.heldBack).toEqual({ cap: 0, window: 7, hold: 0 });
    now += 59 * 60_000;
    const second = await reconciler.sync();
    expect(second.markedTerminated).toBe(0);
    expect(second.limits.window).toMatchObject({ usedBefore: 5, usedByRun: 0 });
    now += 2 * 60_000;
    const third = await reconciler.sync();
    expect(third.markedTerminated).toBe(5);
    expectConsistentReport(third);
  });

  it('releases the reservation of a write that met a conflict', async () => {
    const inner = createMemoryStore({ records: [record('a'), record('b')] });
    const store = Object.assign(
      interceptWrites(inner, async (writes, options, _call, next) => {
        // The application touches a before the reconciler's write lands.
        if (writes.some((write) => write.id === 'a')) await inner.put({ ...record('a'), owner: 'app' });
        return next(writes, options);
      }),
      {
        reserveDestructive: inner.reserveDestructive.bind(inner),
        releaseDestructive: inner.releaseDestructive.bind(inner),
        readHold: inner.readHold.bind(inner),
        setHold: inner.setHold.bind(inner),
        clearHold: inner.clearHold.bind(inner),
      },
    );
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: { ...OPEN_SAFETY, destructiveBudget: { max: 5, windowMinutes: 60 } },
      clock: () => NOW,
    });
    const report = await reconciler.sync();
    expect(report).toMatchObject({ markedTerminated: 1, conflicts: 1 });
    expect(report.limits.window).toMatchObject({ usedBefore: 0, usedByRun: 1 });
    expect(
      await inner.reserveDestructive({ runId: 'probe', ids: [], budget: { max: 5, windowMs: 3_600_000 }, now: NOW, reserve: false }),
    ).toMatchObject({
      usedBefore: 1,
    });
  });
});

describe('the hold', () => {
  it('while set, no run ends anything and statuses still refresh; released, the next run goes on', async () => {
    const { records, novita } = fleet(4, 2);
    novita.setInstances([instance('nv-live0', 'exited'), instance('nv-live1', 'running')]);
    const store = createMemoryStore({ records });
    const events: ReconcilerEvent[] = [];
    const warnings: string[] = [];
    const reconciler = createReconciler({
      store,
      novitaClient: novita,
      policy: OPEN_SAFETY,
      clock: () => NOW,
      onEvent: (event) => events.push(event),
      logger: { warn: (_fields, message) => warnings.push(message) },
    });
    const hold = await setHold(store, { reason: 'Novita incident 42', by: 'alice', clock: () => new Date(minutesAgo(5)) });
    expect(await readHold(store)).toEqual({ reason: 'Novita incident 42', by: 'alice', at: minutesAgo(5) });
    for (const dryRun of [true, false]) {
      const report = await reconciler.sync({ dryRun, forceSync: true });
      expectConsistentReport(report);
      expect(report).toMatchObject({ updated: 1, markedTerminated: 0, removed: 0 });
      expect(report.skipped.limit).toBe(4);
      expect(report.limits).toMatchObject({ hold, heldBack: { cap: 0, window: 0, hold: 4 } });
    }
    const reached = events.filter((event) => event.type === 'destructive-limit-reached');
    expect(reached).toHaveLength(2);
    expect(warnings.some((line) => /hold set by alice.*Novita incident 42.*held back 4/.test(line))).toBe(true);
    expect(await releaseHold(store)).toEqual(hold);
    expect(await releaseHold(store)).toBeNull();
    const after = await reconciler.sync();
    expect(after).toMatchObject({ markedTerminated: 4, limits: { hold: null } });
  });

  it('the hold functions refuse a store that cannot keep one', async () => {
    await expect(setHold(bareStore(createMemoryStore()))).rejects.toThrow(/cannot keep a hold/);
    await expect(setHold(createMemoryStore(), { reason: 'x'.repeat(600) })).rejects.toThrow(/at most 500/);
  });
});
