/**
 * `npm run demo`: a real reconcile on the embedded default (the memory store and a scripted Novita
 * fleet), first as a dry run, then for real, then once more to show that a second run writes nothing.
 *
 * The fleet covers every case: a status change, a vanished instance, a failed start, an expired
 * terminated record, a Novita-only instance, a record inside the creation grace period, a record
 * whose instance is being deleted, and a record in a refinement status Novita agrees with.
 *
 * Run:
 *   npm run demo
 */
import { createMemoryStore, createReconciler, type InstanceRecord, type SyncReport } from 'novita-reconciler';
import { createScriptedNovitaClient } from 'novita-reconciler/testing';

const now = new Date();
const ago = (minutes: number): string => new Date(now.getTime() - minutes * 60_000).toISOString();
const DAY = 24 * 60;

const records: InstanceRecord[] = [
  // Novita says it stopped: refreshed to `stopped`.
  {
    id: 'train-1',
    novitaInstanceId: 'a1b2c3d4e5f60718',
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: ago(3 * DAY), started: ago(3 * DAY) },
    owner: 'alice',
  },
  // The application set `ready` while Novita says `running`: a refinement, left as it is.
  {
    id: 'serve-1',
    novitaInstanceId: '3560b7fec915bbf9',
    status: 'ready',
    novitaStatus: 'running',
    timestamps: { created: ago(2 * DAY), started: ago(2 * DAY) },
  },
  // Deleted at Novita behind the app's back: marked terminated (after getInstance confirms it is gone).
  {
    id: 'sweep-7',
    novitaInstanceId: '9d8c7b6a5f4e3d2c',
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: ago(5 * DAY), started: ago(5 * DAY) },
  },
  // Never got past starting and its instance vanished (a failed start): removed outright.
  {
    id: 'failed-start',
    novitaInstanceId: '0f0e0d0c0b0a0908',
    status: 'starting',
    novitaStatus: 'pulling',
    timestamps: { created: ago(90) },
  },
  // Terminated 10 days ago, retention is 7: removed.
  {
    id: 'old-job',
    novitaInstanceId: '1122334455667788',
    status: 'terminated',
    novitaStatus: 'removed',
    timestamps: { created: ago(20 * DAY), terminated: ago(10 * DAY) },
    terminationReason: 'instance-not-found',
  },
  // Created 2 minutes ago; Novita's listing does not show it yet: inside the grace period, left alone.
  { id: 'just-created', novitaInstanceId: 'ffff000011112222', status: 'creating', timestamps: { created: ago(2) } },
  // Being deleted at Novita (`removing` in the listing): marked terminated without a confirmation call.
  {
    id: 'spot-3',
    novitaInstanceId: 'ffee00112233aabb',
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: ago(4 * DAY), started: ago(4 * DAY) },
  },
];

const novita = createScriptedNovitaClient({
  instances: [
    { id: 'a1b2c3d4e5f60718', name: 'batch-embed', status: 'exited', lastStartedAt: ago(3 * DAY), lastStoppedAt: ago(30) },
    { id: '3560b7fec915bbf9', name: 'train-llama-7b', status: 'running', lastStartedAt: ago(2 * DAY) },
    { id: 'ffee00112233aabb', name: 'spot-sweep-3', status: 'removing' },
    // Started from Novita's console; no record names it: reported as Novita-only.
    { id: 'c0ffee0000000001', name: 'console-notebook', status: 'running' },
  ],
});

const store = createMemoryStore({ records });
const reconciler = createReconciler({
  store,
  novitaClient: novita,
  policy: { obsoleteRetentionDays: 7, creationGraceMinutes: 10 },
  logger: {
    info: (fields, message) => {
      if (message !== 'Instance sync completed') console.log(`  log: ${message} ${JSON.stringify(fields)}`);
    },
  },
});

function print(title: string, report: SyncReport): void {
  console.log(`\n== ${title}`);
  for (const action of report.actions) {
    const arrow = `${action.from ?? '(none)'} -> ${action.to ?? '(removed)'}`;
    console.log(
      `  ${action.outcome.padEnd(8)} ${action.kind.padEnd(16)} ${action.recordId.padEnd(13)} ${arrow.padEnd(26)} ${action.reason}`,
    );
  }
  if (report.actions.length === 0) console.log('  (no actions: nothing changed at Novita)');
  const { updated, markedTerminated, removed, unchanged, conflicts, unverified, skipped } = report;
  console.log(
    `  before ${report.beforeSync}, after ${report.afterSync}: updated ${updated}, markedTerminated ${markedTerminated}, removed ${removed}, unchanged ${unchanged}, conflicts ${conflicts}, unverified ${unverified}, skipped ${JSON.stringify(skipped)}`,
  );
  console.log(
    `  Novita-only: ${report.novitaOnly.map((instance) => `${instance.novitaInstanceId} (${instance.name}, ${instance.status})`).join(', ') || 'none'}; safety tripped: ${report.safety.tripped}`,
  );
}

print('dry run (writes nothing)', await reconciler.sync({ dryRun: true }));
print('real run', await reconciler.sync());
print('second run', await reconciler.sync());
console.log('\nrecords now:');
for (const record of await store.list())
  console.log(`  ${record.id.padEnd(13)} ${record.status.padEnd(11)} ${record.terminationReason ?? ''}`);
