/**
 * Orphans ended, only when asked (`policy.novitaOnly: 'stop' | 'delete'`), over real HTTP: the built-in
 * client, the fake Novita on loopback with its lifecycle on an injectable clock, the memory store. Every
 * safeguard has a test that fails without it: the scope, the grace, the unknown age, the second read of
 * the store, the undecodable value, the re-check right before the call, the fraction limit, the cap, the
 * hold, the window, the two phases of a delete, the audit, a GET, `handleObsoleteInstances: false`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createMemoryStore,
  createReconciler,
  type InstanceActionStore,
  type InstanceRecord,
  type NovitaClient,
  type NovitaInstance,
  type ReconcilerEvent,
  type ReconcilerOptions,
  type ReconcilerStore,
  type SyncReport,
} from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { summariseReport } from '../../../src/cli/cli-summary.js';
import { createFakeClock, startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';
import { expectConsistentReport } from '../../support/reconcile-fixtures.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const MINUTE = 60_000;
const priceOf = (instance: NovitaInstance): number | undefined => (String(instance.productId) === 'h100.32c240g' ? 2.59 : 0.69);
const scope = { instance: (instance: NovitaInstance) => String(instance.name).startsWith('app-') };
const ORPHAN_AGES = { ab00000000000001: 10, ab00000000000002: 120, ab00000000000003: 180, ab00000000000004: 300, ab00000000000005: 1440 };
const OLD_ORPHANS = ['ab00000000000005', 'ab00000000000004', 'ab00000000000003', 'ab00000000000002'];

/** 10 recorded instances and 5 orphans in scope (10 minutes to a day old), one instance outside it; the fake's clock drives its lifecycle. */
async function fleet(options: { recorded?: number; listingTotal?: boolean } = {}) {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({
    clock: clock.now,
    transitionStepMs: 1_000,
    ...(options.listingTotal === false ? { listingTotal: false } : {}),
  });
  fakes.push(fake);
  const ago = (minutes: number) => clock.now() - minutes * MINUTE;
  let index = 1;
  for (const [id, age] of Object.entries(ORPHAN_AGES))
    fake.addInstance({
      id,
      name: `app-${index++}`,
      createdAtMs: ago(age),
      ...(id === 'ab00000000000003' ? { productId: 'h100.32c240g' } : {}),
    });
  fake.addInstance({ id: 'cd00000000000001', name: 'other-1', createdAtMs: ago(600) });
  const created = new Date(ago(600)).toISOString();
  const records: InstanceRecord[] = [];
  for (let i = 0; i < (options.recorded ?? 10); i += 1) {
    const id = `ee0000000000000${i}`.slice(-16);
    fake.addInstance({ id, name: `app-recorded-${i}`, createdAtMs: ago(600) });
    records.push({
      id: `job-${i}`,
      novitaInstanceId: id,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created, novitaStatusSince: created },
    });
  }
  const store = createMemoryStore({ records });
  const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, retry: { retries: 0 } });
  const events: ReconcilerEvent[] = [];
  const reconcilerWith = (options: Partial<ReconcilerOptions> = {}, policy: ReconcilerOptions['policy'] = {}) =>
    createReconciler({
      store,
      novitaClient,
      clock: () => new Date(clock.now()),
      scope,
      priceOf,
      onEvent: (event) => events.push(event),
      ...options,
      policy: { novitaOnly: 'stop', ...policy },
    });
  const stopsSent = () =>
    fake.requests.filter((request) => request.endpoint === 'stop').map((request) => (request.body as { instanceId: string }).instanceId);
  const deletesSent = () =>
    fake.requests.filter((request) => request.endpoint === 'delete').map((request) => (request.body as { instanceId: string }).instanceId);
  return { fake, clock, store, events, reconcilerWith, stopsSent, deletesSent };
}

const byOutcome = (report: SyncReport, outcome: string) =>
  report.instanceActions.filter((action) => action.outcome === outcome).map((action) => action.novitaInstanceId);
