/**
 * `createReconciler`: checks its options once, then offers `sync()` (one run: run/run-sync.ts, where
 * the steps are), `listInstances()` (the merged view), and `start()`/`stop()` (the schedule). Runs in
 * one process never overlap (run/single-flight.ts); replicas sharing a lock never overlap either, and
 * share one schedule when the lock records completed runs.
 */
import type { ConfigError } from '../errors.js';
import type { ReconcilerEvent, ReconcilerLogger } from './events.js';
import { mergeInstanceView, type InstanceView } from './instance-view.js';
import type { NovitaInstance } from './novita-client.js';
import type { SyncPolicy } from './policy.js';
import {
  resolveListOptions,
  resolveReconcilerOptions,
  resolveStartOptions,
  resolveSyncOptions,
  type ListInstancesOptions,
  type ReconcilerOptions,
  type SyncOptions,
} from './reconciler-options.js';
import type { SyncReport, SyncRunOptions } from '../report.js';
import { raceCall } from './run/deadline.js';
import { describeError, readViewListing, readViewRecords, runSync, type RunContext, type RunResult } from './run/run-sync.js';
import { createFlightQueue } from './run/single-flight.js';
import { createSyncScheduler, SCHEDULE_JITTER, type StartOptions, type StopOptions } from './scheduler.js';
import { checkOptionKeys, signalOption } from '../options.js';

export type { ReconcilerOptions, SyncOptions, ListInstancesOptions } from './reconciler-options.js';

/** The merged view, with the report of the sync that ran first when `syncLocalState` was set. */
export interface ListInstancesResult extends InstanceView {
  /** The report of the sync that ran first (`syncLocalState: true` only). */
  report?: SyncReport;
}

/** What {@link createReconciler} returns. */
export interface Reconciler {
  /**
   * One reconcile run. Runs never overlap: a call made while a run with the same `dryRun`,
   * `handleObsoleteInstances` and `forceSync` is queued or in flight shares that run's report (single
   * flight); a call with other options waits for it, then runs.
   */
  sync(options?: SyncOptions): Promise<SyncReport>;
  /** The merged view of local records and Novita instances. */
  listInstances(options?: ListInstancesOptions): Promise<ListInstancesResult>;
  /**
   * Starts automatic syncs every `policy.syncIntervalMinutes` (with 10% jitter either way), each run
   * after the previous one settled. Failures are logged (and emitted as `run-failed`), never thrown into
   * the process. With a lock that records completed runs (`createRedisLock`), a turn is skipped (event
   * `run-skipped`) when any replica completed a real run within the interval, so replicas share one
   * schedule. Returns `false`, scheduling nothing, when `policy.enableAutomaticSync` is `false`. Calling
   * it again while started changes nothing. The timer does not keep the process alive on its own: a
   * dedicated worker process must keep itself running (see the deployment guide).
   */
  start(options?: StartOptions): boolean;
  /**
   * Stops automatic syncs and waits for a scheduled run in flight. With `signal`, that run is aborted
   * when the signal aborts (a shutdown deadline: `stop({ signal: AbortSignal.timeout(20_000) })`); it
   * then rejects with `ABORTED` inside the schedule (logged, never thrown) and stop() resolves.
   */
  stop(options?: StopOptions): Promise<void>;
  /** The resolved policy. */
  readonly policy: Readonly<SyncPolicy>;
}

