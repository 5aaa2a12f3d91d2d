/**
 * `npx tsx bench/listing-churn.ts`: how many walks a listing takes on a churning account, against the
 * fake Novita over real HTTP. The fleet has 2000 instances, read 100 per page (20 pages and the page past
 * the full last one: 21 reads per clean walk, 4 at once). Churn is one instance created or deleted
 * (alternately, so the fleet stays about the same size) every `k` page reads, or at random with the
 * same mean rate. Each setting runs 40 listings with `listing.maxWalks` 3 (the default) and reports how
 * many resolved, after how many walks, and how many page requests a listing cost. `maxWalks 1` is the
 * behaviour before restarts existed.
 */
import { createNovitaClient } from '../src/novita/index.js';
import { startFakeNovita } from '../src/testing/fake-novita/index.js';
import type { FakeNovita } from '../src/testing/fake-novita/index.js';

const FLEET = 2000;
const PAGE_SIZE = 100;
const LISTINGS = Number(process.env.LISTINGS ?? 40);

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

interface Setting {
  label: string;
  /** Whether page read number `n` (counted over the whole run) brings a change. */
  changesAt: (n: number) => boolean;
}

async function measure(setting: Setting, maxWalks: number): Promise<string> {
  const fake: FakeNovita = await startFakeNovita({ maxPageSize: PAGE_SIZE });
  const rng = random32(7);
  fake.addInstances(FLEET, (index) => ({ createdAtMs: Date.UTC(2025, 0, 1) + index * 1000 }));
  let reads = 0;
  let changes = 0;
  let created = 0;
  fake.fault({
    endpoint: 'list',
    kind: 'mutate',
    times: Infinity,
    run: (self) => {
      reads += 1;
      if (!setting.changesAt(reads)) return;
      changes += 1;
      if (changes % 2 === 1) {
        self.addInstance({ createdAtMs: Date.UTC(2026, 0, 1) + (created += 1) });
      } else {
        const all = self.listInstances();
        const victim = all[Math.floor(rng() * all.length)];
        if (victim) self.removeInstance(victim.id);
      }
    },
  });
  const client = createNovitaClient({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    pageSize: PAGE_SIZE,
    firstPageNum: 1,
    listing: { maxWalks, restartDelayMs: 0 },
  });
  const walks: number[] = [];
  let _failed = 0;
  const readsBefore = reads;
  for (let run = 0; run < LISTINGS; run += 1) {
    try {
      const listing = await client.listInstances();
      walks.push(listing.walks);
      // Every resolved listing must be the fleet exactly: nothing churns once it settled.
      const truth = new Set(fake.listInstances().map((instance) => instance.id));
      if (listing.instances.length !== truth.size || listing.instances.some((instance) => !truth.has(instance.id)))
        throw new Error('a resolved listing was not the fleet');
    } catch (error) {
      if ((error as { code?: string }).code !== 'NOVITA_INCOMPLETE_LISTING') throw error;
      _failed += 1;
    }
  }
  await fake.close();
  const histogram = [1, 2, 3, 4, 5]
    .slice(0, maxWalks)
    .map((n) => `${n}:${walks.filter((count) => count === n).length}`)
    .join(' ');
  const mean = walks.length === 0 ? '-' : (walks.reduce((sum, count) => sum + count, 0) / walks.length).toFixed(2);
  const perListing = ((reads - readsBefore) / LISTINGS).toFixed(1);
  return `${setting.label.padEnd(30)} maxWalks ${maxWalks}: resolved ${String(walks.length).padStart(2)}/${LISTINGS}, mean walks ${mean.padStart(4)}, walks ${histogram.padEnd(16)} page reads/listing ${perListing}`;
}

const settings: Setting[] = [
  ...[5, 10, 20, 25, 40, 80, 200].map((k) => ({ label: `one change every ${k} reads`, changesAt: (n: number) => n % k === 0 })),
  ...[20, 40, 80].map((k) => {
    const rng = random32(k);
    return { label: `random, 1 per ${k} reads on avg`, changesAt: () => rng() < 1 / k };
  }),
];

for (const setting of settings) {
  for (const maxWalks of [1, 3, 5]) console.log(await measure(setting, maxWalks));
}
