/**
 * Every call a run makes to the world is raced against the run's signal and a deadline of the
 * library's own, so that a store client without a command timeout (`new Redis(url)`), a lock that
 * never answers or a lost lease can never keep a run pending. The call itself is not cancelled (a
 * promise cannot be); its late answer is ignored.
 */

/** Why a raced call lost: its deadline passed, or the run's signal aborted first. */
export class RaceLostError extends Error {
  constructor(
    readonly kind: 'timeout' | 'aborted',
    readonly timeoutMs: number,
  ) {
    super(kind === 'timeout' ? `no answer within ${timeoutMs} ms` : 'aborted while waiting for an answer');
    this.name = 'RaceLostError';
  }
}

/**
 * Resolves or rejects like `call()`, unless `signal` aborts or `timeoutMs` passes first: then it
 * rejects with {@link RaceLostError}. `onLateAnswer` receives an answer that arrives after the race was
 * lost (for example a lease taken too late, which must be released). `abortGraceMs` lets an abort wait
 * that long for the answer before the race is lost.
 */
export function raceCall<T>(
  call: () => Promise<T>,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  onLateAnswer?: (value: T) => void,
  abortGraceMs = 0,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(new RaceLostError('aborted', timeoutMs));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    // With a grace, an abort still waits that long for an answer already on its way (a write batch
    // whose outcome is then known instead of unknown).
    const onAbort = (): void => {
      if (abortGraceMs <= 0) {
        if (finish()) reject(new RaceLostError('aborted', timeoutMs));
        return;
      }
      setTimeout(() => {
        if (finish()) reject(new RaceLostError('aborted', timeoutMs));
      }, abortGraceMs);
    };
    // No deadline at all when the caller allows unlimited time (only the signal bounds the call then).
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          if (finish()) reject(new RaceLostError('timeout', timeoutMs));
        }, timeoutMs)
      : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(call());
    } catch (error) {
      finish();
      reject(error);
      return;
    }
    pending.then(
      (value) => {
        if (finish()) resolve(value);
        else onLateAnswer?.(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}

/**
 * Iterates an async iterable with each step raced like {@link raceCall}. When a step loses, the
 * iterator is told to finish (`return()`, not awaited) and the loss is thrown.
 */
export async function* raceIterable<T>(iterable: AsyncIterable<T>, signal: AbortSignal | undefined, timeoutMs: number): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      const step = await raceCall(() => iterator.next(), signal, timeoutMs);
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!finished) {
      // Not awaited: a store that hangs must not hang the run's cleanup either.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined);
    }
  }
}
