/**
 * Replicas sharing a lock share one schedule: a scheduled turn is skipped when any replica completed a
 * real run within the interval less its jitter, as the lock recorded it, measured on the lock's clock
 * (`sinceLastCompletedRun`; Redis `TIME` for the Redis lock). Without a lock that records runs, or when
 * that time cannot be read in time, the replica runs as scheduled.
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
  /**
   * How long ago a replica completed a real run: on the lock's own clock when it has one (the Redis
   * lock reads Redis `TIME`), else (an older custom lock) the recorded time against this replica's
   * clock; `null` when unknown, and the replica runs.
   */
  const readSinceLastCompletedRun = async (): Promise<number | null> => {
    if (!lock?.sinceLastCompletedRun && !lock?.lastCompletedRun) return null;
    try {
      if (lock.sinceLastCompletedRun) {
        const age = await raceCall(() => (lock.sinceLastCompletedRun as () => Promise<number | null>)(), undefined, options.storeTimeoutMs);
        return typeof age === 'number' && Number.isFinite(age) ? age : null;
      }
      const at = await raceCall(() => (lock.lastCompletedRun as () => Promise<Date | null>)(), undefined, options.storeTimeoutMs);
      return at instanceof Date && !Number.isNaN(at.getTime()) ? clock().getTime() - at.getTime() : null;
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
    const age = await readSinceLastCompletedRun();
    // The earliest a timer fires is the interval less its jitter: a run younger than that was this turn's run.
    if (age !== null && age > -intervalMs && age < intervalMs * (1 - SCHEDULE_JITTER)) {
      // Said in this replica's terms: the age is the lock's, the time it points at is ours.
      const lastCompletedRun = new Date(clock().getTime() - age).toISOString();
      log(
        'info',
        { lastCompletedRun, sinceLastCompletedRunMs: age, syncIntervalMinutes: options.intervalMinutes },
        'Scheduled sync skipped: a replica completed one within the interval',
      );
      emit({ type: 'run-skipped', reason: 'recent-run-elsewhere', lastCompletedRun, timestamp: clock().toISOString() });
      return;
    }
    await options.sync(signal);
  };
}
