/**
 * Ending orphans (`policy.novitaOnly: 'stop' | 'delete'`), the last step of a run, after its record
 * writes. Karpenter's garbage collection in our terms: list both sides (done), filter to what the
 * application owns and is old enough (plan/orphan-actions.ts), then, right beside each call, check again.
 * In order:
 * 1. nothing at all when the run read an undecodable value, or the orphans are more than
 *    `maxObsoleteFraction` of the instances in scope (`forceSync` does not lift it);
 * 2. a second read of the store, after the listing and before the first call: an orphan some record
 *    (in scope or not) now names is left alone, and an undecodable value stops everything;
 * 3. the per-run cap (what the records' destructive writes left of it), then the hold and the window
 *    budget, reserved through the same store call as the records' (ids `instance:<id>`);
 * 4. per orphan, one at a time: an `intent` audit entry; `getInstance` (found, not being deleted, not
 *    already stopped or stopping; a delete: still exited); the call; an `outcome` entry. A failed call is
 *    reported, never retried within the run. A dry run stops after 3: its report shows the calls planned.
 */
import { describeError } from './run-context.js';
import { GONE_STATUSES, type NovitaInstance } from '../ports/novita-client.js';
import type { DestructiveGuardStore, InstanceActionStore, StoreEntry } from '../ports/store.js';
import { orphanCandidates, orphanFractionAllows, STOPPED_OR_STOPPING, type OrphanCandidate } from '../plan/orphan-actions.js';
import type { Plan } from '../plan/planner.js';
import { raceCall, raceIterable } from '../runtime/deadline.js';
import type { InstanceAction, InstanceActionSkip } from '../../report.js';
import type { SyncScope } from '../plan/planner.js';
import { throwIfAborted, type Run } from './run.js';

/** What the step needs of the run. */
export interface EndOrphansInput {
  plan: Plan;
  /** The instances the run listed. */
  instances: readonly NovitaInstance[];
  /** The entries the run read first. */
  entries: readonly StoreEntry[];
  scope: SyncScope | undefined;
  dryRun: boolean;
  /** Destructive record writes the run was granted (they count against the per-run cap first). */
  recordsGranted: number;
  actionStore: InstanceActionStore;
  guardStore: DestructiveGuardStore | undefined;
  /** Where each call is kept as soon as it is decided, so a run that aborts midway still reports what it sent. */
  actions: InstanceAction[];
}

/** The reservation id of an instance in the window budget (never a record id: record ids are the application's, these carry the prefix). */
const reservationId = (novitaInstanceId: string): string => `instance:${novitaInstanceId}`;

/** Steps 1 to 4 above; resolves when every call is answered. Rejects only when the run is aborted. Leaves `input.actions` oldest orphan first. */
export async function endOrphans(run: Run, input: EndOrphansInput): Promise<void> {
  try {
    await decideAndCall(run, input);
  } finally {
    input.actions.sort((a, b) => b.ageMinutes - a.ageMinutes || (a.novitaInstanceId < b.novitaInstanceId ? -1 : 1));
  }
}

