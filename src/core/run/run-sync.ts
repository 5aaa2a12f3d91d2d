/**
 * One reconcile run, the only code that sequences I/O. In order:
 * takeLease -> readListing (with readRecords overlapping it) -> plan -> confirmCandidates -> plan
 * again -> applyWrites -> buildReport -> recordCompletion -> releaseLease.
 * The decisions are the pure planner's (planner.ts). Every call to the world is raced against the
 * run's signal (the caller's, joined with the lease's `lost`) and a deadline (deadline.ts), so that a
 * run always ends.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, LockLostError, NovitaApiError, ReconcilerError, StoreUnavailableError, SyncInProgressError, isReconcilerError } from '../../errors.js';
import type { ReconcilerEvent, ReconcilerLogger } from '../events.js';
import type { LockLease, SyncLock } from '../lock.js';
import type { NovitaClient, NovitaInstance } from '../novita-client.js';
import { planSync, type PlanInput, type PlannedAction, type SyncScope } from '../planner.js';
import type { SyncPolicy } from '../policy.js';
import type { InstanceRecord } from '../record.js';
import type { ActionOutcome, ConfirmationReport, SyncReport, SyncRunOptions } from '../../report.js';
import { writeBatchProgress, type ReconcilerStore, type StoreEntry, type WriteOutcome } from '../store.js';
import { buildReport, NO_CONFIRMATIONS, summaryFields } from './build-report.js';
import { checkListing, type CheckedListing } from './check-listing.js';
import { confirmCandidates, type ConfirmLimits } from './confirm-candidates.js';
import { raceCall, raceIterable, RaceLostError } from './deadline.js';
import { createProgress, type Progress } from './progress.js';

/** How long an abort (or a lost lease) still waits for the answer of a write batch already sent, so the report can say what it applied. */
const WRITE_ABORT_GRACE_MS = 1_000;

/** What a run works with: the reconciler's resolved options. */
export interface RunContext {
  store: ReconcilerStore;
  novitaClient: NovitaClient;
  lock: SyncLock | undefined;
  policy: SyncPolicy;
  clock: () => Date;
  scope: SyncScope | undefined;
  adoptRecord: (instance: NovitaInstance) => InstanceRecord;
  /** Deadline of one store or lock call. */
  storeTimeoutMs: number;
  /** Deadline of the whole listing (every page and walk). */
  listingTimeoutMs: number;
  readBatchSize: number;
  writeBatchSize: number;
  confirm: ConfirmLimits;
  log: (level: keyof ReconcilerLogger, fields: Record<string, unknown>, message: string) => void;
  emit: (event: ReconcilerEvent) => void;
}

/** A run's report together with the listing it used (the merged view needs it). */
export interface RunResult {
  report: SyncReport;
  instances: NovitaInstance[];
}

