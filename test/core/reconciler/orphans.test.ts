/**
 * Orphans found and priced, over real HTTP (the built-in client, the fake Novita on loopback, the
 * memory store): the Novita-only instances in `scope.instance` are the orphans, each reported with its
 * age (from the listing, else from `getInstance`) and, with `priceOf`, its cost; those outside the scope
 * are listed with `owned: false` and cost nothing in `report.orphans`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type NovitaInstance, type ReconcilerOptions } from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { summariseReport } from '../../../src/cli/cli-summary.js';
import { createFakeClock, startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';
import { expectConsistentReport } from '../../support/reconcile-fixtures.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const MINUTE = 60_000;
/** Novita's product prices, in 1/100,000 USD per hour (as Novita gives them). */
const PRODUCT_PRICES: Record<string, number> = { '4090.16c62g': 69_000, 'h100.32c240g': 259_000 };
const priceOf = (instance: NovitaInstance): number | undefined => {
  const price = PRODUCT_PRICES[String(instance.productId)];
  return price === undefined ? undefined : price / 100_000;
};
const scope = { instance: (instance: NovitaInstance) => String(instance.name).startsWith('app-') };

async function orphanFleet() {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({ clock: clock.now });
  fakes.push(fake);
  const ago = (minutes: number) => clock.now() - minutes * MINUTE;
  // Five orphans in scope, 10 minutes to a day old.
  fake.addInstance({ id: 'ab00000000000001', name: 'app-1', createdAtMs: ago(10) });
  fake.addInstance({ id: 'ab00000000000002', name: 'app-2', createdAtMs: ago(120) });
  fake.addInstance({ id: 'ab00000000000003', name: 'app-3', createdAtMs: ago(180), productId: 'h100.32c240g' });
  fake.addInstance({ id: 'ab00000000000004', name: 'app-4', createdAtMs: ago(300), status: 'exited' });
  fake.addInstance({ id: 'ab00000000000005', name: 'app-5', createdAtMs: ago(1440), status: 'pulling' });
  // Outside the scope, named by a record, being deleted: none of them an orphan.
  fake.addInstance({ id: 'cd00000000000001', name: 'other-1', createdAtMs: ago(600) });
  fake.addInstance({ id: 'cd00000000000002', name: 'app-recorded', createdAtMs: ago(600) });
  fake.addInstance({ id: 'cd00000000000003', name: 'app-going', createdAtMs: ago(600), status: 'removing' });
  const created = new Date(ago(600)).toISOString();
  const store = createMemoryStore({
    records: [
      {
        id: 'recorded',
        novitaInstanceId: 'cd00000000000002',
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, novitaStatusSince: created },
      },
    ],
  });
  const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } });
  const reconcilerWith = (options: Partial<ReconcilerOptions> = {}) =>
    createReconciler({ store, novitaClient, clock: () => new Date(clock.now()), scope, priceOf, ...options });
  return { fake, clock, store, reconcilerWith };
}

