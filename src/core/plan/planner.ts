/**
 * The reconcile planner: a pure function of (stored records, a complete Novita listing, the policy,
 * the time, and any confirmations already fetched) that decides, for every record, what the run does.
 * It never reads a clock, the environment, the store or the network: the reconciler does the I/O and
 * calls it (twice when candidates need confirming with `getInstance`).
 *
 * The steps of "One run, in order" (README) are the functions below, in order; the questions the
 * policy answers (grace, safety limit, obsolete switch, remove or mark, retention, Novita-only) are the
 * small functions of rules.ts, and the writes are built in plan/record-writes.ts.
 */
import { GONE_STATUSES, type NovitaInstance } from '../ports/novita-client.js';
import {
  holdBack,
  inCreationGrace,
  instanceCreatedAt,
  novitaOnlyVerdict,
  obsoleteReason,
  recordBornAt,
  removeOrMark,
  retentionExpired,
  safetyLimit,
  stuckRecord,
  wholeMinutesSince,
  type HoldBack,
  type SafetyCounts,
} from './rules.js';
import type { Confirmation, Plan, PlanInput, PlannedAction, RecordDecision } from './plan-types.js';
import {
  adoptAction,
  markTerminatedDecision,
  refreshDecision,
  removeDecision,
  stampFirstSeenDecision,
  stampTerminatedDecision,
  TERMINATED,
  type ReadRecord,
} from './record-writes.js';
import { hasTerminationProof, type TerminationProof } from '../record.js';
import type { NovitaOnlyInstance, OrphanSummary } from '../../report.js';
import { buildStatusMap, transitionalStatuses, type StatusRule } from './status-map.js';

export type {
  Confirmation,
  Plan,
  PlanInput,
  PlannedAction,
  PlannedCategory,
  RecordDecision,
  SkipReason,
  SyncScope,
} from './plan-types.js';
export { defaultAdoptRecord } from './record-writes.js';

/** A record whose fate waits on the safety limit (and maybe a confirmation): an obsolete or a retention candidate. */
interface Candidate extends ReadRecord {
  type: 'obsolete' | 'retention';
  /** The listed instance, when the listing has it (in a deleting status). */
  instance: NovitaInstance | undefined;
}

/** Step 2 to 3's outcome for one record: decided, or a candidate. */
type Classified = ({ type: 'decided'; decision: RecordDecision } | Candidate) & {
  /** Whether the record should be alive (a Novita id, outside grace, not terminated): the safety limit's denominator. */
  eligible: boolean;
};

/** What every step reads: the input, and what was derived from it once. */
interface PlanContext {
  input: PlanInput;
  nowIso: string;
  statusMap: ReadonlyMap<string, StatusRule>;
  /** The Novita statuses the status map sends to a transitional local status (stuck detection). */
  transitional: ReadonlySet<string>;
  /** The listing by Novita id. */
  listed: ReadonlyMap<string, NovitaInstance>;
  /** How many valid records name each Novita id, in scope or not. */
  namedBy: ReadonlyMap<string, number>;
}

/** Decides what one reconcile run does. Pure: same input, same plan. */
export function planSync(input: PlanInput): Plan {
  const context = planContext(input);
  const classified = input.entries.map((entry) => classifyRecord(entry, context));
  const counts = countCandidates(classified);
  const safety = safetyLimit(counts, input.policy, input.forceSync);
  const held = holdBack(input.handleObsoleteInstances, safety);
  const toConfirm = new Set<string>();
  const decisions = classified.map((item) => (item.type === 'decided' ? item.decision : decideCandidate(item, held, context, toConfirm)));
  const novitaOnly = handleNovitaOnly(context);
  return {
    decisions,
    ...novitaOnly,
    toConfirm: [...toConfirm],
    safety,
    obsoleteCandidates: classified.filter((item) => item.type === 'obsolete').length,
  };
}

/**
 * The run's final plan once the confirmations are in: every decision of `first` as it was made (its
 * writes may already be applied), except the records `first` left pending, which take the decision
 * `confirmed` (a plan of the same input with the confirmations) made for them. So each record is
 * decided once per run, and the report describes exactly the writes that were sent. Adoptions, the
 * Novita-only instances and the safety limit are `first`'s: none of them waits on a confirmation.
 */
