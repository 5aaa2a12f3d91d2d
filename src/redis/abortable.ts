import { AbortedError } from '../errors.js';

/**
 * @internal Settles with `pending`, or rejects with `ABORTED` as soon as `signal` aborts, whichever
 * comes first. A client without a command timeout (`new Redis(url)`) waits for a reply forever when
 * the server or the network stops answering; the caller's signal must still end the wait.
 *
 * The command itself cannot be taken back: it may still reach Redis and apply. Its late outcome is
 * dropped (a late rejection is caught, so it never becomes an unhandled rejection), and the listener
 * is removed once either side settles, so a long run never piles listeners on one signal.
 */
export function untilAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (signal === undefined) return pending;
  if (signal.aborted) {
    pending.catch(() => {});
    return Promise.reject(abortedWhileWaiting(operation, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      pending.catch(() => {});
      reject(abortedWhileWaiting(operation, signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortedWhileWaiting(operation: string, signal: AbortSignal): AbortedError {
  return new AbortedError(`Redis store: ${operation} aborted while waiting for Redis`, { cause: signal.reason });
}
