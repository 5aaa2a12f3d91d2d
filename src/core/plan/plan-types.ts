/** The planner's input and output types (see planner.ts for what each step decides). */
import type { InstanceRecord } from '../record.js';
import type { ConditionalWrite, StoreEntry } from '../ports/store.js';
import type { NovitaInstance } from '../ports/novita-client.js';
import type { SyncPolicy } from '../config/sync-policy.js';
import type { NovitaOnlyInstance, OrphanSummary, SafetyReport, SkippedCounts, StuckRecord, SyncAction } from '../../report.js';

/** What Novita said when asked about one instance absent from the listing. */
export type Confirmation = { kind: 'found'; instance: NovitaInstance } | { kind: 'not-found' } | { kind: 'error'; message: string };

/** Limits a reconciler to the records and instances it owns. */
export interface SyncScope {
  /** Whether this reconciler owns the record. Records it does not own are never touched. */
  record?: (record: InstanceRecord) => boolean;
  /**
   * Whether this reconciler owns the instance. Instances it does not own are never adopted (nor stopped or
   * deleted); one that no record names is reported with `owned: false`, and is not an orphan.
   */
  instance?: (instance: NovitaInstance) => boolean;
}

/** Everything the planner decides from. */
export interface PlanInput {
  /** Every stored entry, as read (valid or not). */
  entries: readonly StoreEntry[];
  /** The Novita listing: proven complete, or unproven (see {@link PlanInput.listingComplete}). */
  instances: readonly NovitaInstance[];
  /**
   * Whether the listing is proven complete. When it is not, absence from it is never acted on without a
   * proof for that record: `getInstance`'s documented not-found or a gone status (with `confirmObsolete`),
   * or the record's own `terminationProof`; without `confirmObsolete`, those actions are held back
   * (`skipped.unproven`).
   * @default true
   */
  listingComplete?: boolean;
  /** The resolved policy. */
  policy: SyncPolicy;
  /** The time the plan is made at (the planner never reads a clock). */
  now: Date;
  /** `false` refreshes statuses but leaves obsolete records (and retention) alone. */
  handleObsoleteInstances: boolean;
  /** Proceed with obsolete handling even when the safety limit trips. */
  forceSync: boolean;
  /** The records and instances this reconciler owns. */
  scope?: SyncScope;
  /** Builds the record for an adopted instance. */
  adoptRecord: (instance: NovitaInstance) => InstanceRecord;
  /** Answers of `getInstance` for instances absent from the listing, by Novita id. */
  confirmations?: ReadonlyMap<string, Confirmation>;
  /** USD per hour of an instance, or `undefined` when unknown (the application's `priceOf`, made safe and memoised by the run). */
  priceOf?: (instance: NovitaInstance) => number | undefined;
  /**
   * Answers of `getInstance` for owned Novita-only instances whose listing item has no `createdAt`
   * (their age), by Novita id; an id asked without an answer (an error) is absent.
   */
  instanceDetails?: ReadonlyMap<string, NovitaInstance | null>;
}

/** Why a record was left alone: one of the `skipped` counts of the report. */
export type SkipReason = keyof SkippedCounts;

/**
 * Which report category a record lands in, before the writes are applied. `pending` means "waits for
 * a confirmation"; `skipped` comes with a {@link RecordDecision.skipped} reason.
 */
export type PlannedCategory = 'updated' | 'markedTerminated' | 'removed' | 'unchanged' | 'unverified' | 'pending' | 'skipped';

/** A decided action with the write that carries it out. */
export interface PlannedAction extends Omit<SyncAction, 'outcome'> {
  /** Whether the action destroys or hides a record (mark terminated, remove). */
  destructive: boolean;
  /** The conditional write that carries the action out. */
  write: ConditionalWrite;
}

/** The planner's decision for one stored record. */
export interface RecordDecision {
  /** The record's id (the key it is stored under, for an undecodable value). */
  recordId: string;
  /** The report category the record lands in, when its write (if any) is applied. */
  category: PlannedCategory;
  /** Why the record was left alone, when `category` is `skipped`. */
  skipped?: SkipReason;
  /** Whether the record names an instance present in the listing. */
  merged: boolean;
  /** The write this record needs, if any. */
  action?: PlannedAction;
  /** Set when the record's Novita status has been transitional for longer than `stuckAfterMinutes`. */
  stuck?: StuckRecord;
}

/** What the planner returns. */
export interface Plan {
  /** One decision per stored entry, in the order read. */
  decisions: RecordDecision[];
  /** Creations for adopted Novita-only instances. */
  adoptions: PlannedAction[];
  /** Novita-only instances reported (not adopted), owned or not. */
  novitaOnly: NovitaOnlyInstance[];
  /** The owned Novita-only instances, counted and priced. */
  orphans: OrphanSummary;
  /** Owned Novita-only instances whose age the listing does not give: asked with `getInstance`, then planned again. */
  toAge: string[];
  /** Novita-only instances in scope that were ignored or could not be adopted (they count in `totalInstances`). */
  unadoptedNovitaOnly: number;
  /** Novita ids absent from the listing that must be confirmed with `getInstance` before the plan is final. */
  toConfirm: string[];
  /** Whether the safety limit tripped, and on what counts. */
  safety: SafetyReport;
  /** Obsolete candidates found (before the safety limit and confirmation). */
  obsoleteCandidates: number;
}
