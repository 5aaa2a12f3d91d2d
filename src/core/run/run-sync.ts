/**
 * One reconcile run, the only code that sequences I/O. In order:
 * takeLease -> readListing (with readRecords overlapping it) -> plan -> confirmCandidates -> plan
 * again -> applyWrites -> buildReport -> recordCompletion -> releaseLease.
 * The decisions are the pure planner's (plan/planner.ts). Every call to the world is raced against the
 * run's signal (the caller's, joined with the lease's `lost`) and a deadline (deadline.ts), so that a
 * run always ends.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, ReconcilerError, isReconcilerError } from '../../errors.js';
import { planSync, settlePending, type Plan, type PlanInput, type PlannedAction } from '../plan/planner.js';
import type { ActionOutcome, ConfirmationReport, SyncReport, SyncRunOptions } from '../../report.js';
import { createWriter, plannedActions } from './apply-writes.js';
import { buildReport, NO_CONFIRMATIONS, summaryFields } from './build-report.js';
import { confirmCandidates } from './confirm-candidates.js';
import { recordCompletion, releaseLease, takeLease } from './lease.js';
import { createProgress } from './progress.js';
import { readListingAndRecords } from './read-inputs.js';
import { callbacksForRun } from './run-callbacks.js';
import { throwIfAborted, type Run } from './run.js';
import { describeError, type RunContext, type RunResult } from './run-context.js';

export type { RunContext, RunResult } from './run-context.js';
export { describeError } from './run-context.js';
export { readView } from './read-inputs.js';

/** One run. Resolves its report, or rejects with a classified error carrying what it applied (`error.report`). */
export async function runSync(context: RunContext, runOptions: SyncRunOptions, signal: AbortSignal | undefined): Promise<RunResult> {
  const runId = randomUUID();
  const startedAt = context.clock();
  const startedMs = Date.now();
  if (signal?.aborted) throw new AbortedError('sync aborted before it started', { cause: signal.reason });

  const lease = await takeLease(context, signal);
  const run: Run = {
    context,
    id: runId,
    signal: lease ? AbortSignal.any(signal ? [signal, lease.lost] : [lease.lost]) : signal,
    lease,
    progress: createProgress(runId, context.emit),
  };
  let partial: SyncReport | undefined;
  try {
    context.emit({ type: 'run-started', runId, options: runOptions, timestamp: startedAt.toISOString() });
    const { listing, entries } = await readListingAndRecords(run);
    if (!listing.complete) {
      const reason = listing.reason ?? 'not proven complete';
      const fields = { runId, reason, walks: listing.walks, total: listing.total, instances: listing.instances.length };
      context.log('warn', fields, 'Novita listing unproven: absence from it is acted on only with a proof per record');
      context.emit({ type: 'listing-unproven', ...fields });
    }
    const callbacks = callbacksForRun(context.scope, context.adoptRecord);
    const planInput: PlanInput = {
      entries,
      instances: listing.instances,
      listingComplete: listing.complete,
      policy: context.policy,
      now: context.clock(),
      handleObsoleteInstances: runOptions.handleObsoleteInstances,
      forceSync: runOptions.forceSync,
      adoptRecord: callbacks.adoptRecord,
      ...(callbacks.scope ? { scope: callbacks.scope } : {}),
    };
    const reportOf = (reported: Plan, outcomeOf: (action: PlannedAction) => ActionOutcome): SyncReport => {
      const planned = plannedActions(reported, () => true);
      const outcomes = new Map(planned.map((action) => [action, outcomeOf(action)] as const));
      return buildReport({
        runId,
        plan: reported,
        planned,
        outcomes,
        runOptions,
        instances: listing.instances.length,
        listing: {
          complete: listing.complete,
          ...(listing.reason === undefined ? {} : { reason: listing.reason }),
          walks: listing.walks,
          total: listing.total,
        },
        confirmations,
        startedAt,
        durationMs: Date.now() - startedMs,
      });
    };
    let plan = planSync(planInput);
    let confirmations: ConfirmationReport = NO_CONFIRMATIONS;
    // The writes no confirmation can change start at once and run while the confirmations are asked.
    // Those decisions are final: the confirmed plan only settles the records left pending, so each
    // record is decided once and the report is built from the very actions the writer was handed.
    const writer = runOptions.dryRun ? undefined : createWriter(run);
    if (plan.toConfirm.length > 0) {
      writer?.enqueue(plannedActions(plan, (decision) => decision.category !== 'pending'));
      let confirmed: Awaited<ReturnType<typeof confirmStep>>;
      try {
        // A failed early write fails the run: the confirmations stop with it.
        const confirmSignal = writer ? (run.signal ? AbortSignal.any([run.signal, writer.failed]) : writer.failed) : run.signal;
        confirmed = await confirmStep({ ...run, signal: confirmSignal }, plan.toConfirm);
      } catch (error) {
        await writer?.settled();
        partial = writer ? reportOf(plan, writer.outcomeOf) : undefined;
        throw writer?.failure ?? error;
      }
      confirmations = confirmed.report;
      const first = plan;
      plan = settlePending(first, planSync({ ...planInput, confirmations: confirmed.answers }));
      writer?.enqueue(
        plan.decisions.flatMap((decision, index) =>
          decision.action && first.decisions[index]?.category === 'pending' ? [decision.action] : [],
        ),
      );
    } else {
      writer?.enqueue(plannedActions(plan, () => true));
    }
    if (plan.safety.tripped) {
      context.log(
        'error',
        { runId, ...plan.safety },
        plan.safety.overridden
          ? 'Sync safety limit tripped; forceSync overrode it'
          : 'Sync safety limit tripped; obsolete handling and retention held back',
      );
      context.emit({ type: 'safety-tripped', runId, safety: plan.safety });
    }

    const finalPlan = plan;
    const finish = (outcomeOf: (action: PlannedAction) => ActionOutcome): SyncReport => reportOf(finalPlan, outcomeOf);
    if (writer) {
      try {
        await writer.done();
      } catch (error) {
        partial = finish(writer.outcomeOf);
        throw error;
      }
    }
    const report = finish(writer ? writer.outcomeOf : () => 'planned');
    announceActions(context, report);
    if (!runOptions.dryRun) await recordCompletion(run);
    context.log('info', summaryFields(report), 'Instance sync completed');
    context.emit({ type: 'run-finished', runId, report });
    return { report, instances: listing.instances };
  } catch (error) {
    // Store and Novita failures arrive classified; anything else is a bug or a throwing callback
    // (adoptRecord, a scope predicate): never pass it off as a store or Novita outage.
    const failure = isReconcilerError(error)
      ? (error as ReconcilerError)
      : new ReconcilerError('INTERNAL_ERROR', `sync failed unexpectedly: ${describeError(error)}`, { cause: error });
    if (partial) {
      failure.report = partial;
      // What a failed run did apply is announced like any action: "where did my record go" has an answer.
      announceActions(context, partial);
    }
    const applied = partial?.actions.filter((action) => action.outcome === 'applied').length ?? 0;
    context.log(
      'error',
      { runId, code: failure.code, err: failure.message, applied, unknown: partial?.unknown ?? 0 },
      'Instance sync failed',
    );
    context.emit({ type: 'run-failed', runId, error: failure, ...(partial ? { report: partial } : {}) });
    throw failure;
  } finally {
    await releaseLease(run);
  }
}

