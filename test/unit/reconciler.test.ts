import { describe, expect, it, vi } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  isReconcilerError,
  NovitaApiError,
  ReconcilerError,
  type InstanceStore,
  type LockLease,
  type NovitaClient,
  type ReconcilerEvent,
  type SyncLock,
  type WriteBatchOptions,
} from '../../src/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { countingStore, daysAgo, expectConsistentReport, instance, interceptWrites, NOW, record } from '../support/reconcile-fixtures.js';

const fleetOf = (count: number) => Array.from({ length: count }, (_, i) => record(`r${i}`));
const rejection = async (promise: Promise<unknown>): Promise<ReconcilerError> => {
  try {
    await promise;
  } catch (error) {
    return error as ReconcilerError;
  }
  throw new Error('expected a rejection');
};

describe('a Novita listing that is not the truth', () => {
  it('a failed listing rejects the run and not one record changes', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(5) }));
    const before = JSON.stringify(await store.list());
    const novita = createScriptedNovitaClient();
    novita.failListing(new NovitaApiError('Novita answered 503 after 4 attempts', { status: 503, retryable: true }));
    const events: ReconcilerEvent[] = [];
    const reconciler = createReconciler({ store, novitaClient: novita, onEvent: (event) => events.push(event) });
    const error = await rejection(reconciler.sync());
    expect(error.code).toBe('NOVITA_API');
    expect(store.writes).toBe(0);
    expect(JSON.stringify(await store.list())).toBe(before);
    expect(events.map((event) => event.type).filter((type) => type !== 'progress')).toEqual(['run-started', 'run-failed']);
  });

  it('rejects a listing whose distinct ids do not match total (a custom client that cut it short)', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(3) }));
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [instance('nv-r0', 'running')], total: 3 }),
      getInstance: async () => null,
    };
    const error = await rejection(createReconciler({ store, novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(error.message).toMatch(/1 distinct instances.*total says 3/);
    expect(store.writes).toBe(0);
  });

  it('rejects a listing with repeated ids even when the count matches total', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(2) }));
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [instance('nv-r0', 'running'), instance('nv-r0', 'running')], total: 2 }),
      getInstance: async () => null,
    };
    expect((await rejection(createReconciler({ store, novitaClient: client }).sync())).code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(store.writes).toBe(0);
  });

  it('rejects a malformed listing, naming the field', async () => {
    const client = {
      listInstances: async () => ({ instances: [{ id: 'x', status: 'running' }, { id: 'y' }], total: 2 }),
      getInstance: async () => null,
    } as unknown as NovitaClient;
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_INVALID_RESPONSE');
    expect(error.message).toMatch(/instances\[1\]\.status/);
  });

  it('wraps a plain error from a custom client as NOVITA_API, keeping the cause', async () => {
    const cause = new Error('socket hang up');
    const client: NovitaClient = { listInstances: async () => Promise.reject(cause), getInstance: async () => null };
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_API');
    expect(error.cause).toBe(cause);
  });
});

describe('confirmation with getInstance', () => {
  it('runs confirmations in parallel but never above the client bound', async () => {
    const novita = createScriptedNovitaClient({ maxConcurrency: 3, latencyMs: 15 });
    const reconciler = createReconciler({ store: createMemoryStore({ records: fleetOf(20) }), novitaClient: novita, policy: { safetyMinRecords: 100 } });
    const report = await reconciler.sync();
    expect(novita.calls.filter((call) => call.method === 'getInstance')).toHaveLength(20);
    expect(novita.maxInFlight).toBe(3);
    expect(report.markedTerminated).toBe(20);
  });

  it('confirmConcurrency overrides the client bound', async () => {
    const novita = createScriptedNovitaClient({ maxConcurrency: 8, latencyMs: 10 });
    await createReconciler({ store: createMemoryStore({ records: fleetOf(12) }), novitaClient: novita, policy: { safetyMinRecords: 100 }, confirmConcurrency: 2 }).sync();
    expect(novita.maxInFlight).toBe(2);
  });
});

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
    const reconciler = createReconciler({ store, novitaClient: createScriptedNovitaClient(), policy: { safetyMinRecords: 1000 }, writeBatchSize: 10 });
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
    const report = await createReconciler({ store, novitaClient: createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] }) }).sync();
    expect(report.skipped.invalid).toBe(2);
    expect(report.beforeSync).toBe(3);
    expect(await store.count()).toBe(3);
    expectConsistentReport(report);
  });

  it('scope: records it does not own are never touched, instances it does not own never adopted or reported', async () => {
    const store = createMemoryStore({ records: [record('mine', { env: 'prod' }), record('theirs', { env: 'staging' })] });
    const novita = createScriptedNovitaClient({ instances: [instance('nv-prod-orphan', 'running', { name: 'prod-x', createdAt: daysAgo(1) }), instance('nv-staging-orphan', 'running', { name: 'staging-y', createdAt: daysAgo(1) })] });
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
    const novita = createScriptedNovitaClient({ instances: [instance('nv-orphan', 'running', { createdAt: daysAgo(1) }), instance('nv-other', 'running')] });
    const report = await createReconciler({ store, novitaClient: novita, policy: { novitaOnly: 'adopt' } }).sync();
    expect(report.adopted).toBe(0);
    expect(report.actions).toMatchObject([{ kind: 'adopt', outcome: 'conflict' }]);
    expect(await store.get('nv-orphan')).toMatchObject({ owner: 'app', novitaInstanceId: 'nv-other' });
    expect(report.totalInstances).toBe(2);
    expectConsistentReport(report);
  });
});

