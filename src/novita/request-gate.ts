import { AbortedError } from '../errors.js';
import { onAbort } from './abort-fan-out.js';

/**
 * The client-wide bound on requests in flight, adaptive between 1 and `maxConcurrency`: a 429 pauses
 * every request until the wait Novita asked for has passed and halves the bound, a burst of server
 * errors halves it too, and successes raise it back one step at a time. An optional token bucket caps
 * the requests per second on top, for teams that share one API key with their own app. Without this, a listing's other pages would keep hammering Novita while one page
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
  /** A request got a 5xx or timed out: after {@link SERVER_ERROR_BURST} in a row, the bound halves. */
  noteServerError(): void;
  /** The configured bound, never exceeded. */
  readonly maxConcurrency: number;
  /** The bound now in force (lower than {@link maxConcurrency} after a 429). */
  readonly currentLimit: number;
  /** Requests in flight now. */
  readonly inFlight: number;
}

/** Server errors (5xx, timeouts) in a row that count as a burst: Novita is struggling, so ask less of it at once. */
export const SERVER_ERROR_BURST = 3;

/** A token bucket capping how many requests a client sends per second, whatever their kind. */
export interface RequestBudget {
  /** Requests per second, sustained. */
  requestsPerSecond: number;
  /** Requests that may go at once after a quiet spell. */
  burst: number;
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
export function createRequestGate(maxConcurrency: number, now: () => number = Date.now, budget?: RequestBudget): RequestGate {
  let limit = maxConcurrency;
  let inFlight = 0;
  let successesAtLimit = 0;
  let serverErrorsInARow = 0;
  let pausedUntil = 0;
  // The bucket starts full; it refills continuously at the budget's rate.
  let tokens = budget?.burst ?? 0;
  let refilledAt = now();
  const refill = (): void => {
    if (!budget) return;
    const time = now();
    tokens = Math.min(budget.burst, tokens + ((time - refilledAt) / 1000) * budget.requestsPerSecond);
    refilledAt = time;
  };
  /** Milliseconds until a request may go: the pause, or the wait for a token. */
  const waitBeforeNext = (): number => {
    const pause = pausedUntil - now();
    if (!budget) return pause;
    refill();
    const tokenWait = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / budget.requestsPerSecond) * 1000);
    return Math.max(pause, tokenWait);
  };
  const take = (): void => {
    inFlight += 1;
    if (budget) tokens -= 1;
  };
  let pauseTimer: ReturnType<typeof setTimeout> | undefined;
  const queue: Waiter[] = [];

  // Lets waiters in, oldest first, while there is a free slot and no pause. During a pause, one timer
  // comes back when it ends (the clock is re-read then, since `now` may be a test's clock).
  const drain = (): void => {
    while (inFlight < limit && queue.length > 0) {
      const wait = waitBeforeNext();
      if (wait > 0) {
        if (pauseTimer === undefined) {
          pauseTimer = setTimeout(() => {
            pauseTimer = undefined;
            drain();
          }, wait);
        }
        return;
      }
      const waiter = queue.shift() as Waiter;
      waiter.unsubscribe();
      take();
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
      if (queue.length === 0 && inFlight < limit && waitBeforeNext() <= 0) {
        take();
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
      serverErrorsInARow = 0;
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
    noteServerError() {
      serverErrorsInARow += 1;
      if (serverErrorsInARow < SERVER_ERROR_BURST) return;
      serverErrorsInARow = 0;
      limit = Math.max(1, Math.floor(limit / 2));
      successesAtLimit = 0;
    },
  };
}
