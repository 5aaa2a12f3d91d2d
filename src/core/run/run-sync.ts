/**
 * One reconcile run, the only code that sequences I/O. In order:
 * takeLease -> readListing (with readRecords overlapping it) -> plan -> confirmCandidates -> plan
 * again -> ages of the orphans the listing gave none -> guardDestructive (liveness, cap, hold, window) ->
 * applyWrites -> endOrphans (policy.novitaOnly 'stop' | 'delete') -> buildReport -> stuck and
 * instance-action events -> recordCompletion -> releaseLease. Writes that end nothing
 * are sent from the first plan on; destructive ones only after the guards.
 * The decisions are the pure planner's (plan/planner.ts). Every call to the world is raced against the
 * run's signal (the caller's, joined with the lease's `lost`) and a deadline (deadline.ts), so that a
 * run always ends.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, ReconcilerError, isReconcilerError } from '../../errors.js';
import { planSync, settleAges, settlePending, type Plan, type PlanInput, type PlannedAction } from '../plan/planner.js';
import type { NovitaInstance } from '../ports/novita-client.js';
import type {
  ActionOutcome,
  ConfirmationReport,
  InstanceAction,
  LimitsReport,
  LivenessReport,
  SyncReport,
  SyncRunOptions,
} from '../../report.js';
import { createWriter, plannedActions } from './apply-writes.js';
import { buildReport, NO_CONFIRMATIONS, summaryFields } from './build-report.js';
import { confirmCandidates } from './confirm-candidates.js';
import { recordCompletion, releaseLease, takeLease } from './lease.js';
import { createProgress } from './progress.js';
import { readListingAndRecords } from './read-inputs.js';
import { callbacksForRun } from './run-callbacks.js';
import { endOrphans } from './end-orphans.js';
import { emptyLimits, guardDestructive, NO_LIVENESS, releaseUnwritten, type GuardedPlan } from './guard-destructive.js';
import { throwIfAborted, type Run } from './run.js';
import { describeError, type RunContext, type RunResult } from './run-context.js';

export type { RunContext, RunResult } from './run-context.js';
export { describeError } from './run-context.js';
export { readView } from './read-inputs.js';

/** One run. Resolves its report, or rejects with a classified error carrying what it applied (`error.report`). */
export async function runSync(
  context: RunContext,
  runOptions: SyncRunOptions,
  signal: AbortSignal | undefined,
  /** `false` for the sync that `listInstances({ syncLocalState })` runs: a GET never ends an instance. */
  mayEndOrphans = true,
): Promise<RunResult> {
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
    const callbacks = callbacksForRun(
      context.scope,
      context.adoptRecord,
      context.livenessCheck ? { check: context.livenessCheck, timeoutMs: context.livenessTimeoutMs } : undefined,
      context.priceOf,
      (instance, problem) =>
        context.log('warn', { runId, novitaInstanceId: instance.id, err: problem }, 'No price for a Novita-only instance'),
    );
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
      ...(callbacks.priceOf ? { priceOf: callbacks.priceOf } : {}),
    };
    let limits = emptyLimits(run);
    const instanceActions: InstanceAction[] = [];
    let liveness: LivenessReport = NO_LIVENESS;
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
        limits,
        liveness,
        instanceActions,
        startedAt,
        durationMs: Date.now() - startedMs,
      });
    };
    let plan = planSync(planInput);
    let confirmations: ConfirmationReport = NO_CONFIRMATIONS;
    // The writes that end nothing start at once and run while the confirmations are asked. Those
    // decisions are final: the confirmed plan only settles the records left pending, so each record is
    // decided once and the report is built from the very actions the writer was handed. Destructive
    // writes are never sent early: they wait for every confirmation and liveness answer, then the limits.
    const writer = runOptions.dryRun ? undefined : createWriter(run);
    // A failed early write fails the run: the calls to Novita stop with it.
    const callSignal = writer ? (run.signal ? AbortSignal.any([run.signal, writer.failed]) : writer.failed) : run.signal;
    const confirmStartedMs = Date.now();
    writer?.enqueue(plannedActions(plan, (decision) => decision.category !== 'pending' && !decision.action?.destructive));
    if (plan.toConfirm.length > 0) {
      let confirmed: Awaited<ReturnType<typeof confirmStep>>;
      try {
        confirmed = await confirmStep({ ...run, signal: callSignal }, plan.toConfirm);
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
          decision.action && !decision.action.destructive && first.decisions[index]?.category === 'pending' ? [decision.action] : [],
        ),
      );
    }
    if (plan.toAge.length > 0) {
      // Within what is left of the run's confirmation budget: a report's ages never hold a run up longer.
      const budgetMs = context.confirm.budgetMs - (Date.now() - confirmStartedMs);
      let details: Map<string, NovitaInstance | null>;
      try {
        details = await ageStep({ ...run, signal: callSignal }, plan.toAge, budgetMs);
      } catch (error) {
        await writer?.settled();
        partial = writer ? reportOf(plan, writer.outcomeOf) : undefined;
        throw writer?.failure ?? error;
      }
      plan = settleAges(plan, planSync({ ...planInput, instanceDetails: details }));
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

    let guarded: GuardedPlan;
    try {
      // A failed early write fails the run: the liveness checks stop with it.
      const guardSignal = writer ? (run.signal ? AbortSignal.any([run.signal, writer.failed]) : writer.failed) : run.signal;
      guarded = await guardDestructive({ ...run, signal: guardSignal }, plan, entries, {
        dryRun: runOptions.dryRun,
        livenessCheck: callbacks.livenessCheck,
        guardStore: context.guardStore,
      });
    } catch (error) {
      await writer?.settled();
      partial = writer ? reportOf(plan, writer.outcomeOf) : undefined;
      throw writer?.failure ?? error;
    }
    plan = guarded.plan;
    limits = guarded.limits;
    liveness = guarded.liveness;
    announceLimits(context, runId, runOptions.dryRun, limits, liveness);
    writer?.enqueue(guarded.granted);
    const releaseUnwrittenReservations = async (): Promise<void> => {
      if (!writer || !guarded.reserved || !context.guardStore) return;
      await writer.settled();
      const released = await releaseUnwritten(run, context.guardStore, guarded.granted, writer.outcomeOf);
      if (limits.window) limits = { ...limits, window: { ...limits.window, usedByRun: limits.window.usedByRun - released } };
    };

    const finalPlan = plan;
    const finish = (outcomeOf: (action: PlannedAction) => ActionOutcome): SyncReport => reportOf(finalPlan, outcomeOf);
    if (writer) {
      try {
        await writer.done();
      } catch (error) {
        await releaseUnwrittenReservations();
        partial = finish(writer.outcomeOf);
        throw error;
      }
      await releaseUnwrittenReservations();
    }
    // Orphans last, once the records are written: never from a GET, nor a run told to leave obsolete things alone.
    if (mayEndOrphans && runOptions.handleObsoleteInstances && context.actionStore) {
      try {
        await endOrphans(run, {
          plan: finalPlan,
          instances: listing.instances,
          entries,
          scope: callbacks.scope,
          dryRun: runOptions.dryRun,
          recordsGranted: guarded.granted.length,
          actionStore: context.actionStore,
          guardStore: context.guardStore,
          actions: instanceActions,
        });
      } catch (error) {
        partial = finish(writer ? writer.outcomeOf : () => 'planned');
        throw error;
      }
    }
    const report = finish(writer ? writer.outcomeOf : () => 'planned');
    announceActions(context, report);
    announceStuck(context, report);
    announceInstanceActions(context, report);
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

/**
 * The ages of owned Novita-only instances the listing gave no `createdAt`: `getInstance` for each,
 * bounded like the confirmations (concurrency, circuit breaker) within `budgetMs`. An answer that never
 * came leaves the age unknown (`null`): a report's detail, never a reason to fail the run.
 */
async function ageStep(run: Run, ids: readonly string[], budgetMs: number): Promise<Map<string, NovitaInstance | null>> {
  const { context } = run;
  const details = new Map<string, NovitaInstance | null>();
  if (budgetMs < 1) {
    context.log(
      'warn',
      { runId: run.id, instances: ids.length },
      'Confirmation budget used up; the ages of Novita-only instances are left unknown',
    );
    return details;
  }
  try {
    const { answers } = await confirmCandidates(context.novitaClient, ids, { ...context.confirm, budgetMs }, run.signal, {
      onFailure: (novitaInstanceId, message) =>
        context.log('warn', { runId: run.id, novitaInstanceId, err: message }, 'Could not read the age of a Novita-only instance'),
    });
    for (const [id, answer] of answers) {
      if (answer.kind === 'found') details.set(id, answer.instance);
      else if (answer.kind === 'not-found') details.set(id, null);
    }
  } catch (error) {
    throwIfAborted(run);
    throw error;
  }
  return details;
}

/** Logs and emits each call to end an orphan (planned, sent, failed or held back). */
function announceInstanceActions(context: RunContext, report: SyncReport): void {
  for (const action of report.instanceActions) {
    const level = action.outcome === 'failed' ? 'error' : action.outcome === 'skipped' ? 'warn' : 'info';
    context.log(
      level,
      { runId: report.runId, dryRun: report.dryRun, ...action },
      `Orphan ${action.kind} ${action.outcome}${action.skipped ? ` (${action.skipped})` : ''}: ${action.novitaInstanceId}, ${action.reason}`,
    );
    context.emit({ type: 'instance-action', runId: report.runId, dryRun: report.dryRun, action });
  }
}

/** Logs and emits each record stuck in a transition (report only). */
function announceStuck(context: RunContext, report: SyncReport): void {
  for (const stuck of report.stuck) {
    context.log(
      'warn',
      { runId: report.runId, ...stuck, dryRun: report.dryRun },
      `Instance stuck in a transition: Novita status ${stuck.status} for ${stuck.sinceMinutes} minutes`,
    );
    context.emit({ type: 'instance-stuck', runId: report.runId, dryRun: report.dryRun, stuck });
  }
}

/** Says which limit held what back (a warn line and a `destructive-limit-reached` event), and what the liveness check kept. */
function announceLimits(context: RunContext, runId: string, dryRun: boolean, limits: LimitsReport, liveness: LivenessReport): void {
  const { heldBack } = limits;
  if (heldBack.cap + heldBack.window + heldBack.hold > 0) {
    const parts: string[] = [];
    if (heldBack.cap > 0) parts.push(`the per-run cap of ${limits.maxDestructivePerRun} held back ${heldBack.cap}`);
    if (heldBack.hold > 0)
      parts.push(
        `the hold set by ${limits.hold?.by || 'someone'} at ${limits.hold?.at ?? '?'} (${limits.hold?.reason || 'no reason given'}) held back ${heldBack.hold}`,
      );
    if (heldBack.window > 0 && limits.window)
      parts.push(
        `the window budget of ${limits.window.max} per ${limits.window.windowMinutes} min (${limits.window.usedBefore} used before this run) held back ${heldBack.window}`,
      );
    context.log(
      'warn',
      {
        runId,
        dryRun,
        wanted: limits.wanted,
        heldBack,
        maxDestructivePerRun: limits.maxDestructivePerRun,
        window: limits.window,
        hold: limits.hold,
      },
      `Destructive limit reached: ${parts.join('; ')}; held back for a later run`,
    );
    context.emit({ type: 'destructive-limit-reached', runId, dryRun, limits });
  }
  if (liveness.kept.length > 0)
    context.log(
      'warn',
      { runId, dryRun, checked: liveness.checked, alive: liveness.alive, failed: liveness.failed },
      `livenessCheck kept ${liveness.kept.length} of ${liveness.checked} records this run (${liveness.alive} alive, ${liveness.failed} failed)`,
    );
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