describe('logging and events', () => {
  const SECRET = 'hf_secret_value_never_log';
  const setup = () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const logger = Object.fromEntries(
      (['debug', 'info', 'warn', 'error'] as const).map((level) => [level, (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message })]),
    );
    const events: ReconcilerEvent[] = [];
    const novita = createScriptedNovitaClient({
      instances: [
        instance('nv-a', 'exited', { envs: [{ key: 'HF_TOKEN', value: SECRET }], sshPassword: SECRET, connectComponentSSH: { password: SECRET } }),
        instance('nv-orphan', 'running', { envs: [{ key: 'HF_TOKEN', value: SECRET }] }),
      ],
    });
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a'), record('gone', { status: 'stopped' })] }),
      novitaClient: novita,
      logger,
      onEvent: (event) => events.push(event),
      clock: () => NOW,
    });
    return { lines, events, reconciler };
  };

  it('logs one summary line per run and one line per obsolete action, without credentials', async () => {
    const { lines, reconciler } = setup();
    await reconciler.sync();
    const summary = lines.filter((line) => line.message === 'Instance sync completed');
    expect(summary).toHaveLength(1);
    expect(summary[0]?.fields).toMatchObject({ beforeSync: 2, updated: 1, markedTerminated: 1, novitaOnly: 1 });
    const obsolete = lines.filter((line) => line.message.startsWith('Obsolete instance'));
    expect(obsolete).toEqual([
      expect.objectContaining({ level: 'info', fields: expect.objectContaining({ recordId: 'gone', novitaInstanceId: 'nv-gone', lastStatus: 'stopped', reason: 'instance-not-found' }) }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('emits run-started, each action and run-finished, never with credentials', async () => {
    const { events, reconciler } = setup();
    const report = await reconciler.sync();
    expect(events.map((event) => event.type).filter((type) => type !== 'progress')).toEqual(['run-started', 'action', 'action', 'run-finished']);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', report: { runId: report.runId } });
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('a view of the instances never carries credentials', async () => {
    const { reconciler } = setup();
    const view = await reconciler.listInstances();
    expect(JSON.stringify(view)).not.toContain(SECRET);
  });

  it('a throwing onEvent handler or logger does not break the run', async () => {
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a')] }),
      novitaClient: createScriptedNovitaClient(),
      onEvent: () => {
        throw new Error('handler bug');
      },
      logger: {
        info: () => {
          throw new Error('logger bug');
        },
      },
    });
    await expect(reconciler.sync()).resolves.toMatchObject({ markedTerminated: 1 });
  });

  it('a safety trip logs at error level and emits safety-tripped', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore({ records: fleetOf(12) }),
      novitaClient: createScriptedNovitaClient(),
      logger: { error: (_fields, message) => lines.push(message) },
      onEvent: (event) => events.push(event.type),
    });
    const report = await reconciler.sync();
    expect(report.safety).toMatchObject({ tripped: true, candidates: 12, eligible: 12 });
    expect(lines.some((line) => /safety limit tripped/i.test(line))).toBe(true);
    expect(events).toContain('safety-tripped');
  });
});

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