const skipsOf = (report: SyncReport) =>
  Object.fromEntries(report.instanceActions.map((action) => [action.novitaInstanceId, action.skipped]));

describe("novitaOnly: 'stop'", () => {
  it('reports 5 orphans with ages and a cost; a dry run shows exactly the 4 older than the grace; the real run stops and audits those 4', async () => {
    const { fake, store, events, reconcilerWith, stopsSent } = await fleet();
    const reconciler = reconcilerWith();

    const preview = await reconciler.sync({ dryRun: true });
    expect(preview.orphans).toEqual({ count: 5, costPerHour: 5.35, unpriced: 0 });
    expect(preview.novitaOnly.filter((item) => item.owned).map((item) => [item.novitaInstanceId, item.ageMinutes])).toEqual(
      Object.entries(ORPHAN_AGES),
    );
    expect(preview.instanceActions.map((action) => [action.kind, action.novitaInstanceId, action.ageMinutes, action.outcome])).toEqual(
      OLD_ORPHANS.map((id) => ['stop', id, ORPHAN_AGES[id as keyof typeof ORPHAN_AGES], 'planned']),
    );
    expect(stopsSent(), 'a dry run sends nothing').toEqual([]);
    expect(store.instanceActions(), 'a dry run audits nothing').toEqual([]);
    expect(summariseReport(preview).join('\n')).toContain('Orphans to end: 4 (a real run would stop 4)');

    const report = await reconciler.sync();
    expect(byOutcome(report, 'applied')).toEqual(OLD_ORPHANS);
    expect(report.instanceActions).toHaveLength(4);
    expect(stopsSent().sort()).toEqual([...OLD_ORPHANS].sort());
    expect(fake.getInstance('ab00000000000001')?.status, 'the young orphan runs on').toBe('running');
    expect(fake.getInstance('cd00000000000001')?.status, 'outside the scope: never touched').toBe('running');
    for (const id of OLD_ORPHANS) expect(fake.getInstance(id)?.status).not.toBe('running');
    const trail = store.instanceActions();
    expect(trail.map((entry) => [entry.novitaInstanceId, entry.phase, entry.outcome ?? null])).toEqual(
      OLD_ORPHANS.flatMap((id) => [
        [id, 'intent', null],
        [id, 'outcome', 'applied'],
      ]),
    );
    expect(trail.every((entry) => entry.runId === report.runId && entry.kind === 'stop')).toBe(true);
    const actionEvents = events.filter((event) => event.type === 'instance-action' && !event.dryRun);
    expect(actionEvents).toHaveLength(4);
    expect(summariseReport(report).join('\n')).toContain('Orphans ended: 4 stopped');
    expectConsistentReport(report);

    // Already stopping or exited: never stopped again.
    fake.clearRequests();
    const again = await reconciler.sync();
    expect(stopsSent()).toEqual([]);
    expect(again.instanceActions).toEqual([]);
  });

  it('is refused at creation without scope.instance, without stopInstance on the client, or on a store that keeps no trail', async () => {
    const { reconcilerWith } = await fleet();
    expect(() => reconcilerWith({ scope: undefined })).toThrow(ConfigError);
    expect(() => reconcilerWith({ scope: { record: () => true } })).toThrow(/scope\.instance/);
    expect(() => reconcilerWith({ scope: undefined }, { novitaOnly: 'delete' })).toThrow(/scope\.instance/);
    const bare: NovitaClient = { listInstances: async () => ({ instances: [], total: 0 }), getInstance: async () => null };
    expect(() => reconcilerWith({ novitaClient: bare })).toThrow(/novitaClient\.stopInstance/);
    const stopOnly: NovitaClient = { ...bare, stopInstance: async () => undefined };
    expect(() => reconcilerWith({ novitaClient: stopOnly })).not.toThrow();
    expect(() => reconcilerWith({ novitaClient: stopOnly }, { novitaOnly: 'delete' })).toThrow(/novitaClient\.deleteInstance/);
    const memory = createMemoryStore();
    const plain: ReconcilerStore = { readBatches: (o) => memory.readBatches(o), writeBatch: (w, o) => memory.writeBatch(w, o) };
    expect(() => reconcilerWith({ store: plain })).toThrow(/instance-action trail/);
    expect(() => reconcilerWith({ scope: undefined }, { novitaOnly: 'report' })).not.toThrow();
  });

  it('never ends an orphan whose age is unknown, one younger than the grace, or one outside the scope', async () => {
    const { fake, reconcilerWith, stopsSent } = await fleet();
    fake.addInstance({ id: 'ef00000000000001', name: 'app-ageless', extra: { createdAt: '0' } });
    const report = await reconcilerWith({}, { orphanGraceMinutes: 200 }).sync();
    expect(report.novitaOnly.find((item) => item.novitaInstanceId === 'ef00000000000001')?.ageMinutes).toBeNull();
    expect(byOutcome(report, 'applied')).toEqual(['ab00000000000005', 'ab00000000000004']);
    expect(stopsSent().sort()).toEqual(['ab00000000000004', 'ab00000000000005']);
  });

  it('leaves alone an orphan whose record the application writes during the run (the second read of the store)', async () => {
    const { store, reconcilerWith, stopsSent } = await fleet();
    let reads = 0;
    const racing: ReconcilerStore & InstanceActionStore = {
      async *readBatches(options) {
        reads += 1;
        // The application records its new instance after the run listed Novita and read the store once.
        if (reads === 2) await store.put({ id: 'late', novitaInstanceId: 'ab00000000000004', status: 'running' });
        yield* store.readBatches(options);
      },
      writeBatch: (writes, options) => store.writeBatch(writes, options),
      recordInstanceAction: (entry, options) => store.recordInstanceAction(entry, options),
      readOrphanStops: (ids, options) => store.readOrphanStops(ids, options),
    };
    const report = await reconcilerWith({ store: racing }).sync();
    expect(skipsOf(report)['ab00000000000004']).toBe('recorded');
    expect(stopsSent().sort()).toEqual(['ab00000000000002', 'ab00000000000003', 'ab00000000000005']);
  });

  it('ends nothing when the run read an undecodable value, or the second read meets one', async () => {
    const first = await fleet();
    // Undecodable when the run reads the store first, repaired before the second read: still nothing.
    first.store.writeRaw('broken', '{not json');
    let firstReads = 0;
    const repairing: ReconcilerStore & InstanceActionStore = {
      async *readBatches(options) {
        firstReads += 1;
        if (firstReads === 2) first.store.deleteRaw('broken');
        yield* first.store.readBatches(options);
      },
      writeBatch: (writes, options) => first.store.writeBatch(writes, options),
      recordInstanceAction: (entry, options) => first.store.recordInstanceAction(entry, options),
      readOrphanStops: (ids, options) => first.store.readOrphanStops(ids, options),
    };
    const report = await first.reconcilerWith({ store: repairing }).sync();
    expect(report.skipped.invalid).toBe(1);
    expect(new Set(Object.values(skipsOf(report)))).toEqual(new Set(['undecodable']));
    expect(first.stopsSent()).toEqual([]);

    const second = await fleet();
    let reads = 0;
    const breaking: ReconcilerStore & InstanceActionStore = {
      async *readBatches(options) {
        reads += 1;
        if (reads === 2) second.store.writeRaw('broken', '{not json');
        yield* second.store.readBatches(options);
      },
      writeBatch: (writes, options) => second.store.writeBatch(writes, options),
      recordInstanceAction: (entry, options) => second.store.recordInstanceAction(entry, options),
      readOrphanStops: (ids, options) => second.store.readOrphanStops(ids, options),
    };
    const again = await second.reconcilerWith({ store: breaking }).sync();
    expect(again.instanceActions.map((action) => action.skipped)).toEqual(['undecodable', 'undecodable', 'undecodable', 'undecodable']);
    expect(second.stopsSent()).toEqual([]);
  });

  it('re-checks with getInstance right before each call: one that stopped meanwhile is never stopped again', async () => {
    const { fake, reconcilerWith, stopsSent } = await fleet();
    const client = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, retry: { retries: 0 } });
    const checked: string[] = [];
    const watching: NovitaClient = {
      listInstances: (options) => client.listInstances(options),
      async getInstance(id, options) {
        checked.push(id);
        if (id === 'ab00000000000003') fake.setStatus(id, 'exited');
        if (id === 'ab00000000000002') fake.removeInstance(id);
        return client.getInstance(id, options);
      },
      stopInstance: (id, options) => client.stopInstance(id, options),
    };
    const report = await reconcilerWith({ novitaClient: watching }).sync();
    expect(checked).toEqual(OLD_ORPHANS);
    expect(skipsOf(report)).toEqual({
      ab00000000000005: undefined,
      ab00000000000004: undefined,
      ab00000000000003: 'already-stopped',
      ab00000000000002: 'gone',
    });
    expect(stopsSent().sort()).toEqual(['ab00000000000004', 'ab00000000000005']);
  });

  it('trips its own fraction limit (not lifted by forceSync): none ended', async () => {
    const { reconcilerWith, stopsSent } = await fleet({ recorded: 2 });
    // 4 orphans to end of 8 instances in scope, at most 0.4 of them: none.
    const report = await reconcilerWith({}, { maxObsoleteFraction: 0.4 }).sync({ forceSync: true });
    expect(report.instanceActions.map((action) => action.skipped)).toEqual(['fraction', 'fraction', 'fraction', 'fraction']);
    expect(stopsSent()).toEqual([]);
  });

  it('stays within the per-run cap (after the records), the hold and the window budget', async () => {
    const capped = await fleet();
    const report = await capped.reconcilerWith({}, { maxDestructivePerRun: 2 }).sync();
    expect(byOutcome(report, 'applied')).toEqual(OLD_ORPHANS.slice(0, 2));
    expect(report.instanceActions.slice(2).map((action) => action.skipped)).toEqual(['cap', 'cap']);

    const held = await fleet();
    await held.store.setHold({ reason: 'incident', by: 'ops', at: '2026-11-28T11:00:00.000Z' });
    const heldReport = await held.reconcilerWith().sync();
    expect(heldReport.instanceActions.map((action) => action.skipped)).toEqual(['hold', 'hold', 'hold', 'hold']);
    expect(held.stopsSent()).toEqual([]);

    const budgeted = await fleet();
    const budget = { destructiveBudget: { max: 3, windowMinutes: 60 } };
    const preview = await budgeted.reconcilerWith({}, budget).sync({ dryRun: true });
    expect(byOutcome(preview, 'planned')).toEqual(OLD_ORPHANS.slice(0, 3));
    const first = await budgeted.reconcilerWith({}, budget).sync();
    expect(byOutcome(first, 'applied')).toEqual(OLD_ORPHANS.slice(0, 3));
    expect(first.instanceActions[3]?.skipped).toBe('window');
  });

  it('a failed stop keeps its place in the window budget (it may have reached Novita); one skipped at the re-check gives it back', async () => {
    const { fake, reconcilerWith, stopsSent } = await fleet();
    const budget = { destructiveBudget: { max: 10, windowMinutes: 60 } };
    // The oldest orphan's stop fails (a 500: whether it reached Novita nobody knows); the next one's
    // re-check fails, so its call is never sent.
    fake.fault({ endpoint: 'stop', instanceId: 'ab00000000000005', kind: 'error', status: 500, times: Infinity });
    fake.fault({ endpoint: 'get', instanceId: 'ab00000000000004', kind: 'error', status: 503, times: Infinity });
    const first = await reconcilerWith({}, budget).sync();
    expect(skipsOf(first)).toMatchObject({ ab00000000000004: 'recheck-failed' });
    expect(first.instanceActions.find((action) => action.novitaInstanceId === 'ab00000000000005')?.outcome).toBe('failed');
    expect(byOutcome(first, 'applied')).toEqual(['ab00000000000003', 'ab00000000000002']);
    expect(stopsSent()).toContain('ab00000000000005');
    // The next run sees the window as this one left it: the failed call and the two applied stops count,
    // the call never sent does not.
    const second = await reconcilerWith({}, budget).sync({ dryRun: true });
    expect(second.limits.window?.usedBefore).toBe(3);
  });

  it('never from handleObsoleteInstances: false, nor from listInstances({ syncLocalState })', async () => {
    const { reconcilerWith, stopsSent } = await fleet();
    const reconciler = reconcilerWith();
    expect((await reconciler.sync({ handleObsoleteInstances: false })).instanceActions).toEqual([]);
    const view = await reconciler.listInstances({ syncLocalState: true });
    expect(view.report?.instanceActions).toEqual([]);
    expect(stopsSent()).toEqual([]);
  });

  it('an unproven listing (no total) ends only orphans it read, never on absence', async () => {
    const { fake, reconcilerWith, stopsSent } = await fleet({ listingTotal: false });
    // A recorded instance gone from the listing is an absence: it makes nothing an orphan.
    fake.removeInstance('ee00000000000000');
    const report = await reconcilerWith().sync();
    expect(report.listing.complete).toBe(false);
    expect(byOutcome(report, 'applied')).toEqual(OLD_ORPHANS);
    expect(stopsSent().sort()).toEqual([...OLD_ORPHANS].sort());
  });

  it('reports a failed call and does not retry it within the run', async () => {
    const { fake, store, reconcilerWith, stopsSent } = await fleet();
    fake.fault({ endpoint: 'stop', kind: 'error', status: 500, times: Infinity });
    const report = await reconcilerWith().sync();
    expect(report.instanceActions.map((action) => action.outcome)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(stopsSent().sort(), 'each sent once').toEqual([...OLD_ORPHANS].sort());
    expect(
      store
        .instanceActions()
        .filter((entry) => entry.phase === 'outcome')
        .map((entry) => entry.outcome),
    ).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(await store.readOrphanStops(OLD_ORPHANS)).toEqual({});
  });
});

