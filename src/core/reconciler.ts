/**
 * `createReconciler`: checks its options once, then offers `sync()` (one run: run/run-sync.ts, where
 * the steps are), `listInstances()` (the merged view), and `start()`/`stop()` (the schedule). Runs in
 * one process never overlap (runtime/single-flight.ts); replicas sharing a lock never overlap either, and
 * share one schedule when the lock records completed runs.
 */
import type { ConfigError } from '../errors.js';
import type { ReconcilerEvent, ReconcilerLogger } from './events.js';
import { mergeInstanceView, type InstanceView } from './instance-view.js';
import type { SyncPolicy } from './config/sync-policy.js';
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
import { RUN_OPTION_DEFAULTS, runOptionsKey } from './config/run-options.js';
import { describeError, readView, runSync, type RunContext, type RunResult } from './run/run-sync.js';
import { createFlightQueue } from './runtime/single-flight.js';
import { createSyncScheduler, type StartOptions, type StopOptions } from './runtime/scheduler.js';
import { sharedTurn } from './runtime/shared-schedule.js';
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
   * One reconcile run. Runs never overlap: a call made while a run with the same run options
   * (`dryRun`, `handleObsoleteInstances`, `forceSync`: every field of {@link SyncRunOptions}) is queued or
   * in flight shares that run's report (single flight); a call with other options waits for it, then runs.
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
    flights.run(runOptionsKey(runOptions), (runSignal) => runSync(context, runOptions, runSignal), signal);

  // Bad options throw at the call (as every factory does), before any promise exists.
  const sync = (syncOptions: SyncOptions = {}): Promise<SyncReport> => {
    const { runOptions, signal } = resolveSyncOptions(syncOptions);
    return run(runOptions, signal).then((result) => result.report);
  };

  const scheduledTurn = sharedTurn({
    lock,
    clock: resolved.clock,
    intervalMinutes: policy.syncIntervalMinutes,
    storeTimeoutMs: resolved.storeTimeoutMs,
    log,
    emit,
    sync: (signal) => sync({ signal }),
  });
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
      const result = syncLocalState ? await run(RUN_OPTION_DEFAULTS, signal) : undefined;
      const { records, instances } = await readView(context, signal, result?.instances);
      const view = mergeInstanceView(records, instances, includeNovitaOnly);
      return result ? { ...view, report: result.report } : view;
    },
  };
}
