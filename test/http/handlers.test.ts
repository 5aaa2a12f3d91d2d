/**
 * The HTTP helpers over the real reconciler, the memory store and the scripted Novita client: every
 * status, every validation case, query-string booleans and the exact envelope shapes.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  createMemoryStore,
  createReconciler,
  NovitaApiError,
  NovitaAuthError,
  NovitaIncompleteListingError,
  NovitaInvalidResponseError,
  StoreUnavailableError,
  type InstanceStore,
  type LockLease,
  type MemoryStore,
  type ReconcilerOptions,
} from '../../src/index.js';
import { createListHandler, createSyncHandler, httpStatusOf, type HttpFailureBody, type HttpResult } from '../../src/http/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { instance, interceptWrites, NOW, record } from '../support/reconcile-fixtures.js';

/** r0 runs and Novita agrees, r1 runs but Novita says exited, r2's instance is gone; one Novita-only instance. */
function setup(options: Partial<ReconcilerOptions> = {}) {
  const store = createMemoryStore({ records: [record('r0'), record('r1'), record('r2')] });
  const novita = createScriptedNovitaClient({
    instances: [instance('nv-r0', 'running'), instance('nv-r1', 'exited'), instance('nv-extra', 'running')],
  });
  const reconciler = createReconciler({ store, novitaClient: novita, clock: () => NOW, ...options });
  return { store, novita, reconciler };
}

const snapshot = async (store: InstanceStore): Promise<string> => JSON.stringify(await store.list());

function failure(result: HttpResult<unknown>): HttpFailureBody['error'] {
  if (result.body.success) throw new Error(`expected a failure, got ${result.status} ${result.body.message}`);
  return result.body.error;
}

/** Wraps a memory store so that writeBatch fails from its `failFrom`-th call on (counted from 1). */
function storeFailingWrites(inner: MemoryStore, failFrom: number): InstanceStore {
  return interceptWrites(inner, async (writes, options, call, next) => {
    if (call >= failFrom) throw new StoreUnavailableError('writing to the store failed: connect ECONNREFUSED 127.0.0.1:6379');
    return next(writes, options);
  });
}

const leaseOf = (lost = new AbortController()): LockLease => ({ token: 't', lost: lost.signal, release: async () => undefined });

describe('createSyncHandler: success', () => {
  it('answers 200 with the report in the success envelope, and the run is applied', async () => {
    const { store, reconciler } = setup();
    const result = await createSyncHandler(reconciler)({});
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toEqual(['data', 'message', 'success']);
    if (!result.body.success) throw new Error('expected success');
    expect(result.body.message).toBe('Sync completed: 1 updated, 1 marked terminated, 0 removed, 0 adopted');
    expect(result.body.data).toMatchObject({ updated: 1, markedTerminated: 1, unchanged: 1, dryRun: false });
    expect((await store.get('r1'))?.status).toBe('stopped');
    expect((await store.get('r2'))?.status).toBe('terminated');
  });

  it('a dry run reports the actions and writes nothing', async () => {
    const { store, reconciler } = setup();
    const before = await snapshot(store);
    const result = await createSyncHandler(reconciler)({ dryRun: true });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      success: true,
      message: 'Dry run completed: 2 actions planned, nothing written',
      data: { dryRun: true },
    });
    expect(await snapshot(store)).toBe(before);
  });

  it('parses the query strings "true" and "false" as booleans', async () => {
    const { store, reconciler } = setup();
    const result = await createSyncHandler(reconciler)({ dryRun: 'false', handleObsoleteInstances: 'false' });
    expect(result.body).toMatchObject({
      success: true,
      data: { options: { dryRun: false, handleObsoleteInstances: false, forceSync: false } },
    });
    expect((await store.get('r1'))?.status).toBe('stopped');
    expect((await store.get('r2'))?.status).toBe('running');
  });

  it('accepts a URLSearchParams query (Next.js, fetch Request URLs)', async () => {
    const { store, reconciler } = setup();
    const before = await snapshot(store);
    const result = await createSyncHandler(reconciler)(new URLSearchParams('dryRun=true'));
    expect(result.body).toMatchObject({ success: true, data: { dryRun: true } });
    expect(await snapshot(store)).toBe(before);
  });

  it('accepts a FormData (request.formData() in a Fetch handler)', async () => {
    const { store, reconciler } = setup();
    const before = await snapshot(store);
    const form = new FormData();
    form.set('dryRun', 'true');
    expect((await createSyncHandler(reconciler)(form)).body).toMatchObject({ success: true, data: { dryRun: true } });
    expect(await snapshot(store)).toBe(before);
  });

  it.each([undefined, null])('treats a missing body (%s) as a run with the default options', async (input) => {
    const { reconciler } = setup();
    const result = await createSyncHandler(reconciler)(input);
    expect(result.body).toMatchObject({
      success: true,
      data: { options: { dryRun: false, handleObsoleteInstances: true, forceSync: false } },
    });
  });

  it('a query object without a prototype (node:querystring) is read like any object', async () => {
    const { reconciler } = setup();
    const query = Object.assign(Object.create(null) as Record<string, string>, { dryRun: 'true' });
    expect((await createSyncHandler(reconciler)(query)).body).toMatchObject({ success: true, data: { dryRun: true } });
  });
});