export function settlePending(first: Plan, confirmed: Plan): Plan {
  const decisions = first.decisions.map((decision, index) => {
    if (decision.category !== 'pending') return decision;
    const settled = confirmed.decisions[index];
    // Both plans decide the same entries in the same order; anything else is a bug, never a guess.
    if (settled === undefined || settled.recordId !== decision.recordId)
      throw new Error(`the confirmed plan does not decide record ${decision.recordId} at the place the first plan did`);
    return settled;
  });
  return { ...first, decisions, toConfirm: [] };
}

/**
 * The run's plan once the ages of the owned Novita-only instances the listing gave none are in: `plan`
 * as it was, with the report of the Novita-only instances (and the orphans) of `aged` (a plan of the same
 * input with `instanceDetails`). Adoptions stay `plan`'s: an instance whose age only `getInstance` gave
 * is never adopted (adoption reads the listing's `createdAt`), so they agree.
 */
export function settleAges(plan: Plan, aged: Plan): Plan {
  return { ...plan, novitaOnly: aged.novitaOnly, orphans: aged.orphans, toAge: [] };
}

function planContext(input: PlanInput): PlanContext {
  const listed = new Map<string, NovitaInstance>();
  for (const instance of input.instances) if (!listed.has(instance.id)) listed.set(instance.id, instance);
  // Every Novita id any valid record names, in scope or not: an instance a record names is never "Novita-only".
  const namedBy = new Map<string, number>();
  for (const entry of input.entries) {
    const id = entry.record?.novitaInstanceId;
    if (id !== undefined) namedBy.set(id, (namedBy.get(id) ?? 0) + 1);
  }
  const statusMap = buildStatusMap(input.policy.statusMap);
  return { input, nowIso: input.now.toISOString(), statusMap, transitional: transitionalStatuses(statusMap), listed, namedBy };
}

/**
 * Steps 2, 3 and 9 for one stored entry: left alone (undecodable, out of scope, duplicate), refreshed
 * from its live instance, stamped, in grace, or an obsolete or retention candidate.
 */
function classifyRecord(entry: PlanInput['entries'][number], context: PlanContext): Classified {
  if (entry.invalid !== undefined)
    return { type: 'decided', decision: { recordId: entry.id, category: 'skipped', skipped: 'invalid', merged: false }, eligible: false };
  const { record, version } = entry;
  const novitaId = record.novitaInstanceId;
  const instance = novitaId === undefined ? undefined : context.listed.get(novitaId);
  const read: ReadRecord = { record, version, merged: instance !== undefined };
  const leftAlone = (skipped: 'outOfScope' | 'duplicate'): Classified => ({
    type: 'decided',
    decision: { recordId: record.id, category: 'skipped', skipped, merged: read.merged },
    eligible: false,
  });
  if (!(context.input.scope?.record?.(record) ?? true)) return leftAlone('outOfScope');
  if (novitaId !== undefined && (context.namedBy.get(novitaId) ?? 0) > 1) return leftAlone('duplicate');
  // Counted whether listed or not, before anything is decided: the records that should be alive.
  const young = inCreationGrace(record, context.input.now, context.input.policy);
  const eligible = novitaId !== undefined && record.status !== TERMINATED && !young;
  const decided = (decision: RecordDecision): Classified => ({ type: 'decided', decision, eligible });
  if (instance && !GONE_STATUSES.has(instance.status)) {
    return decided(refreshFrom(read, instance, record.status === TERMINATED ? 'instance-alive' : 'status-changed', context));
  }
  if (record.status === TERMINATED) {
    if (record.timestamps?.terminated === undefined) return decided(stampTerminatedDecision(read, instance, context.nowIso));
    return { type: 'retention', ...read, instance, eligible };
  }
  if (young) {
    // A record's age is never guessed: one of unknown age gets `firstSeen` now and counts from there.
    if (recordBornAt(record) === undefined) return decided(stampFirstSeenDecision(read, instance, context.nowIso));
    return decided({ recordId: record.id, category: 'skipped', skipped: 'grace', merged: read.merged });
  }
  if (novitaId === undefined && !isNeverStartedCandidate(record))
    return decided({ recordId: record.id, category: 'unchanged', merged: read.merged });
  return { type: 'obsolete', ...read, instance, eligible };
}

