import { AbortedError } from '../errors.js';
import { onAbort } from './abort-fan-out.js';

/**
 * The backoff before retry number `attempt` (0 for the first retry): a uniformly random delay in
 * `[0, min(maxDelayMs, baseDelayMs * 2^attempt))`. Full jitter spreads the retries of many clients
 * that failed together, which is what a rate limit needs.
 */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a `Retry-After` header asks for: delta-seconds (`"2"`) or an HTTP date. `undefined` when
 * the header is absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Resolves after `ms`, or rejects with `ABORTED` as soon as `signal` aborts. Many sleeps under one
 * signal share a single abort listener (see {@link onAbort}).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(undefined, { cause: signal.reason }));
      return;
    }
    let unsubscribe = (): void => {};
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    if (signal) {
      unsubscribe = onAbort(signal, () => {
        clearTimeout(timer);
        reject(new AbortedError(undefined, { cause: signal.reason }));
      });
    }
  });
}