describe('createSyncHandler: validation (400 VALIDATION_ERROR, nothing runs)', () => {
  it.each([
    ['a boolean given as "yes"', { dryRun: 'yes' }, 'dryRun'],
    ['a boolean given as "TRUE"', { dryRun: 'TRUE' }, 'dryRun'],
    ['a boolean given as "1"', { handleObsoleteInstances: '1' }, 'handleObsoleteInstances'],
    ['a boolean given as ""', { dryRun: '' }, 'dryRun'],
    ['a boolean given as a number', { dryRun: 1 }, 'dryRun'],
    ['a boolean given as null', { dryRun: null }, 'dryRun'],
    ['a boolean repeated in a query (an array)', { dryRun: ['true', 'false'] }, 'dryRun'],
    ['forceSync given as "on"', { forceSync: 'on' }, 'forceSync'],
    ['an unknown field', { dryrun: true }, 'dryrun'],
    ['a list option on the sync endpoint', { includeNovitaOnly: true }, 'includeNovitaOnly'],
    ['an array body', [true], '(input)'],
    ['a string body', 'dryRun=true', '(input)'],
    ['a number body', 42, '(input)'],
    ['a URLSearchParams key given twice', new URLSearchParams('dryRun=true&dryRun=false'), 'dryRun'],
    ['forceSync: true without allowForce', { forceSync: true }, 'forceSync'],
    ['forceSync: "true" without allowForce', { forceSync: 'true' }, 'forceSync'],
  ])('refuses %s, naming the field', async (_case, input, field) => {
    const { store, novita, reconciler } = setup();
    const before = await snapshot(store);
    const result = await createSyncHandler(reconciler)(input);
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(new RegExp(`^${field.replace(/[()]/g, '\\$&')}: `)),
        details: { field, issues: expect.arrayContaining([expect.objectContaining({ field })]) },
      },
    });
    expect(novita.calls).toHaveLength(0);
    expect(await snapshot(store)).toBe(before);
  });

  it('names every problem in details.issues, unknown fields with the accepted ones', async () => {
    const { reconciler } = setup();
    const error = failure(await createSyncHandler(reconciler)({ dryRun: 'maybe', verbose: true }));
    expect(error.details?.issues).toEqual([
      { field: 'dryRun', message: expect.stringContaining('must be true or false') },
      { field: 'verbose', message: 'is not an accepted field (accepted: dryRun, handleObsoleteInstances, forceSync)' },
    ]);
  });

  it('accepts forceSync: false without allowForce', async () => {
    const { reconciler } = setup();
    expect((await createSyncHandler(reconciler)({ forceSync: 'false' })).status).toBe(200);
  });
});

describe('createSyncHandler: the safety limit and allowForce', () => {
  // Ten records whose instances all vanished: the safety limit (half of at least ten) trips.
  const vanishedFleet = () => {
    const store = createMemoryStore({ records: Array.from({ length: 10 }, (_, i) => record(`v${i}`)) });
    return { store, reconciler: createReconciler({ store, novitaClient: createScriptedNovitaClient(), clock: () => NOW }) };
  };

  it('a tripped safety limit is a 200 whose message says obsolete handling was held back', async () => {
    const { store, reconciler } = vanishedFleet();
    const before = await snapshot(store);
    const result = await createSyncHandler(reconciler, { allowForce: true })({});
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      success: true,
      message: expect.stringContaining('safety limit tripped: obsolete handling held back'),
      data: { safety: { tripped: true, overridden: false } },
    });
    expect(await snapshot(store)).toBe(before);
  });

  it('with allowForce, forceSync proceeds past the tripped limit', async () => {
    const { store, reconciler } = vanishedFleet();
    const result = await createSyncHandler(reconciler, { allowForce: true })({ forceSync: 'true' });
    expect(result.body).toMatchObject({
      success: true,
      message: expect.stringContaining('overridden by forceSync'),
      data: { markedTerminated: 10, safety: { tripped: true, overridden: true } },
    });
    expect((await store.list()).every((stored) => stored.status === 'terminated')).toBe(true);
  });
});