/** A record without a Novita id is a candidate only when it never started (its creation was abandoned). */
function isNeverStartedCandidate(record: ReadRecord['record']): boolean {
  return obsoleteReason(record, null) === 'never-started';
}

/**
 * Step 4's counts: the listing-based candidates (obsolete ones with a Novita id) and the records that
 * should be alive (with a Novita id, outside grace, not terminated: listed or not).
 */
function countCandidates(classified: readonly Classified[]): SafetyCounts {
  let listingCandidates = 0;
  let eligible = 0;
  for (const item of classified) {
    if (item.type === 'obsolete' && item.record.novitaInstanceId !== undefined) listingCandidates += 1;
    if (item.eligible) eligible += 1;
  }
  return { listingCandidates, eligible };
}

/**
 * Steps 5 to 7 for one candidate: held back (switch or safety), waiting for or failing its
 * confirmation, refreshed (the listing lagged), or removed or marked terminated.
 */
function decideCandidate(candidate: Candidate, held: HoldBack, context: PlanContext, toConfirm: Set<string>): RecordDecision {
  const { record, merged } = candidate;
  const { policy, now } = context.input;
  const novitaId = record.novitaInstanceId;
  if (candidate.type === 'retention') {
    if (!retentionExpired(record, now, policy)) return { recordId: record.id, category: 'unchanged', merged };
    if (held) return { recordId: record.id, merged, ...held };
  } else if (novitaId === undefined) {
    // A never-started record that Novita never gave an id does not rest on the listing: only the switch holds it back.
    if (!context.input.handleObsoleteInstances) return { recordId: record.id, category: 'unchanged', merged };
  } else if (held) {
    return { recordId: record.id, merged, ...held };
  }

  const confirmed = confirmGone(candidate, context, toConfirm);
  if (confirmed.kind !== 'gone') return confirmed.decision;
  if (candidate.type === 'retention') return removeDecision(candidate, 'retention-expired', confirmed.novitaStatus);
  const reason = obsoleteReason(record, confirmed.novitaStatus);
  return removeOrMark(reason, policy) === 'remove'
    ? removeDecision(candidate, reason, confirmed.novitaStatus)
    : markTerminatedDecision(candidate, reason, confirmed.novitaStatus, confirmed.proof, context.nowIso);
}

/** What Novita's answer proved, to keep on a terminated record: nothing when absence from the listing was all there was. */
type GoneAnswer = { kind: 'gone'; novitaStatus: string | null; proof: TerminationProof | undefined };

/**
 * Step 5: whether the candidate's instance is gone. Gone for sure: no Novita id, or listed as being
 * deleted. Absent from the listing: confirmed with `getInstance` when `confirmObsolete` (a `null`, or a
 * deleting status, confirms it; an alive instance means the listing lagged; an error proves nothing).
 */
function confirmGone(
  candidate: Candidate,
  context: PlanContext,
  toConfirm: Set<string>,
): GoneAnswer | { kind: 'not-gone'; decision: RecordDecision } {
  const { record, merged, instance } = candidate;
  const novitaId = record.novitaInstanceId;
  if (instance !== undefined)
    return { kind: 'gone', novitaStatus: instance.status, proof: { by: 'novita-deleting', novitaInstanceId: instance.id } };
  if (novitaId === undefined) return { kind: 'gone', novitaStatus: null, proof: undefined };
  // A retention candidate terminated on Novita's proof is not asked about again: Novita does not reuse ids.
  if (candidate.type === 'retention' && hasTerminationProof(record))
    return { kind: 'gone', novitaStatus: null, proof: record.terminationProof };
  if (!context.input.policy.confirmObsolete) {
    // Absence from an unproven listing proves nothing: without a confirmation it is not acted on.
    if (context.input.listingComplete === false)
      return { kind: 'not-gone', decision: { recordId: record.id, category: 'skipped', skipped: 'unproven', merged } };
    return { kind: 'gone', novitaStatus: null, proof: undefined };
  }
  const answer: Confirmation | undefined = context.input.confirmations?.get(novitaId);
  if (!answer) {
    toConfirm.add(novitaId);
    return { kind: 'not-gone', decision: { recordId: record.id, category: 'pending', merged } };
  }
  if (answer.kind === 'error') return { kind: 'not-gone', decision: { recordId: record.id, category: 'unverified', merged } };
  if (answer.kind === 'not-found')
    return { kind: 'gone', novitaStatus: null, proof: { by: 'novita-not-found', novitaInstanceId: novitaId } };
  if (GONE_STATUSES.has(answer.instance.status))
    return { kind: 'gone', novitaStatus: answer.instance.status, proof: { by: 'novita-deleting', novitaInstanceId: novitaId } };
  return { kind: 'not-gone', decision: refreshFrom(candidate, answer.instance, 'listing-lagged', context) };
}

