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
   * Optional: records, with the lock, that a real (not dry) run completed, so that replicas sharing
   * this lock share one schedule. Called by the reconciler only for a resolved real run, while the
   * lease is held. Resolves `false` (writing nothing) when the lease is no longer held.
   *
   * When the lock has {@link SyncLock.sinceLastCompletedRun}, the reconciler calls this without `at`:
   * the lock stamps the time on its own clock (the shared store's, such as Redis `TIME`). Otherwise it
   * passes its own clock's time as `at` (the older port, kept for custom locks).
   */
  recordCompletedRun?(at?: Date): Promise<boolean>;
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
   * {@link LockLease.recordCompletedRun}; `null` when none is recorded. Read only when the lock has no
   * {@link SyncLock.sinceLastCompletedRun}: the scheduler then compares it with the replica's own clock,
   * so replicas with skewed clocks run more often than once per interval. Implement
   * `sinceLastCompletedRun` instead. A rejection means "unknown": the replica runs.
   * @deprecated since 0.2: implement {@link SyncLock.sinceLastCompletedRun}.
   */
  lastCompletedRun?(options?: { signal?: AbortSignal }): Promise<Date | null>;
  /**
   * Optional: how long ago, in ms, a real run last completed under this lock (by any replica), measured
   * on the lock's own clock, the same one {@link LockLease.recordCompletedRun} stamps with; `null` when
   * none is recorded. When present, the reconciler's shared schedule reads this instead of
   * {@link SyncLock.lastCompletedRun}, so replicas whose clocks disagree still make one run per interval.
   * A rejection means "unknown": the replica runs.
   */
  sinceLastCompletedRun?(options?: { signal?: AbortSignal }): Promise<number | null>;
}
