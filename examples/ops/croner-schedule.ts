/**
 * The schedule on croner: a cron pattern instead of the reconciler's own interval timer.
 *
 * ```ts
 * const reconciler = createReconciler({ store, lock, novitaClient, policy: { enableAutomaticSync: false } });
 * const schedule = scheduleSync(reconciler, { pattern: '0,15,30,45 * * * *', logger }); // every 15 minutes
 * // on shutdown:
 * await schedule.stop(); // no more ticks, and the run in flight (if any) has ended
 * ```
 *
 * `protect` skips a tick that comes while the previous run is still going, so slow runs never pile
 * up. It is given a callback here, which turns it on as `protect: true` does and logs the skipped tick. Unlike `reconciler.start()`, croner's timer
 * keeps the process alive: a process that only runs this schedule does not exit by itself.
 *
 * On its own it runs the reconciler of the environment, as the command reads it: REDIS_URL,
 * NOVITA_API_KEY, SYNC_*; the pattern from SYNC_CRON, default every 15 minutes; pino lines on stdout;
 * SIGTERM stops it.
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY=sk_... node --import tsx examples/ops/croner-schedule.ts
 */
import { Cron } from 'croner';
import { isReconcilerError, type Reconciler, type ReconcilerLogger, type SyncOptions } from 'novita-reconciler';
import { isMain, reconcilerFromEnv, stopOnSignal } from './from-env.js';

/** Options of {@link scheduleSync}. */
export interface CronSyncOptions {
  /** A cron pattern (5 fields, or 6 with seconds first). @default '0,30 * * * *' (every 30 minutes) */
  pattern?: string;
  /** An IANA time zone for the pattern. @default the process's */
  timezone?: string;
  /** Where skipped ticks and failed runs are logged (pino works as it is). @default silent */
  logger?: ReconcilerLogger;
  /** The options of each run. @default a real run */
  sync?: Omit<SyncOptions, 'signal'>;
}

/** A running cron schedule of syncs. */
export interface CronSync {
  /** The croner job: `nextRun()`, `trigger()`, `pause()`... */
  readonly job: Cron;
  /** Stops the ticks, then waits for the run in flight. */
  stop(): Promise<void>;
}

/** Schedules `reconciler.sync()` on a cron pattern. */
export function scheduleSync(reconciler: Reconciler, options: CronSyncOptions = {}): CronSync {
  const logger = options.logger ?? {};
  let inFlight: Promise<unknown> | undefined;
  const job = new Cron(
    options.pattern ?? '0,30 * * * *',
    {
      ...(options.timezone ? { timezone: options.timezone } : {}),
      protect: (blocked) =>
        logger.warn?.(
          { runningSince: blocked.currentRun()?.toISOString() ?? null },
          'Scheduled sync skipped: the previous one is still running',
        ),
      // A failed run must not become an unhandled rejection; the next tick runs as scheduled.
      catch: (error) => {
        if (isReconcilerError(error, 'SYNC_IN_PROGRESS'))
          logger.info?.({ code: error.code }, 'Scheduled sync skipped: another replica is running one');
        else
          logger.error?.(
            { code: isReconcilerError(error) ? error.code : undefined, err: error instanceof Error ? error.message : String(error) },
            'Scheduled sync failed',
          );
      },
    },
    async () => {
      const run = reconciler.sync(options.sync ?? {});
      inFlight = run;
      try {
        await run;
      } finally {
        if (inFlight === run) inFlight = undefined;
      }
    },
  );
  return {
    job,
    async stop() {
      job.stop();
      await inFlight?.catch(() => undefined);
    },
  };
}

if (isMain(import.meta.url)) {
  const { default: pino } = await import('pino');
  const logger = pino();
  const { reconciler, close } = await reconcilerFromEnv({
    logger,
    // The reconciler's own timer stays off: croner runs the schedule.
    onEvent: (event) => {
      if (event.type === 'run-finished') logger.info({ event: event.type, actions: event.report.actions.length }, 'sync finished');
    },
  });
  const pattern = process.env.SYNC_CRON?.trim() || '0,15,30,45 * * * *';
  const schedule = scheduleSync(reconciler, { pattern, logger });
  logger.info({ pattern, nextRun: schedule.job.nextRun()?.toISOString() }, 'croner schedule started');
  stopOnSignal(async () => {
    await schedule.stop();
    await close();
    logger.info('stopped');
  });
}
