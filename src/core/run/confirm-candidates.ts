/**
 * Step 5 of a run: confirm each obsolete candidate absent from the listing with `getInstance`.
 * Bounded concurrency, a circuit breaker (after `failureLimit` failures in a row, Novita is not asked
 * again this run) and an overall time budget; whatever was not confirmed when either stops the step is
 * left `unverified` for the next run. Only the run's own signal makes the step reject.
 */
import { GONE_STATUSES, type NovitaClient } from '../ports/novita-client.js';
import type { Confirmation } from '../plan/planner.js';
import type { ConfirmationReport } from '../../report.js';

/** How the confirmations of one run are bounded. */
export interface ConfirmLimits {
  /** Confirmations in flight at once. */
  concurrency: number;
  /** Failures in a row after which the remaining candidates are left unverified. */
  failureLimit: number;
  /** Milliseconds the whole step may take; then in-flight calls are abandoned and the rest left unverified. */
  budgetMs: number;
}

/** Reports each finished confirmation, for progress and logs. */
export interface ConfirmObserver {
  onAnswer?(done: number, total: number): void;
  onFailure?(novitaInstanceId: string, message: string): void;
  onStopped?(stoppedBy: 'circuit-breaker' | 'budget', remaining: number): void;
}

/** The answers by Novita id, and what the step did. */
export interface ConfirmOutcome {
  answers: Map<string, Confirmation>;
  report: ConfirmationReport;
}

export async function confirmCandidates(
  client: NovitaClient,
  ids: readonly string[],
  limits: ConfirmLimits,
  runSignal: AbortSignal | undefined,
  observer: ConfirmObserver = {},
): Promise<ConfirmOutcome> {
  const answers = new Map<string, Confirmation>();
  const report: ConfirmationReport = { requested: ids.length, gone: 0, alive: 0, failed: 0, notAttempted: 0, stoppedBy: null };
  if (ids.length === 0) return { answers, report };

  // The step's own controller: the breaker and the budget abandon in-flight calls through it.
  const step = new AbortController();
  const onRunAbort = (): void => step.abort(runSignal?.reason);
  runSignal?.addEventListener('abort', onRunAbort, { once: true });
  if (runSignal?.aborted) onRunAbort();
  const stop = (why: 'circuit-breaker' | 'budget'): void => {
    if (report.stoppedBy !== null || step.signal.aborted) return;
    report.stoppedBy = why;
    step.abort(
      new Error(
        why === 'budget' ? `confirmation budget of ${limits.budgetMs} ms used up` : `${limits.failureLimit} confirmations failed in a row`,
      ),
    );
  };
  const budget = setTimeout(() => stop('budget'), limits.budgetMs);
  // One promise that rejects when the step is stopped, raced by every call: no listener per call on the
  // step's signal (at a concurrency of 16 that would be Node's MaxListenersExceededWarning).
  const abandoned = new Promise<never>((_, reject) => {
    step.signal.addEventListener('abort', () => reject(step.signal.reason), { once: true });
  });
  abandoned.catch(() => undefined);

  let next = 0;
  let done = 0;
  let failuresInARow = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length && !step.signal.aborted) {
      const id = ids[next] as string;
      next += 1;
      let answer: Confirmation;
      try {
        const call = client.getInstance(id, { signal: step.signal });
        call.catch(() => undefined); // a call abandoned by the breaker or the budget may still reject later
        const instance = await Promise.race([call, abandoned]);
        answer = instance === null ? { kind: 'not-found' } : { kind: 'found', instance };
        failuresInARow = 0;
      } catch (error) {
        if (runSignal?.aborted) throw error;
        const message = error instanceof Error ? error.message : String(error);
        answer = { kind: 'error', message };
        if (step.signal.aborted) {
          // Abandoned by the breaker or the budget: not a failure of its own.
          report.notAttempted += 1;
          answers.set(id, answer);
          continue;
        }
        report.failed += 1;
        observer.onFailure?.(id, message);
        failuresInARow += 1;
        if (failuresInARow >= limits.failureLimit) stop('circuit-breaker');
      }
      if (answer.kind === 'not-found' || (answer.kind === 'found' && GONE_STATUSES.has(answer.instance.status))) report.gone += 1;
      else if (answer.kind === 'found') report.alive += 1;
      answers.set(id, answer);
      done += 1;
      observer.onAnswer?.(done, ids.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limits.concurrency, ids.length)) }, worker));
  } finally {
    clearTimeout(budget);
    runSignal?.removeEventListener('abort', onRunAbort);
  }
  if (runSignal?.aborted) throw runSignal.reason ?? new Error('aborted');
  const reason =
    report.stoppedBy === 'budget'
      ? `confirmation budget of ${limits.budgetMs} ms used up`
      : `${limits.failureLimit} confirmations failed in a row`;
  for (const id of ids) {
    if (answers.has(id)) continue;
    answers.set(id, { kind: 'error', message: `not asked: ${reason}` });
    report.notAttempted += 1;
  }
  if (report.stoppedBy !== null) observer.onStopped?.(report.stoppedBy, report.notAttempted);
  return { answers, report };
}
