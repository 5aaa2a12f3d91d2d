/** The lock around a run: taking it, releasing it, and sharing the time of a completed run with the other replicas. */
import { AbortedError, SyncInProgressError } from '../../errors.js';
import type { LockLease } from '../ports/lock.js';
import { raceCall, RaceLostError } from '../runtime/deadline.js';
import type { Run } from './run.js';
import { asStoreError, describeError, type RunContext } from './run-context.js';

/** Takes the lock, when there is one: `SYNC_IN_PROGRESS` when another replica holds it. */
export async function takeLease(context: RunContext, signal: AbortSignal | undefined): Promise<LockLease | null> {
  const { lock } = context;
  if (!lock) return null;
  let lease: LockLease | null;
  try {
    // A lease that arrives after the deadline is released at once, or it would block every replica until it expires.
    lease = await raceCall(
      () => lock.acquire(signal ? { signal } : {}),
      signal,
      context.storeTimeoutMs,
      (late) => void late?.release().catch(() => undefined),
    );
  } catch (error) {
    if (error instanceof RaceLostError && error.kind === 'aborted')
      throw new AbortedError('sync aborted while taking the lock', { cause: signal?.reason });
    throw asStoreError(error, 'taking the sync lock failed');
  }
  if (!lease) {
    // No run took place, so there is no run-failed either: this says so, for metrics and logs.
    context.emit({ type: 'run-skipped', reason: 'lock-held', timestamp: context.clock().toISOString() });
    throw new SyncInProgressError('another replica is running a sync (the lock is held)');
  }
  return lease;
}

/** Releases the lease, within the store deadline; a failure is logged (the lease expires by itself). */
export async function releaseLease({ context, id: runId, lease }: Run): Promise<void> {
  if (!lease) return;
  try {
    await raceCall(() => lease.release(), undefined, context.storeTimeoutMs);
  } catch (error) {
    context.log('warn', { runId, err: describeError(error) }, 'releasing the sync lock failed; it expires by itself');
  }
}

/** Shares the time of this completed real run with every replica of the lock (their schedules skip a turn). */
export async function recordCompletion({ context, id: runId, lease }: Run): Promise<void> {
  if (!lease?.recordCompletedRun) return;
  try {
    // A lock with a clock of its own stamps the time itself: replicas' clocks may disagree, its does not.
    const ownClock = typeof context.lock?.sinceLastCompletedRun === 'function';
    await raceCall(
      () => (lease.recordCompletedRun as (at?: Date) => Promise<boolean>)(ownClock ? undefined : context.clock()),
      undefined,
      context.storeTimeoutMs,
    );
  } catch (error) {
    context.log(
      'warn',
      { runId, err: describeError(error) },
      'recording the completed run with the lock failed; replicas may run again sooner',
    );
  }
}