describe('createSyncHandler: failures', () => {
  it('answers 409 SYNC_IN_PROGRESS when another replica holds the lock', async () => {
    const { reconciler } = setup({ lock: { acquire: async () => null } });
    const result = await createSyncHandler(reconciler)({});
    expect(result).toEqual({
      status: 409,
      body: { success: false, error: { code: 'SYNC_IN_PROGRESS', message: expect.stringContaining('lock') } },
    });
  });

  it.each([
    ['NOVITA_API', new NovitaApiError('Novita answered 503 after 4 attempts', { status: 503, retryable: true }), true],
    ['NOVITA_AUTH', new NovitaAuthError('Novita refused the API key (401)', { status: 401 }), false],
    [
      'NOVITA_INCOMPLETE_LISTING',
      new NovitaIncompleteListingError('Novita listing incomplete: 180 of 250 instances after 2 of 3 pages', {
        received: 180,
        expected: 250,
        pages: 2,
      }),
      undefined,
    ],
    ['NOVITA_INVALID_RESPONSE', new NovitaInvalidResponseError('instances[3].status', 'must be a string'), undefined],
  ] as const)('answers 502 %s when the listing fails, and writes nothing', async (code, error, retryable) => {
    const { store, novita, reconciler } = setup();
    const before = await snapshot(store);
    novita.failListing(error);
    const result = await createSyncHandler(reconciler)({});
    expect(result.status).toBe(502);
    expect(failure(result)).toEqual({ code, message: error.message, ...(retryable === undefined ? {} : { details: { retryable } }) });
    expect(await snapshot(store)).toBe(before);
  });

  it('answers 503 STORE_UNAVAILABLE when the store cannot be read', async () => {
    const inner = createMemoryStore({ records: [record('r0')] });
    const store: InstanceStore = {
      ...inner,
      readBatches: () => {
        throw new StoreUnavailableError('reading the store failed: connect ECONNREFUSED 127.0.0.1:6379');
      },
    };
    const result = await createSyncHandler(createReconciler({ store, novitaClient: createScriptedNovitaClient(), clock: () => NOW }))({});
    expect(result).toEqual({
      status: 503,
      body: {
        success: false,
        error: { code: 'STORE_UNAVAILABLE', message: 'reading the store failed: connect ECONNREFUSED 127.0.0.1:6379' },
      },
    });
  });

  it('a run that fails midway carries the partial report under details.report', async () => {
    const { store: inner, novita } = setup();
    const reconciler = createReconciler({ store: storeFailingWrites(inner, 2), novitaClient: novita, clock: () => NOW, writeBatchSize: 1 });
    const result = await createSyncHandler(reconciler)({});
    expect(result.status).toBe(503);
    const error = failure(result);
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.details?.report?.actions.map((action) => action.outcome)).toEqual(['applied', 'not-applied']);
    expect(error.details?.report?.notApplied).toBe(1);
  });

  it('answers 503 ABORTED when the call signal is already aborted, and runs nothing', async () => {
    const { novita, reconciler } = setup();
    const result = await createSyncHandler(reconciler)({}, { signal: AbortSignal.abort() });
    expect(result).toEqual({
      status: 503,
      body: { success: false, error: { code: 'ABORTED', message: expect.stringContaining('aborted') } },
    });
    expect(novita.calls).toHaveLength(0);
  });

  it('an abort between write batches answers 503 ABORTED with what had been applied', async () => {
    const { store: inner, novita } = setup();
    const controller = new AbortController();
    const store = interceptWrites(inner, async (writes, options, _call, next) => {
      const results = await next(writes, options);
      controller.abort();
      return results;
    });
    const reconciler = createReconciler({ store, novitaClient: novita, clock: () => NOW, writeBatchSize: 1 });
    const result = await createSyncHandler(reconciler)({}, { signal: controller.signal });
    expect(result.status).toBe(503);
    const error = failure(result);
    expect(error).toMatchObject({ code: 'ABORTED', details: { report: { updated: 1 } } });
    // The vanished record's termination was never applied: it waited for its confirmation (unverified)
    // or for its write (not applied), depending on where the abort found it.
    const report = error.details?.report;
    expect((report?.notApplied ?? 0) + (report?.unverified ?? 0)).toBe(1);
    expect((await inner.get('r2'))?.status).toBe('running');
  });

  it('answers 500 LOCK_LOST when the lease is lost during the run', async () => {
    const lost = new AbortController();
    const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'exited')], latencyMs: 20 });
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('r0')] }),
      novitaClient: novita,
      clock: () => NOW,
      lock: { acquire: async () => leaseOf(lost) },
    });
    setTimeout(() => lost.abort(), 5);
    const result = await createSyncHandler(reconciler)({});
    expect(result.status).toBe(500);
    expect(failure(result).code).toBe('LOCK_LOST');
  });

  it('answers a plain error with a fixed 500 INTERNAL_ERROR that leaks neither its message nor a stack', async () => {
    const secretive = new TypeError('cannot read /srv/app/secrets.json at line 3');
    const result = await createSyncHandler({ sync: async () => Promise.reject(secretive) })({});
    expect(result).toEqual({
      status: 500,
      body: {
        success: false,
        error: { code: 'INTERNAL_ERROR', message: 'internal error: the reconciler failed unexpectedly (see the server log)' },
      },
    });
    expect(JSON.stringify(result)).not.toMatch(/secrets\.json|TypeError|\n\s+at /);
  });

  it('answers a callback that threw inside a real run (INTERNAL_ERROR) with the fixed 500, not its message', async () => {
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [{ id: 'a', novitaInstanceId: 'nv-a', status: 'running' }] }),
      novitaClient: createScriptedNovitaClient(),
      scope: {
        record: () => {
          throw new Error('scope bug reading /srv/app/tenants.json');
        },
      },
    });
    const result = await createSyncHandler(reconciler)({});
    expect(result.status).toBe(500);
    expect(failure(result).code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(result)).not.toContain('tenants.json');
  });

  it('passes every run error to onError, and an onError that throws changes nothing', async () => {
    const { novita, reconciler } = setup();
    const listingError = new NovitaApiError('Novita answered 500', { status: 500, retryable: true });
    novita.failListing(listingError);
    const seen: unknown[] = [];
    const logged = await createSyncHandler(reconciler, { onError: (error) => seen.push(error) })({});
    expect(seen).toEqual([listingError]);
    const throwing = await createSyncHandler(reconciler, {
      onError: () => {
        throw new Error('logger down');
      },
    })({});
    expect(throwing).toEqual(logged);
  });

  it('never calls onError for a validation failure', async () => {
    const onError = vi.fn();
    const { reconciler } = setup();
    await createSyncHandler(reconciler, { onError })({ dryRun: 'nope' });
    expect(onError).not.toHaveBeenCalled();
  });
});

