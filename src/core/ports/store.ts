import { ConfigError } from '../../errors.js';
import type { InstanceRecord } from '../record.js';
import type { DestructiveHold } from '../../report.js';

/** A record as read by the reconciler, with the opaque version a conditional write must match. */
export interface VersionedRecord {
  /** The record id. */
  id: string;
  /** The decoded record. */
  record: InstanceRecord;
  /** Opaque token that changes whenever the stored value changes, by anyone. */
  version: string;
  /** Always absent on a decoded record: `entry.invalid === undefined` tells it from an {@link InvalidStoredRecord}. */
  invalid?: undefined;
}

/** A stored value that could not be decoded as a record. The reconciler leaves it alone and reports it. */
export interface InvalidStoredRecord {
  /** The record id (the key it is stored under). */
  id: string;
  /** Always absent: the stored value could not be decoded, so there is no record to give. */
  record?: undefined;
  /** Opaque token of the stored value. */
  version: string;
  /** Why it could not be decoded, naming the field when possible. */
  invalid: string;
}

/** One entry of a batch read by {@link ReconcilerStore.readBatches}. */
export type StoreEntry = VersionedRecord | InvalidStoredRecord;

/** A conditional put: applies only if the stored record still has `expectedVersion` (or, when `null`, does not exist). */
export interface ConditionalPut {
  /** Tells a put from a {@link ConditionalDelete}. */
  op: 'put';
  /** The id the record is stored under; always `record.id` (the built-in stores refuse a put whose ids differ, `RECORD_INVALID`). */
  id: string;
  /** The whole next version of the record, to store as it is (not merged): the fields the library owns changed, every other field as read. */
  record: InstanceRecord;
  /** The version read, or `null` to create a record that must not exist yet. */
  expectedVersion: string | null;
  /** Why the reconciler writes it (an action reason), for stores that keep an audit trail. */
  reason?: string;
  /**
   * Whether the reconciler's planner marked this write destructive (it marks the record terminated), so
   * that a store keeping an audit trail records it without reading the record's status itself.
   * @default false
   */
  destructive?: boolean;
}

/** A conditional delete: applies only if the stored record still has `expectedVersion`. */
export interface ConditionalDelete {
  /** Tells a delete from a {@link ConditionalPut}. */
  op: 'delete';
  /** The id of the record to delete. */
  id: string;
  /** The version read: the delete applies only if the stored value still has it (one already deleted answers `missing`). */
  expectedVersion: string;
  /** Why the reconciler deletes it (an action reason), for stores that keep an audit trail. */
  reason?: string;
  /** Whether the planner marked it destructive: a delete by the reconciler always is (it removes the record). @default false */
  destructive?: boolean;
}

/** One write of a batch given to {@link ReconcilerStore.writeBatch}. */
export type ConditionalWrite = ConditionalPut | ConditionalDelete;

/**
 * The outcome of one conditional write:
 * - `ok`: applied;
 * - `conflict`: the record changed (or, for a create, came to exist) since it was read; nothing written;
 * - `missing`: the record was deleted since it was read; nothing written (for a delete, that counts as done).
 */
export type WriteOutcome = 'ok' | 'conflict' | 'missing';

/** The result of one conditional write, in the order of the batch. */
export interface WriteResult {
  /** The id of the write this result answers (its `write.id`). */
  id: string;
  /** Whether the write was applied (`ok`), or why not (`conflict`, `missing`). */
  outcome: WriteOutcome;
  /** The new version after an `ok` put. */
  version?: string;
}

/**
 * A fencing token from a lock lease: a store that supports fencing applies a batch only while
 * `key` still holds `token`, so a run that lost its lock cannot write.
 */
export interface WriteFence {
  /** The lock's key, in the store's own namespace. */
  key: string;
  /** The lease owner's token. */
  token: string;
}

/** Options of {@link ReconcilerStore.readBatches}. */
export interface ReadBatchesOptions {
  /** Records per batch. @default 500 */
  batchSize?: number;
  /**
   * Aborted when the run stops (its caller aborted, its lease was lost) or its listing failed and the
   * read is abandoned: the store should stop reading and reject. The reconciler stops waiting on its own
   * too, and gives each batch at most `storeTimeoutMs`.
   */
  signal?: AbortSignal;
}

