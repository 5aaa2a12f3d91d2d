/**
 * Instances stuck in a transition, over real HTTP (the built-in client, the fake Novita on loopback,
 * the memory store): `timestamps.novitaStatusSince` is stamped once (never by a dry run), a run with
 * nothing changed writes nothing, and a status that stays transitional past `stuckAfterMinutes` is
 * reported in `report.stuck`, as `instance-stuck` events and in the CLI summary. Report only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceRecord, type ReconcilerEvent, type MemoryStore } from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { summariseReport } from '../../../src/cli/cli-summary.js';
import { createFakeClock, startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';
import { countingStore, expectConsistentReport } from '../../support/reconcile-fixtures.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const HOUR = 3_600_000;

/** Three instances pulling, one running, one pulling that will finish; records as an app wrote them (no stamp yet). */
async function pullingFleet() {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({ clock: clock.now });
  fakes.push(fake);
  const ids = ['aa00000000000001', 'aa00000000000002', 'aa00000000000003', 'aa00000000000004', 'aa00000000000005'];
  const statuses = ['pulling', 'pulling', 'pulling', 'running', 'pulling'];
  for (const [index, id] of ids.entries()) {
    fake.addInstance({ id, name: `job-${index}`, status: statuses[index], createdAtMs: clock.now() - HOUR });
  }
  const created = new Date(clock.now() - HOUR).toISOString();
  const records: InstanceRecord[] = ids.map((novitaInstanceId, index) => ({
    id: `job-${index}`,
    novitaInstanceId,
    status: statuses[index] === 'running' ? 'running' : 'starting',
    novitaStatus: statuses[index],
    timestamps: { created },
  }));
  const memory = createMemoryStore({ records });
  const store = countingStore(memory);
  const events: ReconcilerEvent[] = [];
  const reconciler = createReconciler({
    store,
    novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } }),
    clock: () => new Date(clock.now()),
    onEvent: (event) => events.push(event),
  });
  return { fake, clock, memory, store, events, reconciler, ids };
}

const snapshot = async (store: MemoryStore): Promise<string> =>
  JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id)));

describe('instances stuck in a transition', () => {
  it('3 instances pulling for 2 hours are listed in the report, the events and the CLI summary; nothing is done to them', async () => {
    const { fake, clock, memory, store, events, reconciler, ids } = await pullingFleet();

    // The first run stamps when each status was first seen; a dry run shows that and writes nothing.
    const before = await snapshot(memory);
    const dry = await reconciler.sync({ dryRun: true });
    expect(dry.actions.map((action) => [action.kind, action.outcome])).toEqual(Array(5).fill(['stampStatusSince', 'planned']));
    expect(await snapshot(memory)).toBe(before);
    const first = await reconciler.sync();
    expect(first).toMatchObject({ updated: 5, unchanged: 0, stuck: [] });
    expect((await memory.get('job-0'))?.timestamps?.novitaStatusSince).toBe(new Date(clock.now()).toISOString());
    expectConsistentReport(first);

    // Nothing changed at Novita: nothing is written.
    const writes = store.writes;
    const again = await reconciler.sync();
    expect(again).toMatchObject({ unchanged: 5, actions: [], stuck: [] });
    expect(store.writes).toBe(writes);

    // Two hours on, one of them finished pulling: that one is refreshed, the other three are stuck.
    clock.advance(2 * HOUR);
    fake.setStatus(ids[4] as string, 'running');
    events.length = 0;
    const later = await reconciler.sync();
    const since = new Date(clock.now() - 2 * HOUR).toISOString();
    expect(later.stuck).toEqual(
      [0, 1, 2].map((index) => ({ recordId: `job-${index}`, novitaInstanceId: ids[index], status: 'pulling', since, sinceMinutes: 120 })),
    );
    expect(later.actions).toMatchObject([{ kind: 'refresh', recordId: 'job-4', to: 'running' }]);
    expect((await memory.get('job-4'))?.timestamps?.novitaStatusSince).toBe(new Date(clock.now()).toISOString());
    expect(events.filter((event) => event.type === 'instance-stuck')).toEqual(
      later.stuck.map((stuck) => ({ type: 'instance-stuck', runId: later.runId, dryRun: false, stuck })),
    );
    const types = events.map((event) => event.type).filter((type) => type !== 'progress');
    expect(types.indexOf('instance-stuck'), 'after the actions, before run-finished').toBeGreaterThan(types.indexOf('action'));
    expect(types.at(-1)).toBe('run-finished');
    expect(summariseReport(later)).toContain(
      `Stuck in a transition: 3 records: job-0 (${ids[0]}, pulling for 120 min), job-1 (${ids[1]}, pulling for 120 min), job-2 (${ids[2]}, pulling for 120 min)`,
    );
    // Report only: no lifecycle call, and the stuck records were not written.
    expect(fake.requests.filter((request) => request.method === 'POST')).toEqual([]);
    expect((await memory.get('job-0'))?.timestamps?.novitaStatusSince).toBe(since);
    expectConsistentReport(later);
  });

  it('a dry run reports the stuck records as a real run would', async () => {
    const { clock, reconciler, events } = await pullingFleet();
    await reconciler.sync();
    clock.advance(90 * 60_000);
    const dry = await reconciler.sync({ dryRun: true });
    expect(dry.stuck.map((stuck) => stuck.recordId)).toEqual(['job-0', 'job-1', 'job-2', 'job-4']);
    expect(events.filter((event) => event.type === 'instance-stuck' && event.dryRun)).toHaveLength(4);
  });

  it('stuckAfterMinutes decides when: 2 hours is not stuck under a 3-hour threshold', async () => {
    const { clock, memory } = await pullingFleet();
    const fake = fakes[0] as FakeNovita;
    const reconciler = createReconciler({
      store: memory,
      novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url }),
      clock: () => new Date(clock.now()),
      policy: { stuckAfterMinutes: 180 },
    });
    await reconciler.sync();
    clock.advance(2 * HOUR);
    expect((await reconciler.sync()).stuck).toEqual([]);
    clock.advance(HOUR + 60_000);
    expect((await reconciler.sync()).stuck).toHaveLength(4);
  });
});
