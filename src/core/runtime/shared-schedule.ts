/**
 * Replicas sharing a lock share one schedule: a scheduled turn is skipped when any replica completed a
 * real run within the interval less its jitter, as the lock recorded it (on the store's clock). Without
 * a lock that records runs, or when that time cannot be read in time, the replica runs as scheduled.
 */
import type { ReconcilerEvent, ReconcilerLogger } from '../events.js';
import type { SyncLock } from '../ports/lock.js';
import { raceCall } from './deadline.js';
import { SCHEDULE_JITTER } from './scheduler.js';

/** What one shared turn needs. */
export interface SharedTurnOptions {
  lock: SyncLock | undefined;
  clock: () => Date;
  intervalMinutes: number;
  /** Deadline of the lock read. */
  storeTimeoutMs: number;
  log: (level: keyof ReconcilerLogger, fields: Record<string, unknown>, message: string) => void;
  emit: (event: ReconcilerEvent) => void;
  /** The run of a turn not skipped. */
  sync: (signal: AbortSignal) => Promise<unknown>;
}

/** One turn of the schedule: skipped (`run-skipped`, `recent-run-elsewhere`) when a replica sharing the lock completed a real run recently. */
export function sharedTurn(options: SharedTurnOptions): (signal: AbortSignal) => Promise<void> {
  const { lock, clock, log, emit } = options;
  const intervalMs = options.intervalMinutes * 60_000;
  const readLastCompletedRun = async (): Promise<Date | null> => {
    if (!lock?.lastCompletedRun) return null;
    try {
      const at = await raceCall(() => (lock.lastCompletedRun as () => Promise<Date | null>)(), undefined, options.storeTimeoutMs);
      return at instanceof Date && !Number.isNaN(at.getTime()) ? at : null;
    } catch (error) {
      log(
        'warn',
        { err: error instanceof Error ? error.message : String(error) },
        'Could not read when the last run completed; this replica runs as scheduled',
      );
      return null;
    }
  };
  return async (signal) => {
    const lastCompletedRun = await readLastCompletedRun();
    if (lastCompletedRun !== null) {
      const age = clock().getTime() - lastCompletedRun.getTime();
      // The earliest a timer fires is the interval less its jitter: a run younger than that was this turn's run.
      if (age > -intervalMs && age < intervalMs * (1 - SCHEDULE_JITTER)) {
        log(
          'info',
          { lastCompletedRun: lastCompletedRun.toISOString(), syncIntervalMinutes: options.intervalMinutes },
          'Scheduled sync skipped: a replica completed one within the interval',
        );
        emit({
          type: 'run-skipped',
          reason: 'recent-run-elsewhere',
          lastCompletedRun: lastCompletedRun.toISOString(),
          timestamp: clock().toISOString(),
        });
        return;
      }
    }
    await options.sync(signal);
  };
}