/** One run. Resolves its report, or rejects with a classified error carrying what it applied (`error.report`). */
export async function runSync(context: RunContext, runOptions: SyncRunOptions, signal: AbortSignal | undefined): Promise<RunResult> {
  const runId = randomUUID();
  const startedAt = context.clock();
  const startedMs = Date.now();
  if (signal?.aborted) throw new AbortedError('sync aborted before it started', { cause: signal.reason });

  const lease = await takeLease(context, signal);
  const runSignal = lease ? AbortSignal.any(signal ? [signal, lease.lost] : [lease.lost]) : signal;
  const progress = createProgress(runId, context.emit);
  let partial: SyncReport | undefined;
  try {
    context.emit({ type: 'run-started', runId, options: runOptions, timestamp: startedAt.toISOString() });
    const { listing, entries } = await readListingAndRecords(context, runId, runSignal, lease, progress);
    const planInput: PlanInput = {
      entries,
      instances: listing.instances,
      policy: context.policy,
      now: context.clock(),
      handleObsoleteInstances: runOptions.handleObsoleteInstances,
      forceSync: runOptions.forceSync,
      adoptRecord: context.adoptRecord,
      ...(context.scope ? { scope: context.scope } : {}),
    };
    let plan = planSync(planInput);
    let confirmations: ConfirmationReport = NO_CONFIRMATIONS;
    if (plan.toConfirm.length > 0) {
      const confirmed = await confirmStep(context, plan.toConfirm, runSignal, lease, progress);
      confirmations = confirmed.report;
      plan = planSync({ ...planInput, confirmations: confirmed.answers });
    }
    if (plan.safety.tripped) {
      context.log('error', { runId, ...plan.safety }, plan.safety.overridden ? 'Sync safety limit tripped; forceSync overrode it' : 'Sync safety limit tripped; obsolete handling and retention held back');
      context.emit({ type: 'safety-tripped', runId, safety: plan.safety });
    }

    const planned = [...plan.decisions.flatMap((decision) => (decision.action ? [decision.action] : [])), ...plan.adoptions];
    const outcomes = new Map<PlannedAction, ActionOutcome>();
    const finish = (): SyncReport =>
      buildReport({ runId, plan, planned, outcomes, runOptions, instances: listing.instances.length, listingWalks: listing.walks, confirmations, startedAt, durationMs: Date.now() - startedMs });
    if (runOptions.dryRun) {
      for (const action of planned) outcomes.set(action, 'planned');
    } else {
      try {
        await applyWrites(context, runId, planned, outcomes, runSignal, lease, progress);
      } catch (error) {
        partial = finish();
        throw error;
      }
    }

    const report = finish();
    announceActions(context, report);
    if (!runOptions.dryRun) await recordCompletion(context, runId, lease);
    context.log('info', summaryFields(report), 'Instance sync completed');
    context.emit({ type: 'run-finished', runId, report });
    return { report, instances: listing.instances };
  } catch (error) {
    // Store and Novita failures arrive classified; anything else is a bug or a throwing callback
    // (adoptRecord, a scope predicate): never pass it off as a store or Novita outage.
    const failure = isReconcilerError(error) ? (error as ReconcilerError) : new ReconcilerError('INTERNAL_ERROR', `sync failed unexpectedly: ${describeError(error)}`, { cause: error });
    if (partial) {
      failure.report = partial;
      // What a failed run did apply is announced like any action: "where did my record go" has an answer.
      announceActions(context, partial);
    }
    const applied = partial?.actions.filter((action) => action.outcome === 'applied').length ?? 0;
    context.log('error', { runId, code: failure.code, err: failure.message, applied, unknown: partial?.unknown ?? 0 }, 'Instance sync failed');
    context.emit({ type: 'run-failed', runId, error: failure, ...(partial ? { report: partial } : {}) });
    throw failure;
  } finally {
    if (lease) await releaseLease(context, runId, lease);
  }
}

/** Takes the lock, when there is one: `SYNC_IN_PROGRESS` when another replica holds it. */
async function takeLease(context: RunContext, signal: AbortSignal | undefined): Promise<LockLease | null> {
  const { lock } = context;
  if (!lock) return null;
  let lease: LockLease | null;
  try {
    // A lease that arrives after the deadline is released at once, or it would block every replica until it expires.
    lease = await raceCall(() => lock.acquire(signal ? { signal } : {}), signal, context.storeTimeoutMs, (late) => void late?.release().catch(() => undefined));
  } catch (error) {
    if (error instanceof RaceLostError && error.kind === 'aborted') throw new AbortedError('sync aborted while taking the lock', { cause: signal?.reason });
    throw asStoreError(error, 'taking the sync lock failed');
  }
  if (!lease) throw new SyncInProgressError('another replica is running a sync (the lock is held)');
  return lease;
}

async function releaseLease(context: RunContext, runId: string, lease: LockLease): Promise<void> {
  try {
    await raceCall(() => lease.release(), undefined, context.storeTimeoutMs);
  } catch (error) {
    context.log('warn', { runId, err: describeError(error) }, 'releasing the sync lock failed; it expires by itself');
  }
}

/** Shares the time of this completed real run with every replica of the lock (their schedules skip a turn). */
async function recordCompletion(context: RunContext, runId: string, lease: LockLease | null): Promise<void> {
  if (!lease?.recordCompletedRun) return;
  try {
    await raceCall(() => (lease.recordCompletedRun as (at: Date) => Promise<boolean>)(context.clock()), undefined, context.storeTimeoutMs);
  } catch (error) {
    context.log('warn', { runId, err: describeError(error) }, 'recording the completed run with the lock failed; replicas may run again sooner');
  }
}

