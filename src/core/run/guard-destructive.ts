/**
 * The guards on destructive actions, the last step before a run's destructive writes, taken once every
 * confirmation is in. In order, after the safety limit (the planner's):
 * 1. the application's `livenessCheck`, for each record the run would end as obsolete or never-started
 *    (not retention): only `false` lets the run go on (`skipped.liveness` otherwise);
 * 2. the per-run cap `policy.maxDestructivePerRun`, over the stable order of plan/destructive-limits.ts;
 * 3. the hold and the window budget `policy.destructiveBudget`, read (and, unless a dry run, reserved)
 *    from the store in one atomic call.
 * What 2 and 3 hold back counts in `skipped.limit`. `forceSync` lifts none of them. A dry run asks the
 * same questions and reserves nothing, so its report holds back exactly what the real run would.
 */
import { StoreUnavailableError } from '../../errors.js';
import type { DestructiveLimit, HeldBackRecord, LimitsReport, LivenessKept, LivenessReport } from '../../report.js';
import {
  applyCap,
  destructiveQueue,
  heldBackRecord,
  holdBackDecisions,
  type DestructiveCandidate,
  type HeldBy,
} from '../plan/destructive-limits.js';
import type { Plan, PlannedAction } from '../plan/planner.js';
import type { DestructiveGuardStore, DestructiveReservation, StoreEntry } from '../ports/store.js';
import { raceCall, RaceLostError } from '../runtime/deadline.js';
import { abortError, throwIfAborted, type Run } from './run.js';
import { asStoreError, describeError } from './run-context.js';
import type { LivenessCheck } from './run-callbacks.js';

/** Liveness checks in flight at once. */
export const LIVENESS_CONCURRENCY = 8;

/** What the guards decided. */
export interface GuardedPlan {
  /** The plan with every held-back record left alone. */
  plan: Plan;
  /** The destructive actions that go on, in the plan's order (the order they are sent). */
  granted: PlannedAction[];
  limits: LimitsReport;
  liveness: LivenessReport;
  /** Whether the store reserved `granted` in the window (a real run with a budget): their writes that write nothing are released. */
  reserved: boolean;
}

/** A liveness report for a run that asked nothing. */
export const NO_LIVENESS: Readonly<LivenessReport> = Object.freeze({ checked: 0, alive: 0, failed: 0, kept: [] });

/** The limits report of a run that had no destructive action to guard (or failed before it got there). */
export function emptyLimits(run: Pick<Run, 'context'>): LimitsReport {
  const { maxDestructivePerRun, destructiveBudget } = run.context.policy;
  return {
    maxDestructivePerRun,
    window: destructiveBudget
      ? { max: destructiveBudget.max, windowMinutes: destructiveBudget.windowMinutes, usedBefore: 0, usedByRun: 0 }
      : null,
    hold: null,
    wanted: 0,
    heldBack: { cap: 0, window: 0, hold: 0 },
    records: [],
  };
}

/** Steps 1 to 3 above. Rejects only when the run is aborted or the store's guard call fails (then nothing destructive is sent). */
export async function guardDestructive(
  run: Run,
  plan: Plan,
  entries: readonly StoreEntry[],
  options: { dryRun: boolean; livenessCheck: LivenessCheck | undefined; guardStore: DestructiveGuardStore | undefined },
): Promise<GuardedPlan> {
  const { context } = run;
  const { policy } = context;
  const queue = destructiveQueue(plan, entries);
  const held = new Map<number, HeldBy>();

  const liveness = await checkLiveness(run, queue, options.livenessCheck);
  const keptIndexes = new Set(liveness.keptIndexes);
  for (const index of keptIndexes) held.set(index, 'liveness');
  const wanted = queue.filter((candidate) => !keptIndexes.has(candidate.index));

  const { taken, held: overCap } = applyCap(wanted, policy.maxDestructivePerRun);
  const heldRecords: HeldBackRecord[] = overCap.map((candidate) => heldBackRecord(candidate, 'cap'));

  let reservation: DestructiveReservation = { hold: null, usedBefore: 0, granted: taken.length };
  if (options.guardStore) {
    const budget = policy.destructiveBudget;
    const heldBack = [
      ...queue.filter((candidate) => keptIndexes.has(candidate.index)).map((candidate) => ({ id: candidate.record.id, guard: 'liveness' })),
      ...overCap.map((candidate) => ({ id: candidate.record.id, guard: 'cap' })),
    ];
    reservation = await reserve(run, options.guardStore, {
      runId: run.id,
      ids: taken.map((candidate) => candidate.record.id),
      ...(budget ? { budget: { max: budget.max, windowMs: budget.windowMinutes * 60_000 } } : {}),
      now: context.clock(),
      reserve: !options.dryRun,
      ...(heldBack.length > 0 ? { heldBack } : {}),
    });
  }
  const grantedCount = Math.max(0, Math.min(taken.length, Math.floor(reservation.granted)));
  const granted = taken.slice(0, grantedCount);
  const refusedBy: DestructiveLimit = reservation.hold ? 'hold' : 'window';
  for (const candidate of taken.slice(grantedCount)) heldRecords.push(heldBackRecord(candidate, refusedBy));
  for (const candidate of [...overCap, ...taken.slice(grantedCount)]) held.set(candidate.index, 'limit');

  const heldBack: Record<DestructiveLimit, number> = { cap: 0, window: 0, hold: 0 };
  for (const record of heldRecords) heldBack[record.limit] += 1;
  const budget = policy.destructiveBudget;
  const limits: LimitsReport = {
    maxDestructivePerRun: policy.maxDestructivePerRun,
    window: budget
      ? { max: budget.max, windowMinutes: budget.windowMinutes, usedBefore: reservation.usedBefore, usedByRun: granted.length }
      : null,
    hold: reservation.hold,
    wanted: wanted.length,
    heldBack,
    records: heldRecords,
  };
  return {
    plan: holdBackDecisions(plan, held),
    // Sent in the plan's order (the report's): the stable order decided which go, not when each is sent.
    granted: [...granted].sort((a, b) => a.index - b.index).map((candidate) => candidate.action),
    limits,
    liveness: liveness.report,
    reserved: options.guardStore !== undefined && budget !== null && !options.dryRun,
  };
}

