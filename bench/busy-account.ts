/**
 * `npx tsx bench/busy-account.ts`: reconcile runs on a busy account (issue 14). A fleet of 5,000
 * instances with one record each, the fake Novita answering every request after 50 ms, read 100 per
 * page (50 pages and the page past the full last one, 4 at once). While the runs go, instances are
 * created and deleted (alternately, a random one deleted at once) at 0.2, 1 and 3 changes per second,
 * with the listing announcing `total` and without it (Novita's current reference).
 *
 * Per setting, `RUNS` runs (default 8) in a row; reported: runs completed, listings proven complete,
 * walks, live records touched (records marked terminated or removed whose instance is alive when the
 * run ends: must be 0), and confirmations (`alive` ones are the extra confirmations an unproven listing
 * costs: the instance was there, the listing did not show it).
 */
import { createMemoryStore, createReconciler, GONE_STATUSES, type InstanceRecord } from '../src/index.js';
import { createNovitaClient } from '../src/novita/index.js';
import { startFakeNovita } from '../src/testing/fake-novita/index.js';

const FLEET = Number(process.env.FLEET ?? 5000);
const PAGE_SIZE = 100;
const LATENCY_MS = 50;
const RUNS = Number(process.env.RUNS ?? 8);
const DAY = 86_400_000;

// A seeded generator, so runs compare.
function random32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  setting: string;
  completed: number;
  proven: number;
  walks: string;
  liveTouched: number;
  goneEnded: number;
  confirmations: number;
  extraConfirmations: number;
  meanRunMs: number;
}

async function measure(changesPerSecond: number, listingTotal: boolean): Promise<Row> {
  const now = Date.now();
  const fake = await startFakeNovita({ maxPageSize: PAGE_SIZE, listingTotal });
  const instances = fake.addInstances(FLEET, (index) => ({ createdAtMs: now - DAY - index * 1000 }));
  const created = new Date(now - DAY).toISOString();
  const records: InstanceRecord[] = instances.map((instance, index) => ({
    id: `rec-${index}`,
    novitaInstanceId: instance.id,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  }));
  const store = createMemoryStore({ records });
  fake.fault({ endpoint: 'any', kind: 'latency', ms: LATENCY_MS, times: Number.POSITIVE_INFINITY });
  const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, pageSize: PAGE_SIZE, firstPageNum: 1 });
  const reconciler = createReconciler({ store, novitaClient });

  const rng = random32(Math.round(changesPerSecond * 1000) + (listingTotal ? 1 : 2));
  let changes = 0;
  const churn = setInterval(
    () => {
      changes += 1;
      if (changes % 2 === 1) {
        fake.addInstance({ createdAtMs: Date.now() });
        return;
      }
      const all = fake.listInstances();
      const victim = all[Math.floor(rng() * all.length)];
      if (victim) fake.removeInstance(victim.id);
    },
    Math.round(1000 / changesPerSecond),
  );

  let completed = 0;
  let proven = 0;
  let liveTouched = 0;
  let goneEnded = 0;
  let confirmations = 0;
  let extraConfirmations = 0;
  const walks: number[] = [];
  let totalMs = 0;
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      try {
        const report = await reconciler.sync();
        totalMs += performance.now() - started;
        completed += 1;
        if (report.listing.complete) proven += 1;
        walks.push(report.listing.walks);
        confirmations += report.confirmations.requested;
        extraConfirmations += report.confirmations.alive;
        // Judged when the run ended: an instance alive now was alive all run long (deleted ones never come back).
        const alive = new Set(
          fake
            .listInstances()
            .filter((instance) => !GONE_STATUSES.has(instance.status))
            .map((instance) => instance.id),
        );
        for (const action of report.actions) {
          if (action.kind !== 'markTerminated' && action.kind !== 'remove') continue;
          if (action.novitaInstanceId && alive.has(action.novitaInstanceId)) liveTouched += 1;
          else goneEnded += 1;
        }
      } catch (error) {
        totalMs += performance.now() - started;
        if ((error as { code?: string }).code !== 'NOVITA_INCOMPLETE_LISTING') throw error;
      }
    }
  } finally {
    clearInterval(churn);
    await fake.close();
  }
  const histogram = [1, 2, 3].map((n) => `${n}:${walks.filter((count) => count === n).length}`).join(' ');
  return {
    setting: `${changesPerSecond}/s, ${listingTotal ? 'with total' : 'without total'}`,
    completed,
    proven,
    walks: histogram,
    liveTouched,
    goneEnded,
    confirmations,
    extraConfirmations,
    meanRunMs: Math.round(totalMs / RUNS),
  };
}

const rows: Row[] = [];
for (const listingTotal of [true, false]) {
  for (const rate of [0.2, 1, 3]) {
    const row = await measure(rate, listingTotal);
    rows.push(row);
    console.log(
      `${row.setting.padEnd(26)} completed ${row.completed}/${RUNS}, proven ${row.proven}, walks ${row.walks}, live records touched ${row.liveTouched}, gone records ended ${row.goneEnded}, confirmations ${row.confirmations} (extra ${row.extraConfirmations}), mean run ${row.meanRunMs} ms`,
    );
  }
}
if (rows.some((row) => row.liveTouched > 0)) {
  console.error('a live record was touched');
  process.exitCode = 1;
}
