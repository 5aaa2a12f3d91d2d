import { AbortedError } from '../errors.js';
import { onAbort } from './abort-fan-out.js';

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

interface Waiter {
  resolve(): void;
  unsubscribe(): void;
}

/**
 * Creates a {@link RequestGate} allowing at most `maxConcurrency` requests at once.
 *
 * Waiters queue in order of arrival and hold no abort listener of their own: every waiter under one
 * signal shares one listener (see {@link onAbort}), and a pause is one timer for the whole queue, so
 * a listing of any length adds nothing per page to its signal.
 */
export function createRequestGate(maxConcurrency: number, now: () => number = Date.now): RequestGate {
  let limit = maxConcurrency;
  let inFlight = 0;
  let successesAtLimit = 0;
  let pausedUntil = 0;
  let pauseTimer: ReturnType<typeof setTimeout> | undefined;
  const queue: Waiter[] = [];

  // Lets waiters in, oldest first, while there is a free slot and no pause. During a pause, one timer
  // comes back when it ends (the clock is re-read then, since `now` may be a test's clock).
  const drain = (): void => {
    if (queue.length === 0) return;
    const pause = pausedUntil - now();
    if (pause > 0) {
      if (pauseTimer === undefined) {
        pauseTimer = setTimeout(() => {
          pauseTimer = undefined;
          drain();
        }, pause);
      }
      return;
    }
    while (inFlight < limit && queue.length > 0) {
      const waiter = queue.shift() as Waiter;
      waiter.unsubscribe();
      inFlight += 1;
      waiter.resolve();
    }
  };

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
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
      // Nobody queued ahead, a free slot, no pause: in at once.
      if (queue.length === 0 && inFlight < limit && pausedUntil - now() <= 0) {
        inFlight += 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = { resolve, unsubscribe: () => {} };
        queue.push(waiter);
        if (signal) {
          waiter.unsubscribe = onAbort(signal, () => {
            const index = queue.indexOf(waiter);
            if (index < 0) return;
            queue.splice(index, 1);
            // A pause timer nobody waits for would keep an aborted CLI run alive until the pause ends.
            if (queue.length === 0 && pauseTimer !== undefined) {
              clearTimeout(pauseTimer);
              pauseTimer = undefined;
            }
            reject(new AbortedError(undefined, { cause: signal.reason }));
          });
        }
        drain();
      });
    },
    release() {
      inFlight = Math.max(0, inFlight - 1);
      drain();
    },
    noteSuccess() {
      if (limit >= maxConcurrency) return;
      successesAtLimit += 1;
      if (successesAtLimit >= limit) {
        limit += 1;
        successesAtLimit = 0;
        drain();
      }
    },
    noteRateLimited(waitMs) {
      const until = now() + waitMs;
      if (until > pausedUntil) {
        pausedUntil = until;
        // A longer pause than the one the timer was set for: set it again, for the new end.
        if (pauseTimer !== undefined) {
          clearTimeout(pauseTimer);
          pauseTimer = undefined;
        }
      }
      limit = Math.max(1, Math.floor(limit / 2));
      successesAtLimit = 0;
      drain();
    },
  };
}
