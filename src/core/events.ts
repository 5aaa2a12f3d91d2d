import type { ReconcilerError } from '../errors.js';
import type { InstanceAction, LimitsReport, SafetyReport, StuckRecord, SyncAction, SyncReport, SyncRunOptions } from '../report.js';

/** A log method in pino's shape: an object of fields first, then the message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * A pino-compatible logger (pino, or anything with the same `info(obj, msg)` shape). Missing
 * methods are skipped. The reconciler logs one summary line per run, one line per obsolete action,
 * and errors; never credentials.
 */
export interface ReconcilerLogger {
  /** Accepted so that a pino logger fits as it is; the reconciler writes no debug lines today. */
  debug?: LogMethod;
  /** Each run's summary (`Instance sync completed`), each obsolete action, and the schedule: started, stopped, disabled, or a turn skipped. */
  info?: LogMethod;
  /**
   * Trouble a run or the schedule survives: a listing walk restarted, a confirmation that failed or was
   * cut short, an instance stuck in a transition, a `priceOf` that threw, the lock not released or its last run not read or recorded, an `onEvent` handler that threw.
   */
  warn?: LogMethod;
  /** A failed run (`Instance sync failed` with its code, and the schedule's `Scheduled sync failed`) and a tripped safety limit. */
  error?: LogMethod;
}

/** Emitted when a run starts (after the lock, before Novita is read). */
export interface RunStartedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'run-started';
  /** The run's id, as on its report (`report.runId`) and on every other event of the run. */
  runId: string;
  /** The run's options, defaults filled in (the report's `options`). */
  options: SyncRunOptions;
  /** When the run began (before the lock was taken), ISO 8601, by the reconciler's `clock`: the report's `timestamp`. */
  timestamp: string;
}

/**
 * Emitted once per action that was planned (dry run) or attempted, with its outcome, after the run's
 * writes settled and before `run-finished`; a failed run emits those of its `error.report` before
 * `run-failed`. Writes a failed run never sent (`not-applied`) are not emitted.
 */
export interface ActionEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'action';
  /** The run the action belongs to. */
  runId: string;
  /** Whether the run is a dry run: the action's outcome is then `planned` and nothing was written. */
  dryRun: boolean;
  /** The action as the report lists it, with its outcome (`applied`, `conflict`, ...). */
  action: SyncAction;
}

/** Emitted when the safety limit trips (whether or not `forceSync` overrode it). */
export interface SafetyTrippedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'safety-tripped';
  /** The run whose candidates tripped the limit. */
  runId: string;
  /** The counts it tripped on, and whether `forceSync` overrode it (`overridden`): the report's `safety`. */
  safety: SafetyReport;
}

/**
 * Emitted once per record whose Novita status has been transitional (`creating`, `pulling`, `starting`,
 * `stopping`, `migrating`, ...) for longer than `policy.stuckAfterMinutes`: the report's `stuck` entries,
 * after the run's `action` events and before `run-finished`, in dry runs too. Report only: the instance
 * is likely failing, and billing; nothing is done to it.
 */
export interface InstanceStuckEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'instance-stuck';
  /** The run that saw it. */
  runId: string;
  /** Whether the run is a dry run. */
  dryRun: boolean;
  /** The record, its instance, Novita's status and since when (the report's `stuck` entry). */
  stuck: StuckRecord;
}

/**
 * Emitted once per entry of the report's `instanceActions` (a call to end an orphan: planned, applied,
 * failed or held back), after the run's `action` events and before `run-finished`, in dry runs too.
 */
export interface InstanceActionEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'instance-action';
  /** The run. */
  runId: string;
  /** Whether the run is a dry run (nothing was sent). */
  dryRun: boolean;
  /** The call and what came of it: the report's entry. */
  action: InstanceAction;
}

/**
 * Emitted when a limit on destructive actions (the per-run cap, the hold, the window budget) held back
 * at least one record this run (dry runs too: they hold back exactly what the real run would). Emitted
 * right before the destructive writes are sent, with a warn log line saying which limit held what.
 */
export interface DestructiveLimitReachedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'destructive-limit-reached';
  /** The run whose destructive actions were held back. */
  runId: string;
  /** Whether the run is a dry run (nothing reserved, nothing written). */
  dryRun: boolean;
  /** The limits, how many each held back (`heldBack`) and which records (`records`): the report's `limits`. */
  limits: LimitsReport;
}