/** The store's guard call, under the run's signal and the store deadline. */
async function reserve(
  run: Run,
  store: DestructiveGuardStore,
  request: Parameters<DestructiveGuardStore['reserveDestructive']>[0],
): Promise<DestructiveReservation> {
  const { context } = run;
  try {
    const answer = await raceCall(
      () => store.reserveDestructive(request, run.signal ? { signal: run.signal } : {}),
      run.signal,
      context.storeTimeoutMs,
    );
    if (typeof answer !== 'object' || answer === null || typeof answer.granted !== 'number' || typeof answer.usedBefore !== 'number')
      throw new StoreUnavailableError(`the store answered the destructive guard call with ${JSON.stringify(answer)}`);
    return { hold: answer.hold ?? null, usedBefore: answer.usedBefore, granted: answer.hold ? 0 : answer.granted };
  } catch (error) {
    throwIfAborted(run);
    if (error instanceof RaceLostError)
      throw new StoreUnavailableError(
        `reading the hold and the destructive budget failed: no answer within ${error.timeoutMs} ms; nothing destructive was sent`,
        { cause: error },
      );
    throw asStoreError(error, 'reading the hold and the destructive budget failed; nothing destructive was sent');
  }
}

/**
 * Gives back the window reservations of granted writes that wrote nothing (`conflict`, `missing`, or never
 * sent); an `unknown` answer keeps its reservation, since the write may have landed. A failure is logged:
 * the reservation then ages out of the window.
 */
export async function releaseUnwritten(
  run: Run,
  store: DestructiveGuardStore,
  granted: readonly PlannedAction[],
  outcomeOf: (action: PlannedAction) => string,
): Promise<number> {
  const ids = granted
    .filter((action) => ['not-applied', 'conflict', 'missing'].includes(outcomeOf(action)))
    .map((action) => action.recordId);
  if (ids.length === 0) return 0;
  try {
    await raceCall(() => store.releaseDestructive({ runId: run.id, ids }, {}), undefined, run.context.storeTimeoutMs);
  } catch (error) {
    run.context.log(
      'warn',
      { runId: run.id, released: ids.length, err: describeError(error) },
      'releasing destructive budget reservations of writes that wrote nothing failed; they age out of the window',
    );
  }
  return ids.length;
}

/** Asks the application about each obsolete and never-started candidate, with bounded concurrency; resolves the ones it kept. */
async function checkLiveness(
  run: Run,
  queue: readonly DestructiveCandidate[],
  check: LivenessCheck | undefined,
): Promise<{ report: LivenessReport; keptIndexes: number[] }> {
  const asked = check ? queue.filter((candidate) => candidate.type !== 'retention') : [];
  if (!check || asked.length === 0) return { report: { ...NO_LIVENESS, kept: [] }, keptIndexes: [] };
  const verdicts: (LivenessKept | null)[] = new Array(asked.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < asked.length) {
      throwIfAborted(run);
      const position = next;
      next += 1;
      const candidate = asked[position] as DestructiveCandidate;
      const verdict = await check(candidate.record, run.signal);
      throwIfAborted(run);
      if (verdict.kind !== 'gone')
        verdicts[position] = {
          recordId: candidate.record.id,
          novitaInstanceId: candidate.action.novitaInstanceId,
          verdict: verdict.kind,
          ...('message' in verdict ? { message: verdict.message } : {}),
        };
    }
  };
  await Promise.all(Array.from({ length: Math.min(LIVENESS_CONCURRENCY, asked.length) }, worker));
  if (run.signal?.aborted) throw abortError(run);
  const kept: LivenessKept[] = [];
  const keptIndexes: number[] = [];
  verdicts.forEach((verdict, position) => {
    if (verdict === null) return;
    kept.push(verdict);
    keptIndexes.push((asked[position] as DestructiveCandidate).index);
  });
  const failed = kept.filter((verdict) => verdict.verdict !== 'alive').length;
  for (const verdict of kept) {
    if (verdict.verdict === 'alive') continue;
    run.context.log(
      'warn',
      {
        runId: run.id,
        recordId: verdict.recordId,
        novitaInstanceId: verdict.novitaInstanceId,
        verdict: verdict.verdict,
        err: verdict.message,
      },
      'livenessCheck failed; the record is kept this run',
    );
  }
  return { report: { checked: asked.length, alive: kept.length - failed, failed, kept }, keptIndexes };
}