/** Step 2 for a record whose instance is alive: refreshed (or stamped, or unchanged), and told stuck when it is (step 8). */
function refreshFrom(
  read: ReadRecord,
  instance: NovitaInstance,
  reason: 'status-changed' | 'instance-alive' | 'listing-lagged',
  context: PlanContext,
): RecordDecision {
  const decision = refreshDecision(read, instance, reason, context.statusMap, context.nowIso);
  const stuck = stuckRecord(read.record, instance, context.input.now, context.input.policy, context.transitional);
  return stuck ? { ...decision, stuck } : decision;
}

/**
 * Step 8: instances that no record names. Those in scope (the orphans) are reported, ignored or
 * adopted; those outside it are reported with `owned: false`, never adopted. Each reported one carries
 * its age (from the listing's `createdAt`, else from `instanceDetails`; an owned one without either is
 * named in `toAge`) and its price.
 */
function handleNovitaOnly(context: PlanContext): Pick<Plan, 'adoptions' | 'novitaOnly' | 'unadoptedNovitaOnly' | 'orphans' | 'toAge'> {
  const { input } = context;
  const adoptions: PlannedAction[] = [];
  const novitaOnly: NovitaOnlyInstance[] = [];
  const toAge: string[] = [];
  let unadoptedNovitaOnly = 0;
  let priced = 0;
  let costPerHour = 0;
  for (const instance of context.listed.values()) {
    if (context.namedBy.has(instance.id)) continue;
    const owned = input.scope?.instance?.(instance) ?? true;
    const verdict = novitaOnlyVerdict(instance, input.now, input.policy, context.statusMap);
    if (verdict.kind === 'being-deleted') continue;
    if (owned && verdict.kind === 'adopt') {
      adoptions.push(adoptAction(input.adoptRecord(instance), instance, verdict.status, context.nowIso));
      continue;
    }
    if (owned) unadoptedNovitaOnly += 1;
    if (verdict.kind === 'ignore') continue;
    const createdAt = instanceCreatedAt(instance) ?? ageFromDetails(instance.id, input.instanceDetails);
    if (createdAt === undefined && owned && !input.instanceDetails?.has(instance.id)) toAge.push(instance.id);
    const price = input.priceOf?.(instance);
    if (owned && price !== undefined) {
      priced += 1;
      costPerHour += price;
    }
    novitaOnly.push({
      novitaInstanceId: instance.id,
      name: typeof instance.name === 'string' ? instance.name : null,
      status: instance.status,
      ageMinutes: createdAt === undefined ? null : wholeMinutesSince(createdAt, input.now),
      owned,
      costPerHour: price ?? null,
    });
  }
  const orphans: OrphanSummary = {
    count: unadoptedNovitaOnly,
    // Prices are in whole 1/100,000 USD at Novita: the sum is rounded there, so float noise never shows.
    costPerHour: priced === 0 ? (unadoptedNovitaOnly === 0 ? 0 : null) : Math.round(costPerHour * 100_000) / 100_000,
    unpriced: unadoptedNovitaOnly - priced,
  };
  return { adoptions, novitaOnly, unadoptedNovitaOnly, orphans, toAge };
}

/** When Novita created the instance, by its `getInstance` answer (when the run asked). */
function ageFromDetails(id: string, details: PlanInput['instanceDetails']): number | undefined {
  const detail = details?.get(id);
  return detail ? instanceCreatedAt(detail) : undefined;
}
