/**
 * The reconciler's log lines on stderr, chosen by level and by one field, never by their wording:
 * - `warn`: always shown (a candidate Novita could not confirm, a listing that shifted, a lock release
 *   that failed): these are what an operator acts on and the summary does not say.
 * - `info` and `error` of a run (they carry its `runId`: its summary line, its obsolete actions, its
 *   safety trip, its failure): not shown, because the command prints that run's summary, safety
 *   explanation or failure itself, from the report or the error.
 * - `info` and `error` without a `runId` (the schedule started, skipped a turn, a scheduled run failed):
 *   shown, because `watch` has nothing else that says so.
 * - `debug`: never.
 */
import type { ReconcilerLogger } from '../core/events.js';

/** @internal The CLI's logger; `write` receives one line without its newline. */
export function stderrLogger(write: (text: string) => void): ReconcilerLogger {
  const line =
    (level: 'info' | 'warning' | 'error', runLinesShown: boolean) =>
    (fields: Record<string, unknown>, message?: string): void => {
      if (!runLinesShown && typeof fields?.runId === 'string') return;
      let detail: string;
      try {
        detail = JSON.stringify(fields);
      } catch {
        detail = '';
      }
      if (detail === '{}') detail = '';
      write(`${level}: ${message ?? ''} ${detail}`.trimEnd());
    };
  return { info: line('info', false), warn: line('warning', true), error: line('error', false) };
}
