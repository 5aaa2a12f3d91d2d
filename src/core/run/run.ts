/** One run as every step sees it: what it works with, its id, its signal, its lease and its progress; and its one abort check. */
import { AbortedError, LockLostError, type ReconcilerError } from '../../errors.js';
import type { LockLease } from '../ports/lock.js';
import type { Progress } from './progress.js';
import type { RunContext } from './run-context.js';

/** One run, handed whole to each step instead of five loose arguments. */
export interface Run {
  /** What the run works with: the reconciler's resolved options, `log` and `emit`. */
  readonly context: RunContext;
  /** The run's id, as on its report and events (`view` for the merged view's reads, which are no run). */
  readonly id: string;
  /** The caller's signal joined with the lease's `lost`; `undefined` when neither can abort the run. */
  readonly signal: AbortSignal | undefined;
  /** The lock's lease, or `null` without a lock. */
  readonly lease: LockLease | null;
  /** The run's progress events. */
  readonly progress: Progress;
}

/** The error a run rejects with once its signal aborted: `LOCK_LOST` when the lease went, else `ABORTED`. */
export function abortError(run: Pick<Run, 'signal' | 'lease'>): ReconcilerError {
  if (run.lease?.lost.aborted) return new LockLostError();
  return new AbortedError('sync aborted', { cause: run.signal?.reason });
}

/** The run's one abort check: throws {@link abortError} when the run's signal aborted. */
export function throwIfAborted(run: Pick<Run, 'signal' | 'lease'>): void {
  if (run.signal?.aborted) throw abortError(run);
}