describe('createListHandler', () => {
  it('answers 200 with the merged view and its counts', async () => {
    const { reconciler } = setup();
    const result = await createListHandler(reconciler)({});
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      success: true,
      message: 'Listed 4 instances: 2 merged, 1 local only, 1 Novita only',
      data: { counts: { merged: 2, local: 1, novita: 1, total: 4 } },
    });
    if (!result.body.success) throw new Error('expected success');
    expect(result.body.data.report).toBeUndefined();
  });

  it('includeNovitaOnly "false" leaves out the instances no record names', async () => {
    const { reconciler } = setup();
    const result = await createListHandler(reconciler)({ includeNovitaOnly: 'false' });
    if (!result.body.success) throw new Error('expected success');
    expect(result.body.data.instances.map((row) => row.source).sort()).toEqual(['local', 'merged', 'merged']);
  });

  it('syncLocalState "true" runs a sync first and returns its report beside the view', async () => {
    const { store, reconciler } = setup();
    const result = await createListHandler(reconciler)(new URLSearchParams('syncLocalState=true'));
    expect(result.body).toMatchObject({
      success: true,
      message: expect.stringMatching(/^Synced, then listed/),
      data: { report: { updated: 1, markedTerminated: 1 } },
    });
    expect((await store.get('r1'))?.status).toBe('stopped');
  });

  it.each([
    ['a boolean given as "no"', { includeNovitaOnly: 'no' }, 'includeNovitaOnly'],
    ['a boolean given as an object', { syncLocalState: {} }, 'syncLocalState'],
    ['a sync option on the list endpoint', { dryRun: 'true' }, 'dryRun'],
    ['an array', [], '(input)'],
  ])('refuses %s with 400 naming the field', async (_case, input, field) => {
    const { novita, reconciler } = setup();
    const result = await createListHandler(reconciler)(input);
    expect(result.status).toBe(400);
    expect(failure(result)).toMatchObject({ code: 'VALIDATION_ERROR', details: { field } });
    expect(novita.calls).toHaveLength(0);
  });

  it('answers 502 when the listing fails', async () => {
    const { novita, reconciler } = setup();
    novita.failListing(new NovitaAuthError('Novita refused the API key (401)', { status: 401 }));
    const result = await createListHandler(reconciler)({});
    expect(result).toEqual({
      status: 502,
      body: { success: false, error: { code: 'NOVITA_AUTH', message: 'Novita refused the API key (401)', details: { retryable: false } } },
    });
  });

  it('answers 409 when syncLocalState meets a held lock', async () => {
    const { reconciler } = setup({ lock: { acquire: async () => null } });
    expect((await createListHandler(reconciler)({ syncLocalState: true })).status).toBe(409);
  });

  it('answers 503 when the store cannot be read', async () => {
    const inner = createMemoryStore();
    const store: InstanceStore = {
      ...inner,
      readBatches: () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const result = await createListHandler(createReconciler({ store, novitaClient: createScriptedNovitaClient() }))({});
    expect(result.status).toBe(503);
    expect(failure(result).code).toBe('STORE_UNAVAILABLE');
  });

  it('answers an unexpected error (a scope predicate that throws) with a fixed 500 and hands it to onError', async () => {
    const bug = new RangeError('tenant table /var/lib/app.db is corrupt');
    const seen: unknown[] = [];
    const { reconciler } = setup({
      scope: {
        record: () => {
          throw bug;
        },
      },
    });
    const result = await createListHandler(reconciler, { onError: (error) => seen.push(error) })({});
    expect(result).toEqual({
      status: 500,
      body: { success: false, error: { code: 'INTERNAL_ERROR', message: expect.stringMatching(/^internal error/) } },
    });
    expect(JSON.stringify(result)).not.toContain('app.db');
    expect(seen).toEqual([bug]);
  });

  it('passes the call signal to the listing: an aborted call answers 503 ABORTED', async () => {
    const { reconciler } = setup();
    const result = await createListHandler(reconciler)({}, { signal: AbortSignal.abort() });
    expect(result.status).toBe(503);
    expect(failure(result).code).toBe('ABORTED');
  });
});