describe('options are validated up front', () => {
  const store = createMemoryStore();
  const novitaClient = createScriptedNovitaClient();
  const bad: [string, () => unknown, string][] = [
    ['no store', () => createReconciler({ novitaClient } as never), 'store'],
    ['a store without writeBatch', () => createReconciler({ store: { ...store, writeBatch: undefined } as never, novitaClient }), 'store.writeBatch'],
    ['no client', () => createReconciler({ store } as never), 'novitaClient'],
    ['a bad policy field', () => createReconciler({ store, novitaClient, policy: { obsoleteRetentionDays: -3 } }), 'policy.obsoleteRetentionDays'],
    ['a logger that is not an object', () => createReconciler({ store, novitaClient, logger: 'pino' as never }), 'logger'],
    ['a logger method that is not a function', () => createReconciler({ store, novitaClient, logger: { info: 1 } as never }), 'logger.info'],
    ['a lock without acquire', () => createReconciler({ store, novitaClient, lock: {} as never }), 'lock.acquire'],
    ['a zero confirmConcurrency', () => createReconciler({ store, novitaClient, confirmConcurrency: 0 }), 'confirmConcurrency'],
    ['a misspelt option (loger)', () => createReconciler({ store, novitaClient, loger: {} } as never), 'loger'],
    ['a misspelt scope predicate', () => createReconciler({ store, novitaClient, scope: { records: () => true } } as never), 'scope.records'],
    ['a zero storeTimeoutMs', () => createReconciler({ store, novitaClient, storeTimeoutMs: 0 }), 'storeTimeoutMs'],
    ['a zero confirmBudgetMs', () => createReconciler({ store, novitaClient, confirmBudgetMs: 0 }), 'confirmBudgetMs'],
    ['a store without writeBatch', () => createReconciler({ store: { readBatches: store.readBatches }, novitaClient } as never), 'store.writeBatch'],
    ['a misspelt start option', () => createReconciler({ store, novitaClient }).start({ runImmediatly: true } as never), 'runImmediatly'],
    ['a misspelt memory store option', () => createMemoryStore({ record: [] } as never), 'record'],
    ['a scope predicate that is not a function', () => createReconciler({ store, novitaClient, scope: { record: true } as never }), 'scope.record'],
    ['a non-boolean dryRun', () => createReconciler({ store, novitaClient }).sync({ dryRun: 'yes' as never }), 'dryRun'],
    ['an unknown sync option', () => createReconciler({ store, novitaClient }).sync({ force: true } as never), 'force'],
    ['a signal that is not an AbortSignal', () => createReconciler({ store, novitaClient }).sync({ signal: {} as never }), 'signal'],
  ];
  for (const [what, run, field] of bad) {
    it(`rejects ${what} with a ConfigError naming ${field}`, () => {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(isReconcilerError(caught, 'CONFIG_INVALID')).toBe(true);
      expect((caught as { field: string }).field).toBe(field);
    });
  }
});

describe('listInstances options', () => {
  it('rejects a misspelt option with a ConfigError naming it and the option meant', async () => {
    const reconciler = createReconciler({ store: createMemoryStore(), novitaClient: createScriptedNovitaClient() });
    await expect(reconciler.listInstances({ includeNovitaOnyl: false } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'includeNovitaOnyl', suggestion: 'includeNovitaOnly' });
  });
});

describe('errors', () => {
  it('the guard recognises errors from another copy of the package, where instanceof fails', async () => {
    vi.resetModules();
    // A second module instance, as when both the ESM and the CJS build of the package are loaded.
    const specifier = '../../src/errors.js?copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('../../src/errors.js');
    const foreign = new copy.SyncInProgressError();
    expect(foreign instanceof ReconcilerError).toBe(false);
    expect(isReconcilerError(foreign)).toBe(true);
    expect(isReconcilerError(foreign, 'SYNC_IN_PROGRESS')).toBe(true);
    expect(isReconcilerError(foreign, 'ABORTED')).toBe(false);
    expect(isReconcilerError(new Error('plain'))).toBe(false);
    expect(isReconcilerError({ code: 'ABORTED' })).toBe(false);
  });

  it('carries code, cause and an actionable message', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new NovitaApiError('Novita answered 503 on GET /gpu/instances', { status: 503, reason: 'UNKNOWN', retryable: true, cause });
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 503, reason: 'UNKNOWN', retryable: true, cause });
  });
});

describe('a throwing callback', () => {
  it('rejects INTERNAL_ERROR with the cause, never passed off as a store or Novita outage, and writes nothing', async () => {
    const store = countingStore(createMemoryStore({ records: [record('a')] }));
    const bug = new TypeError('scope predicate bug');
    const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited')] });
    const error = await rejection(
      createReconciler({
        store,
        novitaClient: novita,
        scope: {
          record: () => {
            throw bug;
          },
        },
      }).sync(),
    );
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.cause).toBe(bug);
    expect(store.writes).toBe(0);
  });
});
