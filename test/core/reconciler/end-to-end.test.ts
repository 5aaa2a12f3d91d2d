/**
 * End to end over real HTTP: the reconciler, the built-in Novita client, the fake Novita on loopback
 * and the memory store. The promise above all: a listing that fails or is cut short changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceRecord, type MemoryStore } from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { createFakeClock, startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const DAY = 86_400_000;

async function setup(count: number) {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({
    clock: clock.now,
    defaultPageSize: 10,
    maxPageSize: 10,
    transitionStepMs: 1_000,
    removedVisibleMs: 60_000,
  });
  fakes.push(fake);
  const instances = fake.addInstances(count, (index) => ({
    id: `aa${index.toString(16).padStart(14, '0')}`,
    name: `job-${index}`,
    createdAtMs: clock.now() - DAY,
    status: 'running',
  }));
  const records: InstanceRecord[] = instances.map((instance, index) => ({
    id: `rec-${index}`,
    novitaInstanceId: instance.id,
    status: 'running',
    novitaStatus: 'running',
    owner: `team-${index % 3}`,
    timestamps: {
      created: new Date(clock.now() - DAY).toISOString(),
      started: new Date(clock.now() - DAY).toISOString(),
      novitaStatusSince: new Date(clock.now() - DAY).toISOString(),
    },
  }));
  const store = createMemoryStore({ records });
  const novitaClient = createNovitaClient({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    pageSize: 10,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    timeoutMs: 2_000,
  });
  const reconciler = createReconciler({ store, novitaClient, clock: () => new Date(clock.now()) });
  return { fake, clock, store, reconciler, instances };
}

const snapshot = async (store: MemoryStore): Promise<string> =>
  JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id)));

describe('reconcile end to end against the fake Novita', () => {
  it('does not change one record when page 2 of the listing fails after retries', async () => {
    const { fake, store, reconciler } = await setup(25);
    fake.removeInstance('aa00000000000003');
    const before = await snapshot(store);
    fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 503, times: Infinity });
    const error = await reconciler.sync().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NOVITA_INCOMPLETE_LISTING' });
    expect((error as Error).message).toMatch(/of 24 instances after \d+ of 3 pages/);
    expect(await snapshot(store)).toBe(before);
    expect(fake.requests.filter((request) => request.endpoint === 'get')).toHaveLength(0);
  });

  it('does not change one record when a page leaves an item out or total lies: the listing is unproven, the absent record confirmed alive', async () => {
    const { fake, store, reconciler } = await setup(25);
    const before = await snapshot(store);
    for (const fault of [
      { endpoint: 'list', page: 2, kind: 'omit-item', times: Infinity },
      { endpoint: 'list', kind: 'total', total: 20, times: Infinity },
    ] as const) {
      fake.clearFaults();
      fake.fault(fault);
      const report = await reconciler.sync();
      expect(report.listing.complete, JSON.stringify(fault)).toBe(false);
      expect(report.actions).toEqual([]);
      expect(await snapshot(store)).toBe(before);
    }
  });

  it('does not change one record when the listing drops its connection midway or a page is malformed', async () => {
    const { fake, store, reconciler } = await setup(25);
    const before = await snapshot(store);
    for (const fault of [
      { endpoint: 'list', page: 3, kind: 'drop', times: Infinity },
      { endpoint: 'list', page: 2, kind: 'malformed-json', times: Infinity },
    ] as const) {
      fake.clearFaults();
      fake.fault(fault);
      await expect(reconciler.sync(), JSON.stringify(fault)).rejects.toMatchObject({
        code: expect.stringMatching(/^NOVITA_(INCOMPLETE_LISTING|INVALID_RESPONSE)$/),
      });
      expect(await snapshot(store)).toBe(before);
    }
  });

  it('a refused key rejects NOVITA_AUTH and changes nothing', async () => {
    const { fake, store } = await setup(3);
    const before = await snapshot(store);
    const reconciler = createReconciler({
      store,
      novitaClient: createNovitaClient({ apiKey: 'sk_wrong_key_canary', baseUrl: fake.url, retry: { retries: 0 } }),
    });
    const error = await reconciler.sync().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'NOVITA_AUTH' });
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain('sk_wrong_key_canary');
    expect(await snapshot(store)).toBe(before);
  });

  it('follows Novita through a stop, a gradual delete and a vanished instance, then writes nothing on a re-run', async () => {
    const { fake, clock, store, reconciler } = await setup(25);
    fake.setStatus('aa00000000000001', 'exited');
    fake.deleteInstance('aa00000000000002'); // toRemove, listed
    fake.removeInstance('aa00000000000003'); // gone at once
    clock.advance(1_000); // the delete moves on to `removing`

    const report = await reconciler.sync();
    expect(report.actions.map((action) => [action.kind, action.recordId, action.to, action.reason])).toEqual([
      ['refresh', 'rec-1', 'stopped', 'status-changed'],
      ['markTerminated', 'rec-2', 'terminated', 'instance-deleted'],
      ['markTerminated', 'rec-3', 'terminated', 'instance-not-found'],
    ]);
    expect(report).toMatchObject({
      beforeSync: 25,
      updated: 1,
      markedTerminated: 2,
      unchanged: 22,
      novitaInstances: 24,
      mergedInstances: 24,
    });
    // Only the absent one needed confirming, and Novita said "not found" as it does: HTTP 400.
    const gets = fake.requests.filter((request) => request.endpoint === 'get');
    expect(gets.map((request) => [request.query.instanceId, request.status])).toEqual([['aa00000000000003', 400]]);
    expect(await store.get('rec-1')).toMatchObject({ status: 'stopped', novitaStatus: 'exited', owner: 'team-1' });
    expect(await store.get('rec-2')).toMatchObject({
      status: 'terminated',
      novitaStatus: 'removing',
      terminationReason: 'instance-deleted',
    });

    const after = await snapshot(store);
    const second = await reconciler.sync();
    expect(second.actions).toEqual([]);
    expect(await snapshot(store)).toBe(after);

    // Eight days on, the deleted instance is long gone and retention removes both terminated records.
    clock.advance(8 * DAY);
    const later = await reconciler.sync();
    expect(later.actions.map((action) => [action.kind, action.recordId, action.reason])).toEqual([
      ['remove', 'rec-2', 'retention-expired'],
      ['remove', 'rec-3', 'retention-expired'],
    ]);
    expect(later.afterSync).toBe(23);
  });

  it('a listing that lags behind a new instance never costs its record: getInstance finds it alive', async () => {
    const { fake, store, reconciler } = await setup(5);
    fake.fault({ endpoint: 'list', kind: 'omit-item', index: 0, times: Infinity });
    fake.fault({ endpoint: 'list', kind: 'total', total: 4, times: Infinity });
    const omitted = fake.listInstances()[0]?.id;
    const report = await reconciler.sync();
    expect(report.markedTerminated + report.removed).toBe(0);
    expect(report.unchanged).toBe(5);
    expect(fake.requests.filter((request) => request.endpoint === 'get').map((request) => request.query.instanceId)).toEqual([omitted]);
    expect((await store.list()).every((record) => record.status === 'running')).toBe(true);
  });
});
