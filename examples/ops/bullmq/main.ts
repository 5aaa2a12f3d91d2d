/**
 * The BullMQ worker process: two Novita accounts on one queue. Run as many replicas as you like.
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY_RESEARCH=sk_... NOVITA_API_KEY_INFERENCE=sk_... node --import tsx examples/ops/bullmq/main.ts
 *
 * `NOVITA_API_BASE_URL` points every account at another Novita (the fake, say); `REDIS_KEY_PREFIX`
 * (default `novita`) is the root of the accounts' store prefixes (`<prefix>:research`, ...).
 *
 * Trigger a run by hand (a dry run of one account) from anywhere that can reach the queue:
 *   await new Queue(SYNC_QUEUE, { connection }).add('sync', { account: 'research', dryRun: true });
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { policyFromEnv } from 'novita-reconciler';
import pino from 'pino';
import { accountReconcilers, type NovitaAccount } from './accounts.js';
import { createSyncWorker, scheduleAccountSyncs, SYNC_QUEUE, type SyncJobData } from './sync-queue.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const root = process.env.REDIS_KEY_PREFIX?.trim() || 'novita';
const accounts: NovitaAccount[] = [
  { id: 'research', apiKey: required('NOVITA_API_KEY_RESEARCH'), prefix: `${root}:research` },
  { id: 'inference', apiKey: required('NOVITA_API_KEY_INFERENCE'), prefix: `${root}:inference` },
];
const policy = policyFromEnv(process.env);
const logger = pino();
const url = required('REDIS_URL');

// BullMQ's connections must retry forever (`maxRetriesPerRequest: null`); the stores' must not, so a
// Redis outage fails a run instead of hanging it.
const bullConnection = new Redis(url, { maxRetriesPerRequest: null });
const storeConnection = new Redis(url);

const reconcilers = accountReconcilers(accounts, { redis: storeConnection, policy, logger: (account) => logger.child({ account }) });
const queue = new Queue<SyncJobData>(SYNC_QUEUE, { connection: bullConnection });
const worker = createSyncWorker(reconcilers, { connection: bullConnection });
worker.on('completed', (job, result) => logger.info({ jobId: job.id, ...result }, 'sync job done'));
worker.on('failed', (job, error) => logger.error({ jobId: job?.id, account: job?.data.account, err: error.message }, 'sync job failed'));

await scheduleAccountSyncs(
  queue,
  accounts.map((account) => account.id),
  policy.syncIntervalMinutes * 60_000,
);
logger.info({ accounts: accounts.map((account) => account.id), syncIntervalMinutes: policy.syncIntervalMinutes }, 'sync worker ready');

let stopping = false;
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: letting the jobs in flight finish');
  // close() waits for the active jobs (their runs end by themselves: every run has deadlines).
  await worker.close();
  await queue.close();
  await Promise.all([bullConnection.quit(), storeConnection.quit()]);
  process.exit(0);
};
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