/** Emitted when a run resolves, after its `action` events. */
export interface RunFinishedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'run-finished';
  /** The run that finished. */
  runId: string;
  /** The report the run's `sync()` calls resolve (the same object). */
  report: SyncReport;
}

/**
 * Emitted when a run that started (`run-started` was emitted) rejects. A call refused before its run
 * starts emits nothing: the lock held elsewhere (`SYNC_IN_PROGRESS`), the lock call failing, or a
 * signal aborted before or while the lock was taken.
 */
export interface RunFailedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'run-failed';
  /** The run that failed. */
  runId: string;
  /**
   * The error the run rejects with: a store or Novita failure, `ABORTED`, `LOCK_LOST`, or
   * `INTERNAL_ERROR` wrapping anything unexpected (a bug, a throwing `adoptRecord` or `scope`).
   */
  error: ReconcilerError;
  /**
   * What the run had applied (`error.report`): present only when a real (not dry) run failed during its
   * confirmations or its writes; absent for a dry run and for a failure before (the listing, the
   * records, planning).
   */
  report?: SyncReport;
}

/** Which step of a run a {@link ProgressEvent} is about. */
export type ProgressPhase = 'listing' | 'reading' | 'confirming' | 'writing';

/**
 * Emitted while a run works, so that a long run can be shown as it goes: pages read of total
 * (`listing`), records read (`reading`, no total), confirmations answered of total (`confirming`), writes
 * the store answered of total (`writing`, conflicts included). Emitted at most about every 100 ms per
 * phase, and always at a phase's end. The phases overlap: records are read while the listing is, and
 * writes that no confirmation can change are sent while confirmations are asked.
 */
export interface ProgressEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'progress';
  /** The run at work. */
  runId: string;
  /** The step `done` and `total` count: `listing` (pages), `reading` (records), `confirming`, `writing`. */
  phase: ProgressPhase;
  /**
   * Units done so far in this phase: pages, records, confirmations or writes. For `listing` it counts the
   * pages of the current walk, so it starts again after a `listing-restarted`.
   */
  done: number;
  /**
   * Units this phase needs, when known (never for `reading`; for `listing`, once page 1 told Novita's
   * total). The `writing` total grows when the writes decided by the confirmations are added.
   */
  total?: number;
}

/** Emitted when a listing walk saw Novita's listing shift between page reads and starts again. */
export interface ListingRestartedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'listing-restarted';
  /** The run whose listing is read again. */
  runId: string;
  /** The walk that was thrown away (1 for the first). */
  walk: number;
  /** What shifted, for a person, as the client said it: "total changed from 240 to 241 between pages". */
  reason: string;
}

/**
 * Emitted when a run goes on with a listing that is not proven complete (no `total`, still shifting
 * after the last walk, or an empty listing read from a 400 `RESOURCE_NOT_FOUND`): absence from it is
 * acted on only with a proof per record (a confirmation, or the record's `terminationProof`).
 */
export interface ListingUnprovenEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. */
  type: 'listing-unproven';
  /** The run. */
  runId: string;
  /** Why the listing is not proven, for a person. */
  reason: string;
  /** Walks over the pages the listing took. */
  walks: number;
  /** The total Novita announced, `null` when none. */
  total: number | null;
  /** Instances read. */
  instances: number;
}

/**
 * Emitted when a run does not take place because of another replica: `start()`'s schedule skips a turn
 * because a replica sharing the lock completed a real run within the interval (`recent-run-elsewhere`),
 * or a `sync()` finds the lock held by another replica and rejects with `SYNC_IN_PROGRESS`
 * (`lock-held`).
 */
export interface RunSkippedEvent {
  /** Tells this event apart in a {@link ReconcilerEvent}. It carries no `runId`: no run took place. */
  type: 'run-skipped';
  /** Why: a replica completed a real run within the interval, or another replica holds the lock now. */
  reason: 'recent-run-elsewhere' | 'lock-held';
  /** When the last real run under the lock completed, ISO 8601 (for `recent-run-elsewhere` only). */
  lastCompletedRun?: string;
  /** When the turn was skipped, ISO 8601, by the reconciler's `clock`. */
  timestamp: string;
}

/** Every event `onEvent` receives. */
export type ReconcilerEvent =
  | RunStartedEvent
  | ActionEvent
  | SafetyTrippedEvent
  | InstanceStuckEvent
  | InstanceActionEvent
  | DestructiveLimitReachedEvent
  | RunFinishedEvent
  | RunFailedEvent
  | ProgressEvent
  | ListingRestartedEvent
  | ListingUnprovenEvent
  | RunSkippedEvent;