describe('handler options are validated at creation', () => {
  const { reconciler } = setup();
  it.each([
    ['no reconciler', () => createSyncHandler(undefined as never), 'reconciler'],
    ['a reconciler without sync', () => createSyncHandler({} as never), 'reconciler'],
    ['options that are not an object', () => createSyncHandler(reconciler, 'force' as never), 'options'],
    ['allowForce as a string', () => createSyncHandler(reconciler, { allowForce: 'true' as never }), 'allowForce'],
    ['a misspelled option', () => createSyncHandler(reconciler, { allowforce: true } as never), 'allowforce'],
    ['onError that is not a function', () => createSyncHandler(reconciler, { onError: 'console' as never }), 'onError'],
    ['a list handler over an object without listInstances', () => createListHandler({ sync: reconciler.sync } as never), 'reconciler'],
    ['allowForce on the list handler', () => createListHandler(reconciler, { allowForce: true } as never), 'allowForce'],
  ])('%s throws ConfigError naming %s', (_case, create, field) => {
    let thrown: unknown;
    try {
      create();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).field).toBe(field);
  });
});

describe('httpStatusOf', () => {
  it('maps each code to the documented status', () => {
    const table = Object.fromEntries(
      (
        [
          'VALIDATION_ERROR',
          'SYNC_IN_PROGRESS',
          'NOVITA_API',
          'NOVITA_AUTH',
          'NOVITA_INCOMPLETE_LISTING',
          'NOVITA_INVALID_RESPONSE',
          'STORE_UNAVAILABLE',
          'ABORTED',
          'LOCK_LOST',
          'CONFIG_INVALID',
          'RECORD_INVALID',
          'INTERNAL_ERROR',
        ] as const
      ).map((code) => [code, httpStatusOf(code)]),
    );
    expect(table).toEqual({
      VALIDATION_ERROR: 400,
      SYNC_IN_PROGRESS: 409,
      NOVITA_API: 502,
      NOVITA_AUTH: 502,
      NOVITA_INCOMPLETE_LISTING: 502,
      NOVITA_INVALID_RESPONSE: 502,
      STORE_UNAVAILABLE: 503,
      ABORTED: 503,
      LOCK_LOST: 500,
      CONFIG_INVALID: 500,
      RECORD_INVALID: 500,
      INTERNAL_ERROR: 500,
    });
  });
});
