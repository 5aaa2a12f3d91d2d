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
}

/**
 * A lock shared by every replica that reconciles the same store, for example `createRedisLock`
 * from `novita-reconciler/redis`.
 */
export interface SyncLock {
  /** Takes the lock, or resolves `null` when another owner holds it. */
  acquire(options?: { signal?: AbortSignal }): Promise<LockLease | null>;
}
