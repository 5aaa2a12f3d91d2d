import { AbortedError } from '../errors.js';
import { sleep } from './retry-delay.js';

/**
 * The client-wide bound on requests in flight, and its answer to rate limiting: a 429 pauses every
 * request until the wait Novita asked for has passed and halves the bound; successes raise it back one
 * step at a time. Without this, a listing's other pages would keep hammering Novita while one page
 * waits out its 429.
 */
export interface RequestGate {
  /** Waits for a slot (and for any pause to end). Rejects with `ABORTED` when `signal` aborts meanwhile. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Gives the slot back. */
  release(): void;
  /** A request succeeded: after as many successes as the current bound, the bound grows by one. */
  noteSuccess(): void;
  /** A request got a 429: pause everyone for `waitMs` and halve the bound. */
  noteRateLimited(waitMs: number): void;
  /** The configured bound, never exceeded. */
  readonly maxConcurrency: number;
  /** The bound now in force (lower than {@link maxConcurrency} after a 429). */
  readonly currentLimit: number;
  /** Requests in flight now. */
  readonly inFlight: number;
}

/** Creates a {@link RequestGate} allowing at most `maxConcurrency` requests at once. */
export function createRequestGate(maxConcurrency: number, now: () => number = Date.now): RequestGate {
  let limit = maxConcurrency;
  let inFlight = 0;
  let successesAtLimit = 0;
  let pausedUntil = 0;
  const waiters: Array<() => void> = [];

  const wakeOne = (): void => {
    waiters.shift()?.();
  };

  const waitForSlot = (signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = waiters.indexOf(wake);
        if (index >= 0) waiters.splice(index, 1);
        reject(new AbortedError(undefined, { cause: signal?.reason }));
      };
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  return {
    get maxConcurrency() {
      return maxConcurrency;
    },
    get currentLimit() {
      return limit;
    },
    get inFlight() {
      return inFlight;
    },
    async acquire(signal) {
      for (;;) {
        if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
        const pause = pausedUntil - now();
        if (pause > 0) {
          await sleep(pause, signal);
          continue;
        }
        if (inFlight < limit) {
          inFlight += 1;
          return;
        }
        await waitForSlot(signal);
      }
    },
    release() {
      inFlight = Math.max(0, inFlight - 1);
      // Wake as many waiters as there are free slots; each re-checks the bound and the pause itself.
      for (let free = limit - inFlight; free > 0 && waiters.length > 0; free -= 1) wakeOne();
    },
    noteSuccess() {
      if (limit >= maxConcurrency) return;
      successesAtLimit += 1;
      if (successesAtLimit >= limit) {
        limit += 1;
        successesAtLimit = 0;
        wakeOne();
      }
    },
    noteRateLimited(waitMs) {
      pausedUntil = Math.max(pausedUntil, now() + waitMs);
      limit = Math.max(1, Math.floor(limit / 2));
      successesAtLimit = 0;
    },
  };
}