describe("novitaOnly: 'delete'", () => {
  it('stops first, then deletes only what it stopped at least orphanGraceMinutes earlier, still exited and still without a record', async () => {
    const { fake, clock, store, reconcilerWith, stopsSent, deletesSent } = await fleet();
    const reconciler = reconcilerWith({}, { novitaOnly: 'delete' });
    const first = await reconciler.sync();
    expect(first.instanceActions.map((action) => [action.kind, action.outcome])).toEqual(OLD_ORPHANS.map(() => ['stop', 'applied']));
    expect(deletesSent()).toEqual([]);
    // An orphan someone else stopped is never deleted; one whose record appears is not either.
    fake.setStatus('ab00000000000001', 'exited');
    clock.advance(30 * MINUTE);
    fake.clearRequests();
    const early = await reconciler.sync();
    expect(early.instanceActions, 'stopped 30 minutes ago: not yet').toEqual([]);
    expect(stopsSent()).toEqual([]);

    await store.put({ id: 'claimed', novitaInstanceId: 'ab00000000000002', status: 'stopped' });
    fake.setStatus('ab00000000000003', 'running'); // restarted by someone: stopped again, not deleted
    clock.advance(31 * MINUTE);
    const preview = await reconciler.sync({ dryRun: true });
    expect(preview.instanceActions.map((action) => [action.kind, action.novitaInstanceId, action.outcome])).toEqual([
      ['delete', 'ab00000000000005', 'planned'],
      ['delete', 'ab00000000000004', 'planned'],
      ['stop', 'ab00000000000003', 'planned'],
    ]);
    const second = await reconciler.sync();
    expect(byOutcome(second, 'applied')).toEqual(['ab00000000000005', 'ab00000000000004', 'ab00000000000003']);
    expect(deletesSent().sort()).toEqual(['ab00000000000004', 'ab00000000000005']);
    expect(await store.readOrphanStops(OLD_ORPHANS)).toEqual({
      ab00000000000002: expect.any(String),
      ab00000000000003: new Date(clock.now()).toISOString(),
    });
    expect(fake.getInstance('ab00000000000002')?.status).toBe('exited');
  });
});