async function decideAndCall(run: Run, input: EndOrphansInput): Promise<void> {
  const { context } = run;
  const { policy } = context;
  const mode = policy.novitaOnly;
  if (mode !== 'stop' && mode !== 'delete') return;
  const now = context.clock();
  const actions = input.actions;
  const skip = (candidate: OrphanCandidate, skipped: InstanceActionSkip, reason: string): InstanceAction =>
    keep({ ...describe(candidate), outcome: 'skipped', skipped, reason });
  const keep = (action: InstanceAction): InstanceAction => {
    actions.push(action);
    return action;
  };

  const owned = input.plan.novitaOnly.filter((instance) => instance.owned);
  let stops: Record<string, string> = {};
  if (mode === 'delete' && owned.some((instance) => instance.status === 'exited')) {
    try {
      stops = await raceCall(
        () => input.actionStore.readOrphanStops(owned.filter((instance) => instance.status === 'exited').map((i) => i.novitaInstanceId)),
        run.signal,
        context.storeTimeoutMs,
      );
    } catch (error) {
      throwIfAborted(run);
      // Without the stop times nothing may be deleted; stops still go on.
      context.log(
        'warn',
        { runId: run.id, err: describeError(error) },
        'Could not read when orphans were stopped; none is deleted this run',
      );
    }
  }
  const candidates = orphanCandidates({ novitaOnly: owned, mode, graceMinutes: policy.orphanGraceMinutes, stops, now });
  if (candidates.length === 0) return;

  if (input.entries.some((entry) => entry.invalid !== undefined)) {
    for (const candidate of candidates)
      skip(candidate, 'undecodable', 'the run read a stored value it could not decode: it might be the record naming this instance');
    return;
  }
  const inScope = input.instances.filter(
    (instance) => !GONE_STATUSES.has(instance.status) && (input.scope?.instance?.(instance) ?? true),
  ).length;
  if (!orphanFractionAllows(candidates.length, inScope, policy.maxObsoleteFraction)) {
    const reason = `${candidates.length} orphans to end of ${inScope} instances in scope is more than maxObsoleteFraction ${policy.maxObsoleteFraction}: none is ended`;
    context.log('error', { runId: run.id, candidates: candidates.length, inScope }, `Orphan limit tripped: ${reason}`);
    for (const candidate of candidates) skip(candidate, 'fraction', reason);
    return;
  }

  // 2. The second read: a record written since the listing (the application recording its new instance) wins.
  let named: Set<string>;
  try {
    named = await namedInstances(run);
  } catch (error) {
    throwIfAborted(run);
    const undecodable = error instanceof UndecodableValue;
    for (const candidate of candidates)
      skip(
        candidate,
        undecodable ? 'undecodable' : 'store-unavailable',
        undecodable
          ? 'the second read of the store met a value it could not decode: it might be the record naming this instance'
          : `the second read of the store failed: ${describeError(error)}`,
      );
    return;
  }
  const unnamed: OrphanCandidate[] = [];
  for (const candidate of candidates) {
    if (named.has(candidate.novitaInstanceId)) skip(candidate, 'recorded', 'a record names it now (written after the listing)');
    else unnamed.push(candidate);
  }

  // 3. The cap (what the records left of it), the hold and the window budget.
  const cap = policy.maxDestructivePerRun;
  const room = cap === null ? unnamed.length : Math.max(0, cap - input.recordsGranted);
  const taken = unnamed.slice(0, room);
  for (const candidate of unnamed.slice(room)) skip(candidate, 'cap', `the per-run cap of ${cap} is used up`);
  let granted = taken;
  if (input.guardStore && taken.length > 0) {
    const budget = policy.destructiveBudget;
    try {
      const answer = await raceCall(
        () =>
          (input.guardStore as DestructiveGuardStore).reserveDestructive(
            {
              runId: run.id,
              ids: taken.map((candidate) => reservationId(candidate.novitaInstanceId)),
              ...(budget ? { budget: { max: budget.max, windowMs: budget.windowMinutes * 60_000 } } : {}),
              now,
              reserve: !input.dryRun,
            },
            run.signal ? { signal: run.signal } : {},
          ),
        run.signal,
        context.storeTimeoutMs,
      );
      // A dry run reserved nothing for its records: count them here, so it shows what a real run would send.
      const dryRunRecords = input.dryRun && budget ? input.recordsGranted : 0;
      const count = answer.hold ? 0 : Math.max(0, Math.min(taken.length, Math.floor(answer.granted) - dryRunRecords));
      granted = taken.slice(0, count);
      for (const candidate of taken.slice(count))
        skip(
          candidate,
          answer.hold ? 'hold' : 'window',
          answer.hold
            ? `the hold set by ${answer.hold.by || 'someone'} at ${answer.hold.at} (${answer.hold.reason || 'no reason given'})`
            : `the window budget of ${budget?.max} per ${budget?.windowMinutes} min is used up`,
        );
    } catch (error) {
      throwIfAborted(run);
      for (const candidate of taken)
        skip(candidate, 'store-unavailable', `reading the hold and the destructive budget failed: ${describeError(error)}`);
      return;
    }
  }

  if (input.dryRun) {
    for (const candidate of granted)
      keep({ ...describe(candidate), outcome: 'planned', reason: why(candidate, policy.orphanGraceMinutes) });
    return;
  }

  // 4. One at a time, each re-checked right beside its call.
  const unsent: string[] = [];
  for (const candidate of granted) {
    throwIfAborted(run);
    const action = await endOne(run, input.actionStore, candidate, why(candidate, policy.orphanGraceMinutes));
    keep(action);
    // Given back only for a call never sent (skipped at the re-check); a failed call may have reached
    // Novita (a timeout after the request went out), so, like a write whose answer never came, it
    // keeps its place in the window.
    if (action.outcome === 'skipped') unsent.push(reservationId(candidate.novitaInstanceId));
  }
  if (input.guardStore && policy.destructiveBudget && unsent.length > 0) {
    try {
      await raceCall(
        () => (input.guardStore as DestructiveGuardStore).releaseDestructive({ runId: run.id, ids: unsent }, {}),
        undefined,
        context.storeTimeoutMs,
      );
    } catch (error) {
      context.log(
        'warn',
        { runId: run.id, released: unsent.length, err: describeError(error) },
        'releasing orphan reservations failed; they age out of the window',
      );
    }
  }
}