describe('orphans, found and priced', () => {
  it('5 orphans in scope are reported with their ages and a cost; the one outside the scope is listed, not owned', async () => {
    const { reconcilerWith } = await orphanFleet();
    const report = await reconcilerWith().sync();
    const entry = (id: string, name: string, status: string, ageMinutes: number, costPerHour: number, owned = true) => ({
      novitaInstanceId: id,
      name,
      status,
      ageMinutes,
      owned,
      costPerHour,
    });
    expect([...report.novitaOnly].sort((a, b) => a.novitaInstanceId.localeCompare(b.novitaInstanceId))).toEqual([
      entry('ab00000000000001', 'app-1', 'running', 10, 0.69),
      entry('ab00000000000002', 'app-2', 'running', 120, 0.69),
      entry('ab00000000000003', 'app-3', 'running', 180, 2.59),
      entry('ab00000000000004', 'app-4', 'exited', 300, 0.69),
      entry('ab00000000000005', 'app-5', 'pulling', 1440, 0.69),
      entry('cd00000000000001', 'other-1', 'running', 600, 0.69, false),
    ]);
    expect(report.orphans).toEqual({ count: 5, costPerHour: 5.35, unpriced: 0 });
    expect(report.totalInstances, 'records after plus the owned Novita-only instances, as before').toBe(6);
    expect(summariseReport(report)).toContain('Orphans (in scope, no record): 5, costing 5.35 USD/h');
    expect(summariseReport(report).find((line) => line.startsWith('Novita:'))).toContain(
      'cd00000000000001 (other-1, running, 600 min old, 0.69 USD/h, outside scope)',
    );
    expectConsistentReport(report);
  });

  it('reads an age the listing lacks with getInstance (owned orphans only), and leaves it unknown when Novita gives none', async () => {
    const { fake, clock, reconcilerWith } = await orphanFleet();
    fake.addInstance({
      id: 'ef00000000000001',
      name: 'app-listed-ageless',
      createdAtMs: clock.now() - 90 * MINUTE,
      listExtra: { createdAt: '0' },
    });
    fake.addInstance({ id: 'ef00000000000002', name: 'app-ageless', extra: { createdAt: '0' } });
    fake.addInstance({ id: 'ef00000000000003', name: 'other-ageless', extra: { createdAt: '0' } });
    fake.clearRequests();
    const report = await reconcilerWith().sync();
    const age = (id: string) => report.novitaOnly.find((item) => item.novitaInstanceId === id)?.ageMinutes;
    expect(age('ef00000000000001')).toBe(90);
    expect(age('ef00000000000002')).toBeNull();
    expect(age('ef00000000000003')).toBeNull();
    const asked = fake.requests.filter((request) => request.endpoint === 'get').map((request) => request.query.instanceId);
    expect(asked.sort()).toEqual(['ef00000000000001', 'ef00000000000002']);
    expect(report.orphans.count).toBe(7);
  });

  it('an age Novita cannot answer for is unknown, and the run still resolves', async () => {
    const { fake, reconcilerWith } = await orphanFleet();
    fake.addInstance({ id: 'ef00000000000001', name: 'app-ageless', listExtra: { createdAt: '0' } });
    fake.fault({ endpoint: 'get', kind: 'error', status: 503, times: Infinity });
    const report = await reconcilerWith().sync();
    expect(report.novitaOnly.find((item) => item.novitaInstanceId === 'ef00000000000001')?.ageMinutes).toBeNull();
  });

  it('calls priceOf at most once per instance per run, however often the run plans', async () => {
    const { fake, store, reconcilerWith } = await orphanFleet();
    // A record absent from the listing (a confirmation, then a second plan) and an ageless orphan (a third).
    await store.put({
      id: 'vanished',
      novitaInstanceId: 'ffff000000000001',
      status: 'running',
      timestamps: { created: '2026-01-01T00:00:00Z' },
    });
    fake.addInstance({ id: 'ef00000000000001', name: 'app-ageless', listExtra: { createdAt: '0' } });
    const calls: string[] = [];
    const report = await reconcilerWith({
      priceOf: (instance) => {
        calls.push(instance.id);
        return 1;
      },
    }).sync();
    expect(report.confirmations.requested).toBe(1);
    expect(calls.sort()).toEqual([...new Set(calls)].sort());
    expect(calls).toHaveLength(7);
  });

  it('a priceOf that throws or answers no price leaves that cost unknown, logged; the run resolves', async () => {
    const { reconcilerWith } = await orphanFleet();
    const warnings: string[] = [];
    const report = await reconcilerWith({
      logger: { warn: (_fields, message) => warnings.push(message) },
      priceOf: (instance) => {
        if (instance.name === 'app-1') throw new Error('price table down');
        if (instance.name === 'app-2') return Number.NaN;
        return 0.5;
      },
    }).sync();
    expect(report.orphans).toEqual({ count: 5, costPerHour: 1.5, unpriced: 2 });
    expect(warnings.filter((message) => message === 'No price for a Novita-only instance')).toHaveLength(2);
    expect(summariseReport(report)).toContain(
      'Orphans (in scope, no record): 5, costing 1.50 USD/h (2 orphans without a price not counted)',
    );
  });

  it('without priceOf the count is reported and the cost is unknown', async () => {
    const { reconcilerWith } = await orphanFleet();
    const report = await reconcilerWith({ priceOf: undefined }).sync();
    expect(report.orphans).toEqual({ count: 5, costPerHour: null, unpriced: 5 });
    expect(report.novitaOnly.every((item) => item.costPerHour === null)).toBe(true);
    expect(summariseReport(report)).toContain('Orphans (in scope, no record): 5, cost unknown (no price: see priceOf)');
  });

  it('without a scope every Novita-only instance is an orphan', async () => {
    const { reconcilerWith } = await orphanFleet();
    const report = await reconcilerWith({ scope: undefined }).sync();
    expect(report.orphans.count).toBe(6);
    expect(report.novitaOnly.every((item) => item.owned)).toBe(true);
  });
});
