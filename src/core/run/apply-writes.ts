/**
 * Applying a run's writes: conditional batches, one after another, each write's outcome recorded
 * exactly (applied, conflict, missing, not applied, or unknown when the answer never came).
 */
import { LockLostError, StoreUnavailableError } from '../../errors.js';
import type { Plan, PlannedAction, RecordDecision } from '../plan/planner.js';
import type { ActionOutcome } from '../../report.js';
import { writeBatchProgress, type WriteOutcome, type WriteResult } from '../ports/store.js';
import { raceCall, RaceLostError } from '../runtime/deadline.js';
import { throwIfAborted, type Run } from './run.js';
import { asStoreError } from './run-context.js';

/** How long an abort (or a lost lease) still waits for the answer of a write batch already sent, so the report can say what it applied. */
const WRITE_ABORT_GRACE_MS = 1_000;

/** The actions of the plan's decisions that `include` keeps, then its adoptions (those never wait on a confirmation). */
export function plannedActions(plan: Plan, include: (decision: RecordDecision) => boolean): PlannedAction[] {
  return [...plan.decisions.flatMap((decision) => (decision.action && include(decision) ? [decision.action] : [])), ...plan.adoptions];
}

/** Applies writes in the order they are handed over, one batch after another; stops at the first failure. */
export interface Writer {
  enqueue(actions: readonly PlannedAction[]): void;
  /** Resolves when every write handed over so far settled; rejects with the first failure. */
  done(): Promise<void>;
  /** Resolves when every write handed over so far settled, whatever happened. */
  settled(): Promise<void>;
  /** What became of the write of this very action; `not-applied` when it was never handed over or never sent. */
  outcomeOf(action: PlannedAction): ActionOutcome;
  /** Aborted when a write batch failed. */
  readonly failed: AbortSignal;
  /** The first failure, once there was one. */
  readonly failure: unknown;
}

export function createWriter(run: Run): Writer {
  const { progress } = run;
  const outcomes = new Map<PlannedAction, ActionOutcome>();
  let chain: Promise<void> = Promise.resolve();
  let handedOver = 0;
  let written = 0;
  const failed = new AbortController();
  let failure: unknown;
  return {
    failed: failed.signal,
    get failure() {
      return failure;
    },
    enqueue(actions) {
      if (actions.length === 0) return;
      for (const action of actions) outcomes.set(action, 'not-applied');
      handedOver += actions.length;
      chain = chain.then(() =>
        applyWrites(run, actions, outcomes, (count) => {
          written += count;
          progress.update('writing', written, handedOver);
        }).catch((error: unknown) => {
          failure ??= error;
          failed.abort(error);
          throw error;
        }),
      );
    },
    async done() {
      await chain;
      progress.end('writing', written, handedOver);
    },
    settled: () => chain.catch(() => undefined),
    outcomeOf: (action) => outcomes.get(action) ?? 'not-applied',
  };
}

/**
 * Applies the planned writes in conditional batches and records each write's outcome. A batch whose
 * answer never comes (deadline, abort, lost lease) marks its writes `unknown`; a batch the store
 * refused before attempting it marks them `not-applied`, like every batch after it.
 */
async function applyWrites(
  run: Run,
  planned: readonly PlannedAction[],
  outcomes: Map<PlannedAction, ActionOutcome>,
  onBatchWritten: (count: number) => void,
): Promise<void> {
  const { context, id: runId, signal: runSignal, lease } = run;
  for (const action of planned) outcomes.set(action, 'not-applied');
  for (let start = 0; start < planned.length; start += context.writeBatchSize) {
    const batch = planned.slice(start, start + context.writeBatchSize);
    throwIfAborted(run);
    let results: WriteResult[];
    try {
      results = await raceCall(
        () =>
          context.store.writeBatch(
            batch.map((action) => ({ ...action.write, reason: action.reason, destructive: action.destructive })),
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
        throwIfAborted(run);
        throw new StoreUnavailableError(
          `writing to the store failed: no answer within ${error.timeoutMs} ms; the outcome of ${batch.length} writes is unknown`,
          { cause: error },
        );
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
      throwIfAborted(run);
      throw asStoreError(error, 'writing to the store failed');
    }
    for (const [index, action] of batch.entries()) outcomes.set(action, toOutcome(results[index]?.outcome));
    onBatchWritten(batch.length);
  }
}

function toOutcome(outcome: WriteOutcome | undefined): ActionOutcome {
  if (outcome === 'ok') return 'applied';
  if (outcome === 'conflict' || outcome === 'missing') return outcome;
  // A store that answered fewer results than writes: nothing says the write landed.
  return 'unknown';
}