/** The intent entry, the re-check, the call and the outcome entry of one orphan. */
async function endOne(run: Run, store: InstanceActionStore, candidate: OrphanCandidate, reason: string): Promise<InstanceAction> {
  const { context } = run;
  const base = describe(candidate);
  const id = candidate.novitaInstanceId;
  const audit = (phase: 'intent' | 'outcome', text: string, outcome?: 'applied' | 'failed' | 'skipped') =>
    raceCall(
      () =>
        store.recordInstanceAction(
          {
            runId: run.id,
            kind: candidate.kind,
            novitaInstanceId: id,
            phase,
            ...(outcome ? { outcome } : {}),
            reason: text,
            at: context.clock(),
          },
          run.signal ? { signal: run.signal } : {},
        ),
      run.signal,
      context.storeTimeoutMs,
    );
  const finish = async (action: InstanceAction): Promise<InstanceAction> => {
    try {
      await audit('outcome', action.reason, action.outcome === 'planned' ? 'skipped' : action.outcome);
    } catch (error) {
      throwIfAborted(run);
      context.log(
        'error',
        { runId: run.id, novitaInstanceId: id, kind: candidate.kind, outcome: action.outcome, err: describeError(error) },
        'Could not record the outcome of a call to end an orphan in the audit trail',
      );
    }
    return action;
  };

  try {
    await audit('intent', reason);
  } catch (error) {
    throwIfAborted(run);
    return {
      ...base,
      outcome: 'skipped',
      skipped: 'audit-failed',
      reason: `the intent entry could not be kept, so nothing was sent: ${describeError(error)}`,
    };
  }

  let current: NovitaInstance | null;
  try {
    current = await raceCall(
      () => context.novitaClient.getInstance(id, run.signal ? { signal: run.signal } : {}),
      run.signal,
      context.confirm.budgetMs,
    );
  } catch (error) {
    throwIfAborted(run);
    return finish({
      ...base,
      outcome: 'skipped',
      skipped: 'recheck-failed',
      reason: `getInstance failed right before the call: ${describeError(error)}`,
    });
  }
  if (current === null || GONE_STATUSES.has(current.status))
    return finish({
      ...base,
      outcome: 'skipped',
      skipped: 'gone',
      reason: `getInstance right before the call: ${current ? current.status : 'not found'}`,
    });
  if (candidate.kind === 'stop' && STOPPED_OR_STOPPING.has(current.status))
    return finish({ ...base, outcome: 'skipped', skipped: 'already-stopped', reason: `already ${current.status}: never stopped again` });
  if (candidate.kind === 'delete' && current.status !== 'exited')
    return finish({ ...base, outcome: 'skipped', skipped: 'not-exited', reason: `${current.status}, no longer exited: not deleted` });

  const client = context.novitaClient;
  try {
    const call = candidate.kind === 'stop' ? client.stopInstance : client.deleteInstance;
    if (!call) throw new Error(`the Novita client has no ${candidate.kind}Instance`);
    await raceCall(() => call.call(client, id, run.signal ? { signal: run.signal } : {}), run.signal, context.confirm.budgetMs);
  } catch (error) {
    throwIfAborted(run);
    context.log(
      'error',
      { runId: run.id, novitaInstanceId: id, kind: candidate.kind, err: describeError(error) },
      'A call to end an orphan failed; not retried this run',
    );
    return finish({ ...base, outcome: 'failed', reason: `${candidate.kind}Instance failed: ${describeError(error)}` });
  }
  return finish({ ...base, outcome: 'applied', reason });
}

/** The report's fields of a candidate. */
function describe(candidate: OrphanCandidate): Pick<InstanceAction, 'kind' | 'novitaInstanceId' | 'name' | 'ageMinutes'> {
  return { kind: candidate.kind, novitaInstanceId: candidate.novitaInstanceId, name: candidate.name, ageMinutes: candidate.ageMinutes };
}

/** Why the call, for a person. */
function why(candidate: OrphanCandidate, graceMinutes: number): string {
  return candidate.kind === 'stop'
    ? `orphan ${candidate.ageMinutes} min old (orphanGraceMinutes ${graceMinutes}) that no record names`
    : `orphan stopped by this library at least ${graceMinutes} min ago, still exited, still without a record`;
}

/** A stored value the second read could not decode. */
class UndecodableValue extends Error {}

/** Every Novita id a stored record names now, in scope or not; rejects with {@link UndecodableValue} on a value it cannot decode. */
async function namedInstances(run: Run): Promise<Set<string>> {
  const { context } = run;
  const named = new Set<string>();
  const batches = context.store.readBatches({ batchSize: context.readBatchSize, ...(run.signal ? { signal: run.signal } : {}) });
  for await (const batch of raceIterable(batches, run.signal, context.storeTimeoutMs)) {
    for (const entry of batch) {
      if (entry.invalid !== undefined) throw new UndecodableValue(`record ${entry.id}: ${entry.invalid}`);
      const id = entry.record?.novitaInstanceId;
      if (id !== undefined) named.add(id);
    }
  }
  return named;
}
