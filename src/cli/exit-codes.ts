/**
 * The exit codes of `novita-reconcile`.
 * `OK` 0, `RUN_FAILED` 1 (Novita, the store, lock lost, interrupted), `USAGE` 2 (bad flag, environment
 * variable or `--config` field, named in the message), `SYNC_IN_PROGRESS` 3 (another run holds the lock),
 * `SAFETY_TRIPPED` 4 (the safety limit held back obsolete handling; rerun with `--force` once Novita is
 * checked), `ACTIONS_FOUND` 5 (only with `--detailed-exitcode`: the run completed and found actions; 1, 3
 * and 4 take precedence).
 */
export const EXIT_CODES = Object.freeze({
  OK: 0,
  RUN_FAILED: 1,
  USAGE: 2,
  SYNC_IN_PROGRESS: 3,
  SAFETY_TRIPPED: 4,
  ACTIONS_FOUND: 5,
} as const);
