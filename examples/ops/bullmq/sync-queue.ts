/**
 * One BullMQ queue for every Novita account: a job scheduler per account (`upsertJobScheduler`) adds
 * a `sync` job naming the account every interval, and any worker replica runs it with that account's
 * reconciler. BullMQ hands each job to one worker, so replicas share the schedule; the account's Redis
 * lock still guards against a run from elsewhere (a CLI run, an HTTP sync) at the same moment.
 *
 * Part of: examples/ops/bullmq/main.ts
 */
import { isReconcilerError, type Reconciler } from 'novita-reconciler';
import { UnrecoverableError, Worker, type ConnectionOptions, type Queue } from 'bullmq';

/** The queue's name. */
export const SYNC_QUEUE = 'novita-sync';

/** A sync job: which account, and whether to write. */
export interface SyncJobData {
  account: string;
  /** @default false */
  dryRun?: boolean;
}

/** What a sync job resolves (kept by BullMQ with the job, shown in Bull Board and the like). */
export type SyncJobResult =
  | {
      account: string;
      outcome: 'finished';
      runId: string;
      dryRun: boolean;
      updated: number;
      markedTerminated: number;
      removed: number;
      conflicts: number;
      unverified: number;
      safetyTripped: boolean;
    }
  | { account: string; outcome: 'skipped'; reason: 'sync-in-progress' };

/** Options of {@link createSyncWorker}. */
export interface SyncWorkerOptions {
  /** BullMQ's connection (an ioredis client with `maxRetriesPerRequest: null`, or its options). */
  connection: ConnectionOptions;
  /** BullMQ's key prefix. @default 'bull' */
  prefix?: string;
  /** Jobs in flight at once: different accounts run side by side; one account's runs never overlap. @default 2 */
  concurrency?: number;
}

/** Starts a worker that runs each sync job with its account's reconciler. */
export function createSyncWorker(
  reconcilers: ReadonlyMap<string, Reconciler>,
  options: SyncWorkerOptions,
): Worker<SyncJobData, SyncJobResult> {
  return new Worker<SyncJobData, SyncJobResult>(
    SYNC_QUEUE,
    async (job, _token, signal) => {
      const { account, dryRun = false } = job.data;
      const reconciler = reconcilers.get(account);
      // Retrying cannot make an unknown account known: fail the job for good.
      if (!reconciler) throw new UnrecoverableError(`this worker has no Novita account ${JSON.stringify(account)}`);
      try {
        // The signal aborts the run when the job is cancelled or the worker is closed with force.
        const report = await reconciler.sync({ dryRun, ...(signal ? { signal } : {}) });
        const { runId, updated, markedTerminated, removed, conflicts, unverified } = report;
        return {
          account,
          outcome: 'finished',
          runId,
          dryRun,
          updated,
          markedTerminated,
          removed,
          conflicts,
          unverified,
          safetyTripped: report.safety.tripped,
        };
      } catch (error) {
        // Someone else is running this account's sync right now: that run covers this turn.
        if (isReconcilerError(error, 'SYNC_IN_PROGRESS')) return { account, outcome: 'skipped', reason: 'sync-in-progress' };
        throw error;
      }
    },
    { connection: options.connection, concurrency: options.concurrency ?? 2, ...(options.prefix ? { prefix: options.prefix } : {}) },
  );
}

/**
 * Makes the queue's schedulers match `accounts`: one every `everyMs` per account (BullMQ adds the
 * first job at once), and none for an account no longer listed. Safe to call from every replica at
 * start-up: upserting the same scheduler twice changes nothing.
 */
export async function scheduleAccountSyncs(queue: Queue<SyncJobData>, accounts: readonly string[], everyMs: number): Promise<void> {
  for (const account of accounts) {
    await queue.upsertJobScheduler(
      schedulerId(account),
      { every: everyMs },
      {
        name: 'sync',
        data: { account },
        // A failed run is not retried at once: the next turn is the retry (and a bad key stays bad).
        opts: { attempts: 1, removeOnComplete: 100, removeOnFail: 500 },
      },
    );
  }
  const wanted = new Set(accounts.map(schedulerId));
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key.startsWith('novita-sync:') && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
}

/** The job scheduler id of an account. */
export const schedulerId = (account: string): string => `novita-sync:${account}`;
