/**
 * Peak heap of a 50,000-instance listing and of a 50,000-record sync through the real HTTP client.
 *
 *   node --max-old-space-size=256 --expose-gc node_modules/tsx/dist/cli.mjs bench/memory-50k.ts
 *
 * The fake Novita runs in a child process (with its own, larger heap), so the numbers are the
 * client's and the reconciler's alone. The parent samples `heapUsed` every few milliseconds while
 * each step runs and prints the peak above the baseline, and the heap a finished listing retains per
 * instance (after a full GC, while the listing is still referenced).
 *
 * `COUNT=10000` changes the fleet size.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, createReconciler, type InstanceRecord } from '../src/index.js';
import { createNovitaClient } from '../src/novita/index.js';
import { startFakeNovita } from '../src/testing/fake-novita/index.js';

const COUNT = Number(process.env.COUNT ?? 50_000);
const PAGE_SIZE = 100;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 12);
const idOf = (index: number): string => `ab${index.toString(16).padStart(14, '0')}`;

/** The child: a fake Novita with COUNT instances, credentials and all, answering over loopback. */
async function serveFake(): Promise<void> {
  const fake = await startFakeNovita({ clock: () => NOW, defaultPageSize: PAGE_SIZE, maxPageSize: PAGE_SIZE, firstPageNum: 1 });
  fake.addInstances(COUNT, (index) => ({
    id: idOf(index),
    name: `job-${index}`,
    createdAtMs: NOW - DAY - index * 1000,
    status: index % 10 === 0 ? 'exited' : 'running',
    envs: [
      { key: 'HF_TOKEN', value: `hf_${index}_secret_value` },
      { key: 'WANDB_API_KEY', value: `wandb_${index}_secret_value` },
    ],
    extra: { imageAuth: `user:pass-${index}`, command: 'python train.py --epochs 10', entrypoint: '/bin/bash' },
  }));
  process.send?.({ url: fake.url, apiKey: fake.apiKey });
  process.on('disconnect', () => {
    void fake.close().then(() => process.exit(0));
  });
}

function startChild(): Promise<{ child: ChildProcess; url: string; apiKey: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve-fake'], {
    // The child gets tsx's loader, not the parent's heap limit.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--max-old-space-size')).concat('--max-old-space-size=2048'),
    env: { ...process.env, COUNT: String(COUNT) },
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => {
      const { url, apiKey } = message as { url: string; apiKey: string };
      resolve({ child, url, apiKey });
    });
    child.once('exit', (code) => reject(new Error(`the fake exited early (${code})`)));
  });
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  collect();
  collect();
}

/** Runs `work` and reports the highest heapUsed seen meanwhile, above the heap before it started. */
async function peakOf<T>(work: () => Promise<T>): Promise<{ value: T; baseline: number; peak: number; ms: number }> {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 2);
  const started = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { value, baseline, peak, ms: performance.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const { child, url, apiKey } = await startChild();
  try {
    const client = () =>
      createNovitaClient({ apiKey, baseUrl: url, pageSize: PAGE_SIZE, firstPageNum: 1, maxConcurrency: 8, timeoutMs: 60_000 });
    const heapLimit = (await import('node:v8')).getHeapStatistics().heap_size_limit;
    console.log(`novita-reconciler memory bench: ${COUNT} instances, node ${process.version}, heap limit ${mb(heapLimit)}`);

    const listing = await peakOf(() => client().listInstances());
    gc();
    const retained = process.memoryUsage().heapUsed - listing.baseline;
    console.log(
      `listInstances: ${listing.value.instances.length} instances in ${(listing.ms / 1000).toFixed(1)} s | peak heap ${mb(listing.peak)} (+${mb(listing.peak - listing.baseline)} over baseline ${mb(listing.baseline)}) | retained ${mb(retained)} (${Math.round(retained / COUNT)} B per instance)`,
    );
    listing.value.instances.length = 0;

    const records: InstanceRecord[] = Array.from({ length: COUNT }, (_, index) => ({
      id: `rec-${index}`,
      novitaInstanceId: idOf(index),
      status: 'running',
      novitaStatus: 'running',
      owner: `team-${index % 7}`,
      timestamps: { created: new Date(NOW - 2 * DAY).toISOString(), started: new Date(NOW - 2 * DAY).toISOString() },
    }));
    const store = createMemoryStore({ records });
    records.length = 0;
    const reconciler = createReconciler({
      store,
      novitaClient: client(),
      clock: () => new Date(NOW),
      policy: { safetyMinRecords: 1_000_000 },
    });
    const sync = await peakOf(() => reconciler.sync());
    const report = sync.value;
    console.log(
      `sync: ${report.beforeSync} records (${report.updated} updated, ${report.unchanged} unchanged) in ${(sync.ms / 1000).toFixed(1)} s | peak heap ${mb(sync.peak)} (+${mb(sync.peak - sync.baseline)} over baseline ${mb(sync.baseline)})`,
    );
  } finally {
    child.disconnect();
  }
}

if (process.argv.includes('--serve-fake')) await serveFake();
else await main();
