import type { ReconcilerError } from '../errors.js';
import type { SafetyReport, SyncAction, SyncReport, SyncRunOptions } from '../report.js';

/** A log method in pino's shape: an object of fields first, then the message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * A pino-compatible logger (pino, or anything with the same `info(obj, msg)` shape). Missing
 * methods are skipped. The reconciler logs one summary line per run, one line per obsolete action,
 * and errors; never credentials.
 */
export interface ReconcilerLogger {
  debug?: LogMethod;
  info?: LogMethod;
  warn?: LogMethod;
  error?: LogMethod;
}

/** Emitted when a run starts (after the lock, before Novita is read). */
export interface RunStartedEvent {
  type: 'run-started';
  runId: string;
  options: SyncRunOptions;
  timestamp: string;
}

/** Emitted once per action, after it was applied (or planned, in a dry run). */
export interface ActionEvent {
  type: 'action';
  runId: string;
  dryRun: boolean;
  action: SyncAction;
}

/** Emitted when the safety limit trips (whether or not `forceSync` overrode it). */
export interface SafetyTrippedEvent {
  type: 'safety-tripped';
  runId: string;
  safety: SafetyReport;
}

/** Emitted when a run resolves. */
export interface RunFinishedEvent {
  type: 'run-finished';
  runId: string;
  report: SyncReport;
}

/** Emitted when a run rejects; `report` says what it had applied, when it got that far. */
export interface RunFailedEvent {
  type: 'run-failed';
  runId: string;
  error: ReconcilerError;
  report?: SyncReport;
}

/** Which step of a run a {@link ProgressEvent} is about. */
export type ProgressPhase = 'listing' | 'reading' | 'confirming' | 'writing';

/**
 * Emitted while a run works, so that a long run can be shown as it goes: pages read of total
 * (`listing`), records read (`reading`, no total), confirmations done of total (`confirming`), writes
 * applied of total (`writing`). Emitted at most about every 100 ms per phase, and always at a phase's end.
 */
export interface ProgressEvent {
  type: 'progress';
  runId: string;
  phase: ProgressPhase;
  /** Units done so far in this phase: pages, records, confirmations or writes. */
  done: number;
  /** Units this phase needs, when known. */
  total?: number;
}

/** Emitted when a listing walk saw Novita's listing shift between page reads and starts again. */
export interface ListingRestartedEvent {
  type: 'listing-restarted';
  runId: string;
  /** The walk that was thrown away (1 for the first). */
  walk: number;
  reason: string;
}

/**
 * Emitted by `start()`'s schedule when a turn is skipped because another replica sharing the lock
 * completed a real run within the interval.
 */
export interface RunSkippedEvent {
  type: 'run-skipped';
  reason: 'recent-run-elsewhere';
  /** When the last real run under the lock completed, ISO 8601. */
  lastCompletedRun: string;
  timestamp: string;
}

/** Every event `onEvent` receives. */
export type ReconcilerEvent =
  | RunStartedEvent
  | ActionEvent
  | SafetyTrippedEvent
  | RunFinishedEvent
  | RunFailedEvent
  | ProgressEvent
  | ListingRestartedEvent
  | RunSkippedEvent;
