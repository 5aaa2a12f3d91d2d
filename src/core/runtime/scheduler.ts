import { isReconcilerError } from '../../errors.js';
import type { ReconcilerLogger } from '../events.js';

/** The default share of the interval each delay may move by, either way. */
export const SCHEDULE_JITTER = 0.1;

/** Options of {@link createSyncScheduler}. */
export interface SyncSchedulerOptions {
  /** Runs one sync; its rejections are caught and logged here, never thrown into the process. */
  runSync: (signal: AbortSignal) => Promise<unknown>;
  /** Minutes between runs. */
  intervalMinutes: number;
  /** Share of the interval each delay may move by, either way, so replicas do not fire together. @default 0.1 */
  jitter?: number;
  logger: ReconcilerLogger;
  /** A number in [0, 1). @default Math.random */
  random?: () => number;
}

/** Options of `reconciler.start()`. */
export interface StartOptions {
  /** Run once right away instead of waiting one interval first. @default false */
  runImmediately?: boolean;
}

/** Options of `reconciler.stop()`. */
export interface StopOptions {
  /**
   * Aborts the scheduled run in flight when it aborts (for a shutdown deadline:
   * `stop({ signal: AbortSignal.timeout(20_000) })`); without it, `stop()` waits for the run to end.
   * The aborted run rejects with `ABORTED` and reports what it applied, like any aborted run.
   */
  signal?: AbortSignal;
}

/** Runs syncs on a timer, one at a time. */
export interface SyncScheduler {
  start(options?: StartOptions): void;
  /** Stops scheduling and waits for a run in flight; `signal` aborts that run when it aborts. */
  stop(options?: StopOptions): Promise<void>;
  readonly started: boolean;
}

/**
 * A timer loop that schedules the next run only after the previous one settled, so runs never
 * overlap, and never lets a failed run escape as an unhandled rejection. The timer is `unref`'d: it
 * never keeps a process alive on its own.
 */
export function createSyncScheduler(options: SyncSchedulerOptions): SyncScheduler {
  const intervalMs = options.intervalMinutes * 60_000;
  const jitter = options.jitter ?? SCHEDULE_JITTER;
  const random = options.random ?? Math.random;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let runController: AbortController | undefined;
  let started = false;

  const nextDelay = (): number => Math.max(1_000, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));

  const schedule = (delay: number): void => {
    timer = setTimeout(tick, delay);
    timer.unref?.();
  };

  function tick(): void {
    timer = undefined;
    if (!started) return;
    runController = new AbortController();
    inFlight = options
      .runSync(runController.signal)
      .then(
        () => undefined,
        (error: unknown) => {
          if (isReconcilerError(error, 'SYNC_IN_PROGRESS')) {
            options.logger.info?.({ code: error.code }, 'Scheduled sync skipped: another replica is running one');
          } else {
            const code = isReconcilerError(error) ? error.code : undefined;
            options.logger.error?.(
              { code, err: error instanceof Error ? error.message : String(error) },
              'Scheduled sync failed; the next one runs on schedule',
            );
          }
        },
      )
      .catch(() => undefined) // a logger that throws must not escape either
      .finally(() => {
        inFlight = undefined;
        if (started) schedule(nextDelay());
      });
  }

  return {
    get started() {
      return started;
    },
    start(startOptions: StartOptions = {}) {
      if (started) return;
      started = true;
      schedule(startOptions.runImmediately ? 0 : nextDelay());
    },
    async stop(stopOptions: StopOptions = {}) {
      started = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const running = inFlight;
      if (!running) return;
      const { signal } = stopOptions;
      const controller = runController;
      const abortRun = (): void => controller?.abort(signal?.reason ?? new Error('stop() was told to abort the run'));
      if (signal?.aborted) abortRun();
      else signal?.addEventListener('abort', abortRun, { once: true });
      try {
        await running;
      } finally {
        signal?.removeEventListener('abort', abortRun);
      }
    },
  };
}