/** Options of {@link ReconcilerStore.writeBatch}. */
export interface WriteBatchOptions {
  /** When given, a store that supports fencing writes nothing unless the fence still holds. */
  fence?: WriteFence;
  /** The sync run writing, for stores that keep an audit trail. */
  runId?: string;
  /**
   * Aborted when the run stops (its caller aborted, its lease was lost). A store may then reject, but,
   * as the {@link ReconcilerStore.writeBatch} contract says, only for a batch it did not attempt, or with
   * {@link WriteBatchProgress} on its error. The reconciler waits up to 1 s (less when `storeTimeoutMs` is
   * shorter) for the answer of a batch already sent, then counts its writes `unknown`.
   */
  signal?: AbortSignal;
}

/**
 * What the reconciler needs from a store, and all it calls: every record read in batches, and
 * conditional batch writes. A custom store (or a wrapper around one) implements these two; the
 * app-facing methods of {@link InstanceStore} are optional extras.
 */
export interface ReconcilerStore {
  /**
   * Every stored record, in batches, each with the version a conditional write must match. A value
   * that cannot be decoded comes as an {@link InvalidStoredRecord}, never as a thrown error.
   */
  readBatches(options?: ReadBatchesOptions): AsyncIterable<StoreEntry[]>;
  /**
   * Applies each write on its own, only if its record is unchanged since it was read (a change by
   * anyone, including code that does not use this library, must be detected). Resolves one result
   * per write, in order, saying exactly what was applied. Rejects (with `STORE_UNAVAILABLE`, or
   * `LOCK_LOST` when a fence no longer holds) only when the batch could not be attempted, so that
   * nothing of it was applied.
   */
  writeBatch(writes: readonly ConditionalWrite[], options?: WriteBatchOptions): Promise<WriteResult[]>;
}

/**
 * Where the backend keeps its instance records: what the reconciler needs ({@link ReconcilerStore})
 * plus the methods the application uses. The built-in stores implement all of it, and every
 * implementation must pass the store contract suite exported from `novita-reconciler/testing`.
 */
export interface InstanceStore extends ReconcilerStore {
  /** The record with this id, or `null`. Throws `RECORD_INVALID` when the stored value cannot be decoded. */
  get(id: string): Promise<InstanceRecord | null>;
  /** Creates or replaces a record unconditionally. Throws `RECORD_INVALID` for an invalid record. */
  put(record: InstanceRecord): Promise<void>;
  /** Deletes a record; resolves whether it existed. */
  delete(id: string): Promise<boolean>;
  /** Every valid record (invalid stored values are left out). */
  list(): Promise<InstanceRecord[]>;
  /** The number of stored records, valid or not. */
  count(): Promise<number>;
  /** Releases what the store owns (a connection it opened itself). Optional. */
  close?(): Promise<void>;
}

/**
 * What a store's `writeBatch` had done when it rejected after attempting part of the batch. A store
 * that can fail midway puts these two fields on its error (the Redis store does); read them with
 * {@link writeBatchProgress}. The batch splits into three parts, in order: the writes settled (each
 * with its result; an `ok` one was applied), the writes in doubt, then writes that were not attempted.
 * An error without them means, by the {@link ReconcilerStore.writeBatch} contract, that nothing of the
 * batch was applied.
 */
export interface WriteBatchProgress {
  /** The results of the first `writeResults.length` writes of the batch, in order. */
  readonly writeResults: readonly WriteResult[];
  /**
   * How many writes right after those may or may not have been applied (an answer that never came, or a
   * failure that could not be undone). `0` when the failure proves the rest wrote nothing.
   */
  readonly writesInDoubt: number;
}

/** The progress a store's rejected `writeBatch` left on its error, or `undefined` when it left none. */
export function writeBatchProgress(error: unknown): WriteBatchProgress | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { writeResults, writesInDoubt } = error as Partial<WriteBatchProgress>;
  if (!Array.isArray(writeResults) || typeof writesInDoubt !== 'number' || !Number.isInteger(writesInDoubt) || writesInDoubt < 0)
    return undefined;
  return { writeResults, writesInDoubt };
}

export type { DestructiveHold } from '../../report.js';

/** What a run asks of {@link DestructiveGuardStore.reserveDestructive}. */
export interface DestructiveReservationRequest {
  /** The run asking; a reservation is kept under it (and released under it). */
  runId: string;
  /**
   * The records the run would mark terminated or remove, in the order it takes them. The store grants a
   * prefix of them: none while the hold is set, else as many as the budget has left (all without one).
   */
  ids: readonly string[];
  /** The window budget (`policy.destructiveBudget`, in ms); absent when the policy sets none: only the hold is read. */
  budget?: { max: number; windowMs: number };
  /** The reconciler's time (its `clock`): the window ends here. */
  now: Date;
  /** `false` for a dry run: the store answers exactly as it would, and writes nothing. */
  reserve: boolean;
  /**
   * Records the run itself held back before asking (its liveness check, its per-run cap), each with the
   * guard that held it (`liveness`, `cap`): for a store that keeps an audit trail, beside those the
   * store holds back itself (`window`, `hold`).
   */
  heldBack?: readonly { id: string; guard: string }[];
}