/**
 * Steps 1 and the read: the listing, and every stored record read meanwhile (the two overlap). The
 * listing is checked for completeness before anything is planned; when it fails, the read is abandoned.
 */
async function readListingAndRecords(
  context: RunContext,
  runId: string,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<{ listing: CheckedListing; entries: StoreEntry[] }> {
  const reading = new AbortController();
  const readSignal = runSignal ? AbortSignal.any([runSignal, reading.signal]) : reading.signal;
  const records = readRecords(context, readSignal, runSignal, lease, progress);
  records.catch(() => undefined); // awaited below; a listing failure must not leave it unhandled
  let listing: CheckedListing;
  try {
    listing = await readListing(context, runId, runSignal, lease, progress);
  } catch (error) {
    reading.abort(new Error('the listing failed'));
    throw error;
  }
  return { listing, entries: await records };
}

async function readListing(context: RunContext, runId: string, runSignal: AbortSignal | undefined, lease: LockLease | null, progress: Progress): Promise<CheckedListing> {
  let listing: unknown;
  try {
    listing = await raceCall(
      () =>
        context.novitaClient.listInstances({
          ...(runSignal ? { signal: runSignal } : {}),
          onRestart: ({ walk, reason }) => {
            context.log('warn', { runId, walk, reason }, 'Novita listing shifted while it was read; reading it again');
            context.emit({ type: 'listing-restarted', runId, walk, reason });
          },
          onProgress: ({ pagesRead, pagesTotal }) => progress.update('listing', pagesRead, pagesTotal),
        }),
      runSignal,
      context.listingTimeoutMs,
    );
  } catch (error) {
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    if (isReconcilerError(error)) throw error;
    const detail = error instanceof RaceLostError ? `no complete listing within ${context.listingTimeoutMs} ms` : describeError(error);
    throw new NovitaApiError(`Novita listing failed: ${detail}`, { cause: error, endpoint: 'listInstances' });
  }
  const checked = checkListing(listing);
  progress.end('listing');
  return checked;
}

async function readRecords(
  context: RunContext,
  readSignal: AbortSignal,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  try {
    const batches = context.store.readBatches({ batchSize: context.readBatchSize, signal: readSignal });
    for await (const batch of raceIterable(batches, readSignal, context.storeTimeoutMs)) {
      for (const entry of batch) entries.push(entry);
      progress.update('reading', entries.length);
    }
  } catch (error) {
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    if (error instanceof RaceLostError && error.kind === 'timeout') throw new StoreUnavailableError(`reading the store failed: no answer within ${error.timeoutMs} ms`, { cause: error });
    throw asStoreError(error, 'reading the store failed');
  }
  progress.end('reading', entries.length);
  return entries;
}

async function confirmStep(context: RunContext, ids: readonly string[], runSignal: AbortSignal | undefined, lease: LockLease | null, progress: Progress) {
  try {
    return await confirmCandidates(context.novitaClient, ids, context.confirm, runSignal, {
      onAnswer: (done, total) => progress.update('confirming', done, total),
      onFailure: (novitaInstanceId, message) => context.log('warn', { novitaInstanceId, err: message }, 'Could not confirm an obsolete candidate with Novita; left for the next run'),
      onStopped: (stoppedBy, remaining) =>
        context.log('warn', { stoppedBy, remaining, ...context.confirm }, stoppedBy === 'budget' ? 'Confirmation budget used up; the remaining candidates are left for the next run' : 'Confirmations keep failing (circuit breaker); the remaining candidates are left for the next run'),
    });
  } catch (error) {
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    throw error;
  } finally {
    progress.end('confirming');
  }
}

/**
 * Applies the planned writes in conditional batches and records each write's outcome. A batch whose
 * answer never comes (deadline, abort, lost lease) marks its writes `unknown`; a batch the store
 * refused before attempting it marks them `not-applied`, like every batch after it.
 */
async function applyWrites(
  context: RunContext,
  runId: string,
  planned: readonly PlannedAction[],
  outcomes: Map<PlannedAction, ActionOutcome>,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<void> {
  for (const action of planned) outcomes.set(action, 'not-applied');
  let written = 0;
  for (let start = 0; start < planned.length; start += context.writeBatchSize) {
    const batch = planned.slice(start, start + context.writeBatchSize);
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    let results;
    try {
      results = await raceCall(
        () =>
          context.store.writeBatch(
            batch.map((action) => ({ ...action.write, reason: action.reason })),
            { runId, ...(lease?.fence ? { fence: lease.fence } : {}), ...(runSignal ? { signal: runSignal } : {}) },
          ),
        runSignal,
        context.storeTimeoutMs,
        undefined,
        Math.min(WRITE_ABORT_GRACE_MS, context.storeTimeoutMs),
      );
    } catch (error) {
      if (error instanceof RaceLostError) {
        for (const action of batch) outcomes.set(action, 'unknown');
        if (runSignal?.aborted) throw abortError(runSignal, lease);
        throw new StoreUnavailableError(`writing to the store failed: no answer within ${error.timeoutMs} ms; the outcome of ${batch.length} writes is unknown`, { cause: error });
      }
      // What the store had settled before it failed, when it says (the Redis store does); otherwise,
      // by the store contract, a rejected batch applied nothing.
      const progress = writeBatchProgress(error);
      if (progress) {
        batch.forEach((action, index) => {
          if (index < progress.writeResults.length) outcomes.set(action, toOutcome(progress.writeResults[index]?.outcome));
          else if (index < progress.writeResults.length + progress.writesInDoubt) outcomes.set(action, 'unknown');
        });
      }
      if (lease?.lost.aborted) throw new LockLostError(undefined, { cause: error });
      if (runSignal?.aborted) throw abortError(runSignal, lease);
      throw asStoreError(error, 'writing to the store failed');
    }
    batch.forEach((action, index) => outcomes.set(action, toOutcome(results[index]?.outcome)));
    written += batch.length;
    progress.update('writing', written, planned.length);
  }
  progress.end('writing', written, planned.length);
}

/** The listing for the merged view (no run): checked like a run's. */
export async function readViewListing(context: RunContext, signal: AbortSignal | undefined): Promise<NovitaInstance[]> {
  return (await readListing(context, 'view', signal, null, createProgress('view', () => undefined))).instances;
}

/** The valid records for the merged view (no run). */
export async function readViewRecords(context: RunContext, signal: AbortSignal | undefined): Promise<InstanceRecord[]> {
  const entries = await readRecords(context, signal ?? new AbortController().signal, signal, null, createProgress('view', () => undefined));
  return entries.flatMap((entry) => (entry.record ? [entry.record] : []));
}

/** Logs each obsolete action and emits each action that was planned or attempted (not the ones a failed run never sent). */
function announceActions(context: RunContext, report: SyncReport): void {
  for (const action of report.actions) {
    if (action.outcome === 'not-applied') continue;
    if (action.kind === 'markTerminated' || action.kind === 'remove') {
      context.log(
        'info',
        { runId: report.runId, recordId: action.recordId, novitaInstanceId: action.novitaInstanceId, lastStatus: action.from, novitaStatus: action.novitaStatus, reason: action.reason, outcome: action.outcome, dryRun: report.dryRun },
        action.kind === 'remove' ? 'Obsolete instance record removed' : 'Obsolete instance record marked terminated',
      );
    }
    context.emit({ type: 'action', runId: report.runId, dryRun: report.dryRun, action });
  }
}

function toOutcome(outcome: WriteOutcome | undefined): ActionOutcome {
  if (outcome === 'ok') return 'applied';
  if (outcome === 'conflict' || outcome === 'missing') return outcome;
  // A store that answered fewer results than writes: nothing says the write landed.
  return 'unknown';
}

function abortError(signal: AbortSignal, lease: LockLease | null): ReconcilerError {
  if (lease?.lost.aborted) return new LockLostError();
  return new AbortedError('sync aborted', { cause: signal.reason });
}

function asStoreError(error: unknown, what: string): ReconcilerError {
  if (isReconcilerError(error)) return error;
  return new StoreUnavailableError(`${what}: ${describeError(error)}`, { cause: error });
}

/** A person-readable message of any thrown value. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
