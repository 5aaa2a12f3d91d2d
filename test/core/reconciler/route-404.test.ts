/**
 * The repro of issue 7.1, end to end over loopback: a listing that lags (three live instances left out
 * of it) while a route in front of Novita answers every getInstance with a 404 in Novita's own error
 * envelope. Such a 404 proves nothing, so the confirmation meant to catch the lag must leave the
 * records alone (unverified), never terminate or remove them.
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
const FLEET = 8;
const LAGGING = 3;

async function setup(removeObsoleteInstances: boolean) {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({ clock: clock.now, defaultPageSize: 10, maxPageSize: 10 });
  fakes.push(fake);
  const instances = fake.addInstances(FLEET, (index) => ({
    id: `cc${index.toString(16).padStart(14, '0')}`,
    createdAtMs: clock.now() - DAY,
    status: 'running',
  }));
  const created = new Date(clock.now() - DAY).toISOString();
  const records: InstanceRecord[] = instances.map((instance, index) => ({
    id: `rec-${index}`,
    novitaInstanceId: instance.id,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  }));
  const store = createMemoryStore({ records });
  const novitaClient = createNovitaClient({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    pageSize: 10,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    timeoutMs: 2_000,
  });
  const reconciler = createReconciler({ store, novitaClient, clock: () => new Date(clock.now()), policy: { removeObsoleteInstances } });
  // The lag: the listing leaves the first LAGGING instances out and announces a total that agrees.
  const lagging = fake
    .listInstances()
    .slice(0, LAGGING)
    .map((instance) => instance.id);
  for (let count = 0; count < LAGGING; count += 1) fake.fault({ endpoint: 'list', kind: 'omit-item', index: 0, times: Infinity });
  fake.fault({ endpoint: 'list', kind: 'total', total: FLEET - LAGGING, times: Infinity });
  // The route: every getInstance answers 404 in Novita's envelope, reason RESOURCE_NOT_FOUND.
  fake.fault({ endpoint: 'get', kind: 'route-404', times: Infinity });
  return { fake, store, reconciler, lagging };
}

const snapshot = async (store: MemoryStore): Promise<string> =>
  JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id)));

describe("a route-style 404 in Novita's envelope while the listing lags", () => {
  for (const removeObsoleteInstances of [false, true]) {
    it(`terminates and removes nothing and counts the records unverified (removeObsoleteInstances: ${removeObsoleteInstances})`, async () => {
      const { fake, store, reconciler, lagging } = await setup(removeObsoleteInstances);
      const before = await snapshot(store);

      const report = await reconciler.sync();

      expect(report).toMatchObject({
        beforeSync: FLEET,
        afterSync: FLEET,
        markedTerminated: 0,
        removed: 0,
        unverified: LAGGING,
        unchanged: FLEET - LAGGING,
        novitaInstances: FLEET - LAGGING,
      });
      expect(report.actions).toEqual([]);
      expect(await snapshot(store)).toBe(before);
      // The confirmations were asked, and each was answered by the route's 404.
      const gets = fake.requests.filter((request) => request.endpoint === 'get');
      expect(gets.map((request) => request.query.instanceId).sort()).toEqual([...lagging].sort());
      expect(gets.every((request) => request.status === 404)).toBe(true);
    });
  }
});