/** The store's answer to {@link DestructiveGuardStore.reserveDestructive}, read and (unless a dry run) reserved in one atomic step. */
export interface DestructiveReservation {
  /** The hold, when set: then nothing is granted. */
  hold: DestructiveHold | null;
  /** Destructive actions reserved within the window before this call (`0` without a budget). */
  usedBefore: number;
  /** How many of the request's `ids`, from the first, may be ended (and, unless a dry run, are now reserved). */
  granted: number;
}

/** What {@link DestructiveGuardStore.releaseDestructive} gives back: reservations of writes that wrote nothing. */
export interface DestructiveRelease {
  /** The run that reserved them. */
  runId: string;
  /** The records whose reservations are released. */
  ids: readonly string[];
}

/** Options of the guard calls. */
export interface DestructiveGuardCallOptions {
  /** Aborted when the run stops; the store may then reject. */
  signal?: AbortSignal;
}

/**
 * Optional store capability: the guards a person and the policy set on destructive actions, kept next to
 * the records so that every replica and every restart sees the same ones: the window budget
 * (`policy.destructiveBudget`) and the hold switch. A store has all five methods or none; the memory
 * store keeps them in its process, the Redis store in Redis, shared by every replica on its prefix.
 * Without them, `createReconciler` refuses `policy.destructiveBudget` with a `ConfigError`, and a run
 * sees no hold (the hold functions refuse such a store).
 *
 * `reserveDestructive` must be atomic: two runs reserving at once never get more than `budget.max`
 * together. A store may prune reservations older than the window (seen from the latest `now`).
 */
export interface DestructiveGuardStore {
  /**
   * In one atomic step: reads the hold and the window's use (reservations whose time is after
   * `now - windowMs`), grants a prefix of `ids`, and, when `reserve`, keeps a reservation for each
   * granted id at `now`. Called once per run, after every confirmation and liveness answer, right before
   * the destructive writes are sent (also with no ids: the run reports the hold and the window).
   */
  reserveDestructive(request: DestructiveReservationRequest, options?: DestructiveGuardCallOptions): Promise<DestructiveReservation>;
  /**
   * Releases the reservations of writes that wrote nothing (answered `conflict` or `missing`, or never
   * sent); a write whose answer never came (`unknown`) keeps its reservation. Releasing an id that holds
   * no reservation does nothing.
   */
  releaseDestructive(release: DestructiveRelease, options?: DestructiveGuardCallOptions): Promise<void>;
  /** The hold, or `null` when none is set. */
  readHold(options?: DestructiveGuardCallOptions): Promise<DestructiveHold | null>;
  /** Sets the hold (replacing one already set). */
  setHold(hold: DestructiveHold, options?: DestructiveGuardCallOptions): Promise<void>;
  /** Clears the hold; resolves the one that was set, or `null`. `by` says who released it (for an audit trail). */
  clearHold(options?: DestructiveGuardCallOptions & { by?: string }): Promise<DestructiveHold | null>;
}

/** The methods of {@link DestructiveGuardStore}, all of which a store that keeps the guards has. */
export const DESTRUCTIVE_GUARD_METHODS = ['reserveDestructive', 'releaseDestructive', 'readHold', 'setHold', 'clearHold'] as const;

/**
 * Whether a store keeps the destructive guards: `true` with all of {@link DESTRUCTIVE_GUARD_METHODS},
 * `false` with none. A store with only some of them is a mistake: this throws a `ConfigError` naming
 * the first one missing (`store.clearHold`), since half a guard would be ignored in silence.
 */
export function keepsDestructiveGuards(store: object, field = 'store'): store is DestructiveGuardStore {
  const present = DESTRUCTIVE_GUARD_METHODS.filter((method) => typeof (store as Record<string, unknown>)[method] === 'function');
  if (present.length === 0) return false;
  const missing = DESTRUCTIVE_GUARD_METHODS.find((method) => !present.includes(method));
  if (missing !== undefined)
    throw new ConfigError(
      `${field}.${missing}`,
      `must be a function: the store has ${present.join(', ')}, and a store keeps the destructive guards with all of ${DESTRUCTIVE_GUARD_METHODS.join(', ')} or none`,
    );
  return true;
}
