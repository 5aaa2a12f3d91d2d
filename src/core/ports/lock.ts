import type { WriteFence } from './store.js';

/** A held lock. The reconciler renews nothing itself: the lock implementation keeps its lease alive. */
export interface LockLease {
  /** The owner token of this lease. */
  readonly token: string;
  /** A fence for the store's writes, when the lock and the store support fencing. */
  readonly fence?: WriteFence;
  /** Aborted when the lease is lost (could not be renewed, or taken over). The run stops writing. */
  readonly lost: AbortSignal;
  /** Releases the lease if this owner still holds it. Never throws for a lease already lost. */
  release(): Promise<void>;
  /**
   * Optional: records, with the lock, that a real (not dry) run completed at `at`, so that replicas
   * sharing this lock share one schedule. Called by the reconciler only for a resolved real run, while
   * the lease is held. Resolves `false` (writing nothing) when the lease is no longer held.
   */
  recordCompletedRun?(at: Date): Promise<boolean>;
}

/**
 * A lock shared by every replica that reconciles the same store, for example `createRedisLock`
 * from `novita-reconciler/redis`.
 */
export interface SyncLock {
  /** Takes the lock, or resolves `null` when another owner holds it. */
  acquire(options?: { signal?: AbortSignal }): Promise<LockLease | null>;
  /**
   * Optional: when a real run last completed under this lock (by any replica), as recorded by
   * {@link LockLease.recordCompletedRun}; `null` when none is recorded. A scheduler whose timer fires
   * skips its turn when this is within the interval. A rejection means "unknown": the replica runs.
   */
  lastCompletedRun?(options?: { signal?: AbortSignal }): Promise<Date | null>;
}