/**
 * Creates a reconciler. Validates every option up front and throws {@link ConfigError} naming the
 * option at fault (an unknown option too, with the nearest valid name).
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({ store: createMemoryStore(), novitaClient, policy: { obsoleteRetentionDays: 3 } });
 * const report = await reconciler.sync({ dryRun: true });
 * ```
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const resolved = resolveReconcilerOptions(options);
  const { logger, onEvent, policy, lock } = resolved;
  const log = (level: keyof ReconcilerLogger, fields: Record<string, unknown>, message: string): void => {
    try {
      logger[level]?.(fields, message);
    } catch {
      // A broken logger must not break a run.
    }
  };
  const emit = (event: ReconcilerEvent): void => {
    if (!onEvent) return;
    try {
      // An async handler's rejection is caught too: it must never become an unhandled rejection.
      const returned: unknown = onEvent(event);
      if (returned instanceof Promise)
        returned.catch((error: unknown) =>
          log('warn', { event: event.type, err: describeError(error) }, 'onEvent handler rejected; ignored'),
        );
    } catch (error) {
      log('warn', { event: event.type, err: describeError(error) }, 'onEvent handler threw; ignored');
    }
  };
  const context: RunContext = { ...resolved, log, emit };
  const flights = createFlightQueue<RunResult>();
  const run = (runOptions: SyncRunOptions, signal: AbortSignal | undefined): Promise<RunResult> =>
    flights.run(
      `${runOptions.dryRun}|${runOptions.handleObsoleteInstances}|${runOptions.forceSync}`,
      (runSignal) => runSync(context, runOptions, runSignal),
      signal,
    );

  // Bad options throw at the call (as every factory does), before any promise exists.
  const sync = (syncOptions: SyncOptions = {}): Promise<SyncReport> => {
    const { runOptions, signal } = resolveSyncOptions(syncOptions);
    return run(runOptions, signal).then((result) => result.report);
  };

  const intervalMs = policy.syncIntervalMinutes * 60_000;
  /** One turn of the schedule: skipped when another replica sharing the lock completed a real run recently. */
  const scheduledTurn = async (signal: AbortSignal): Promise<void> => {
    const age = await readSinceLastCompletedRun();
    // The earliest a timer fires is the interval less its jitter: a run younger than that was this turn's run.
    if (age !== null && age > -intervalMs && age < intervalMs * (1 - SCHEDULE_JITTER)) {
      // Said in this replica's terms: the age is the lock's, the time it points at is ours.
      const lastCompletedRun = new Date(resolved.clock().getTime() - age).toISOString();
      log(
        'info',
        { lastCompletedRun, sinceLastCompletedRunMs: age, syncIntervalMinutes: policy.syncIntervalMinutes },
        'Scheduled sync skipped: a replica completed one within the interval',
      );
      emit({ type: 'run-skipped', reason: 'recent-run-elsewhere', lastCompletedRun, timestamp: resolved.clock().toISOString() });
      return;
    }
    await sync({ signal });
  };
  /**
   * How long ago a replica completed a real run: on the lock's own clock when it has one (the Redis
   * lock reads Redis `TIME`), else (an older custom lock) the recorded time against this replica's
   * clock; `null` when unknown, and the replica runs.
   */
  const readSinceLastCompletedRun = async (): Promise<number | null> => {
    if (!lock?.sinceLastCompletedRun && !lock?.lastCompletedRun) return null;
    try {
      if (lock.sinceLastCompletedRun) {
        const age = await raceCall(
          () => (lock.sinceLastCompletedRun as () => Promise<number | null>)(),
          undefined,
          resolved.storeTimeoutMs,
        );
        return typeof age === 'number' && Number.isFinite(age) ? age : null;
      }
      const at = await raceCall(() => (lock.lastCompletedRun as () => Promise<Date | null>)(), undefined, resolved.storeTimeoutMs);
      return at instanceof Date && !Number.isNaN(at.getTime()) ? resolved.clock().getTime() - at.getTime() : null;
    } catch (error) {
      log('warn', { err: describeError(error) }, 'Could not read when the last run completed; this replica runs as scheduled');
      return null;
    }
  };
  const scheduler = createSyncScheduler({
    runSync: scheduledTurn,
    intervalMinutes: policy.syncIntervalMinutes,
    logger: { info: (f, m) => log('info', f, m), error: (f, m) => log('error', f, m) },
  });

  return {
    policy,
    sync,
    start(startOptions: StartOptions = {}) {
      const { runImmediately } = resolveStartOptions(startOptions);
      if (!policy.enableAutomaticSync) {
        log('info', { enableAutomaticSync: false }, 'Automatic sync is disabled by policy; start() scheduled nothing');
        return false;
      }
      if (!scheduler.started) log('info', { syncIntervalMinutes: policy.syncIntervalMinutes, runImmediately }, 'Automatic sync started');
      scheduler.start({ runImmediately });
      return true;
    },
    async stop(stopOptions: StopOptions = {}) {
      const options = checkOptionKeys<StopOptions>('stop', stopOptions, ['signal']);
      const signal = signalOption('signal', options.signal);
      const wasStarted = scheduler.started;
      await scheduler.stop(signal ? { signal } : {});
      if (wasStarted) log('info', {}, 'Automatic sync stopped');
    },
    async listInstances(listOptions: ListInstancesOptions = {}) {
      const { includeNovitaOnly, syncLocalState, signal } = resolveListOptions(listOptions);
      let report: SyncReport | undefined;
      let instances: NovitaInstance[];
      if (syncLocalState) {
        const result = await run({ dryRun: false, handleObsoleteInstances: true, forceSync: false }, signal);
        report = result.report;
        instances = result.instances;
      } else {
        instances = await readViewListing(context, signal);
      }
      const records = await readViewRecords(context, signal);
      const { scope } = resolved;
      const ownRecords = scope?.record ? records.filter((record) => scope.record?.(record)) : records;
      const ownInstances = scope?.instance ? instances.filter((instance) => scope.instance?.(instance)) : instances;
      const view = mergeInstanceView(ownRecords, ownInstances, includeNovitaOnly);
      return report ? { ...view, report } : view;
    },
  };
}
