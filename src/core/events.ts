import type { ReconcilerError } from '../errors.js';
import type { SafetyReport, SyncAction, SyncReport, SyncRunOptions } from './report.js';

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

/** Every event `onEvent` receives. */
export type ReconcilerEvent = RunStartedEvent | ActionEvent | SafetyTrippedEvent | RunFinishedEvent | RunFailedEvent;