async function confirmStep(run: Run, ids: readonly string[]) {
  const { context, progress } = run;
  try {
    return await confirmCandidates(context.novitaClient, ids, context.confirm, run.signal, {
      onAnswer: (done, total) => progress.update('confirming', done, total),
      onFailure: (novitaInstanceId, message) =>
        context.log(
          'warn',
          { novitaInstanceId, err: message },
          'Could not confirm an obsolete candidate with Novita; left for the next run',
        ),
      onStopped: (stoppedBy, remaining) =>
        context.log(
          'warn',
          { stoppedBy, remaining, ...context.confirm },
          stoppedBy === 'budget'
            ? 'Confirmation budget used up; the remaining candidates are left for the next run'
            : 'Confirmations keep failing (circuit breaker); the remaining candidates are left for the next run',
        ),
    });
  } catch (error) {
    throwIfAborted(run);
    throw error;
  } finally {
    progress.end('confirming');
  }
}

/** Logs each obsolete action and emits each action that was planned or attempted (not the ones a failed run never sent). */
function announceActions(context: RunContext, report: SyncReport): void {
  for (const action of report.actions) {
    if (action.outcome === 'not-applied') continue;
    if (action.kind === 'markTerminated' || action.kind === 'remove') {
      context.log(
        'info',
        {
          runId: report.runId,
          recordId: action.recordId,
          novitaInstanceId: action.novitaInstanceId,
          lastStatus: action.from,
          novitaStatus: action.novitaStatus,
          reason: action.reason,
          outcome: action.outcome,
          dryRun: report.dryRun,
        },
        action.kind === 'remove' ? 'Obsolete instance record removed' : 'Obsolete instance record marked terminated',
      );
    }
    context.emit({ type: 'action', runId: report.runId, dryRun: report.dryRun, action });
  }
}
