/**
 * `npm run bench` (core part): how long planning and a whole sync take, and how much memory they use,
 * for fleets of 1k, 10k and 100k records on the memory store with a scripted Novita client.
 *
 * The fleet is a realistic mix: most records unchanged, 10% with a changed status, 2% vanished
 * (confirmed with getInstance), 1% expired terminated records, and 1% Novita-only instances.
 */
import { performance } from 'node:perf_hooks';
import { createMemoryStore, createReconciler, planSync, resolvePolicy, type InstanceRecord, type NovitaInstance, type StoreEntry } from '../src/index.js';
import { createScriptedNovitaClient } from '../src/testing/scripted-novita-client.js';

const NOW = new Date('2026-11-28T12:00:00.000Z');
const iso = (minutesAgo: number): string => new Date(NOW.getTime() - minutesAgo * 60_000).toISOString();

function fleet(size: number): { records: InstanceRecord[]; instances: NovitaInstance[] } {
  const records: InstanceRecord[] = [];
  const instances: NovitaInstance[] = [];
  for (let i = 0; i < size; i += 1) {
    const novitaInstanceId = `nv${i.toString(16).padStart(12, '0')}`;
    const kind = i % 100;
    if (kind === 0) {
      records.push({ id: `r${i}`, novitaInstanceId, status: 'terminated', timestamps: { created: iso(60 * 24 * 30), terminated: iso(60 * 24 * 10) } });
      continue;
    }
    records.push({ id: `r${i}`, novitaInstanceId, status: 'running', novitaStatus: 'running', owner: `team-${i % 7}`, tags: ['gpu', 'a100'], timestamps: { created: iso(60 * 24), started: iso(60 * 24) } });
    if (kind === 1 || kind === 2) continue; // vanished
    instances.push({ id: novitaInstanceId, status: kind < 13 ? 'exited' : 'running', name: `job-${i}`, clusterId: 'us-ca-6', productName: 'RTX 4090 24GB' });
  }
  for (let i = 0; i < size / 100; i += 1) instances.push({ id: `orphan${i}`, status: 'running', name: `console-${i}` });
  return { records, instances };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function measure(size: number): Promise<void> {
  const { records, instances } = fleet(size);
  const policy = resolvePolicy({ safetyMinRecords: 1_000_000 });
  const entries: StoreEntry[] = records.map((record, index) => ({ id: record.id, record, version: `v${index}` }));

  let start = performance.now();
  const plan = planSync({ entries, instances, policy, now: NOW, handleObsoleteInstances: true, forceSync: false, adoptRecord: (instance) => ({ id: instance.id, status: 'x' }) });
  const planMs = performance.now() - start;

  const store = createMemoryStore({ records });
  const novita = createScriptedNovitaClient({ instances, maxConcurrency: 8 });
  const reconciler = createReconciler({ store, novitaClient: novita, policy: { safetyMinRecords: 1_000_000 }, clock: () => NOW });
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  start = performance.now();
  const report = await reconciler.sync();
  const syncMs = performance.now() - start;
  const rssAfter = process.memoryUsage().rss;
  start = performance.now();
  const second = await reconciler.sync();
  const secondMs = performance.now() - start;

  console.log(
    [
      `records ${String(size).padStart(6)}`,
      `plan ${planMs.toFixed(1).padStart(7)} ms (${plan.toConfirm.length} to confirm)`,
      `sync ${syncMs.toFixed(1).padStart(7)} ms (${report.actions.length} actions: updated ${report.updated}, terminated ${report.markedTerminated}, removed ${report.removed}; rss +${mb(Math.max(0, rssAfter - rssBefore))})`,
      `re-run ${secondMs.toFixed(1).padStart(7)} ms (${second.actions.length} actions)`,
    ].join(' | '),
  );
}

console.log(`novita-reconciler core bench, node ${process.version}, ${new Date().toISOString()}`);
for (const size of [1_000, 10_000, 100_000]) await measure(size);
