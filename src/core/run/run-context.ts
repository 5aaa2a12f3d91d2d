/** What every step of a run works with (the reconciler's resolved options), and the run's error helpers. */
import { type ReconcilerError, StoreUnavailableError, isReconcilerError } from '../../errors.js';
import type { ReconcilerEvent, ReconcilerLogger } from '../events.js';
import type { SyncLock } from '../ports/lock.js';
import type { NovitaClient, NovitaInstance } from '../ports/novita-client.js';
import type { SyncScope } from '../plan/planner.js';
import type { SyncPolicy } from '../config/sync-policy.js';
import type { InstanceRecord } from '../record.js';
import type { SyncReport } from '../../report.js';
import type { DestructiveGuardStore, InstanceActionStore, ReconcilerStore } from '../ports/store.js';
import type { LivenessCheckOption } from './run-callbacks.js';
import type { ConfirmLimits } from './confirm-candidates.js';

/**
 * What a run is configured with: the reconciler's options, checked and with their defaults. The
 * facade resolves them once (reconciler-options.ts, whose resolved options extend this); every run
 * reads them through its {@link RunContext}.
 */
export interface RunConfiguration {
  store: ReconcilerStore;
  novitaClient: NovitaClient;
  lock: SyncLock | undefined;
  policy: SyncPolicy;
  clock: () => Date;
  scope: SyncScope | undefined;
  adoptRecord: (instance: NovitaInstance) => InstanceRecord;
  /** The application's price of an instance, USD per hour. */
  priceOf: ((instance: NovitaInstance) => number | undefined) | undefined;
  /** The application's veto on ending a record, when it gave one. */
  livenessCheck: LivenessCheckOption | undefined;
  /** Deadline of one `livenessCheck` answer. */
  livenessTimeoutMs: number;
  /** The store, when it keeps the destructive guards (the hold, the window budget). */
  guardStore: DestructiveGuardStore | undefined;
  /** The store, when it keeps the instance-action trail (`novitaOnly: 'stop' | 'delete'` needs it). */
  actionStore: InstanceActionStore | undefined;
  /** Deadline of one store or lock call. */
  storeTimeoutMs: number;
  /** Deadline of the whole listing (every page and walk). */
  listingTimeoutMs: number;
  readBatchSize: number;
  writeBatchSize: number;
  confirm: ConfirmLimits;
}

/** What a run works with: its configuration, and where it logs and emits. */
export interface RunContext extends RunConfiguration {
  log: (level: keyof ReconcilerLogger, fields: Record<string, unknown>, message: string) => void;
  emit: (event: ReconcilerEvent) => void;
}

/** A run's report together with the listing it used (the merged view needs it). */
export interface RunResult {
  report: SyncReport;
  instances: NovitaInstance[];
}

/** A store failure as `STORE_UNAVAILABLE` (classified errors pass through). */
export function asStoreError(error: unknown, what: string): ReconcilerError {
  if (isReconcilerError(error)) return error;
  return new StoreUnavailableError(`${what}: ${describeError(error)}`, { cause: error });
}

/** A person-readable message of any thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
