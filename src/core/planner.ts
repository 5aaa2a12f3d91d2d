/**
 * The reconcile planner: a pure function of (stored records, a complete Novita listing, the policy,
 * the time, and any confirmations already fetched) that decides, for every record, what the run does.
 * It never reads a clock, the environment, the store or the network: the reconciler does the I/O and
 * calls it (twice when candidates need confirming with `getInstance`).
 */
import type { InstanceRecord } from './record.js';
import type { ConditionalWrite, StoreEntry } from './store.js';
import { GONE_STATUSES, type NovitaInstance } from './novita-instance.js';
import type { SyncPolicy } from './policy.js';
import { buildStatusMap, mapStatus } from './status-map.js';
import type { ActionReason, NovitaOnlyInstance, SafetyReport, SkippedCounts, SyncAction } from './report.js';

/** What Novita said when asked about one instance absent from the listing. */
export type Confirmation =
  | { kind: 'found'; instance: NovitaInstance }
  | { kind: 'not-found' }
  | { kind: 'error'; message: string };

/** Limits a reconciler to the records and instances it owns. */
export interface SyncScope {
  /** Whether this reconciler owns the record. Records it does not own are never touched. */
  record?: (record: InstanceRecord) => boolean;
  /** Whether this reconciler owns the instance. Instances it does not own are never adopted or reported. */
  instance?: (instance: NovitaInstance) => boolean;
}

/** Everything the planner decides from. */
export interface PlanInput {
  /** Every stored entry, as read (valid or not). */
  entries: readonly StoreEntry[];
  /** A complete Novita listing (the reconciler rejects an incomplete one before planning). */
  instances: readonly NovitaInstance[];
  policy: SyncPolicy;
  now: Date;
  /** `false` refreshes statuses but leaves obsolete records (and retention) alone. */
  handleObsoleteInstances: boolean;
  /** Proceed with obsolete handling even when the safety limit trips. */
  forceSync: boolean;
  scope?: SyncScope;
  /** Builds the record for an adopted instance. */
  adoptRecord: (instance: NovitaInstance) => InstanceRecord;
  /** Answers of `getInstance` for instances absent from the listing, by Novita id. */
  confirmations?: ReadonlyMap<string, Confirmation>;
}

/** Which report category a record lands in, before the writes are applied. */
export type PlannedCategory =
  | 'updated'
  | 'markedTerminated'
  | 'removed'
  | 'unchanged'
  | 'unverified'
  | 'pending'
  | `skipped.${keyof SkippedCounts}`;

/** A decided action with the write that carries it out. */
export interface PlannedAction extends Omit<SyncAction, 'outcome'> {
  /** Whether the action destroys or hides a record (mark terminated, remove). */
  destructive: boolean;
  write: ConditionalWrite;
}

/** The planner's decision for one stored record. */
export interface RecordDecision {
  recordId: string;
  category: PlannedCategory;
  /** Whether the record names an instance present in the listing. */
  merged: boolean;
  action?: PlannedAction;
}

/** What the planner returns. */
export interface Plan {
  /** One decision per stored entry, in the order read. */
  decisions: RecordDecision[];
  /** Creations for adopted Novita-only instances. */
  adoptions: PlannedAction[];
  /** Novita-only instances reported (not adopted). */
  novitaOnly: NovitaOnlyInstance[];
  /** Novita-only instances in scope that were ignored or could not be adopted (they count in `totalInstances`). */
  unadoptedNovitaOnly: number;
  /** Novita ids absent from the listing that must be confirmed with `getInstance` before the plan is final. */
  toConfirm: string[];
  safety: SafetyReport;
  obsoleteCandidates: number;
}

const NEVER_STARTED_STATUSES: ReadonlySet<string> = new Set(['creating', 'created', 'starting']);
const TERMINATED = 'terminated';
const MINUTE = 60_000;
const DAY = 86_400_000;

/** Decides what one reconcile run does. Pure: same input, same plan. */
export function planSync(input: PlanInput): Plan {
  const { policy, now } = input;
  const nowIso = now.toISOString();
  const statusMap = buildStatusMap(policy.statusMap);
  const listed = new Map<string, NovitaInstance>();
  for (const instance of input.instances) if (!listed.has(instance.id)) listed.set(instance.id, instance);

  const inScope = (record: InstanceRecord): boolean => input.scope?.record?.(record) ?? true;
  const instanceInScope = (instance: NovitaInstance): boolean => input.scope?.instance?.(instance) ?? true;

  // Every Novita id any valid record names, in scope or not: an instance a record names is never "Novita-only".
  const namedBy = new Map<string, number>();
  for (const entry of input.entries) {
    const id = entry.record?.novitaInstanceId;
    if (id !== undefined) namedBy.set(id, (namedBy.get(id) ?? 0) + 1);
  }

  const graceMs = policy.creationGraceMinutes * MINUTE;
  // A record's age is never guessed: without a readable `created` it counts from `firstSeen`, and a
  // record with neither is young (the app may be about to link it to an instance it is creating).
  const bornAt = (record: InstanceRecord): number | undefined => parseTime(record.timestamps?.created) ?? parseTime(record.timestamps?.firstSeen);
  const inGrace = (record: InstanceRecord): boolean => {
    const born = bornAt(record);
    return born === undefined || now.getTime() - born < graceMs;
  };
  const neverStarted = (record: InstanceRecord): boolean =>
    NEVER_STARTED_STATUSES.has(record.status) && record.timestamps?.started === undefined;

  // First pass: classify every record, counting obsolete candidates before any confirmation.
  type Pending =
    | { type: 'done'; decision: RecordDecision }
    | { type: 'obsolete'; record: InstanceRecord; version: string; instance: NovitaInstance | undefined }
    | { type: 'retention'; record: InstanceRecord; version: string; instance: NovitaInstance | undefined };
  const pending: Pending[] = [];
  // Candidates that rest on the listing (the ones the safety limit is about), and all candidates.
  let listingCandidates = 0;
  let candidates = 0;
  let eligible = 0;

  for (const entry of input.entries) {
    if (entry.invalid !== undefined) {
      pending.push({ type: 'done', decision: { recordId: entry.id, category: 'skipped.invalid', merged: false } });
      continue;
    }
    const { record, version } = entry;
    const novitaId = record.novitaInstanceId;
    const instance = novitaId === undefined ? undefined : listed.get(novitaId);
    const merged = instance !== undefined;
    if (!inScope(record)) {
      pending.push({ type: 'done', decision: { recordId: entry.id, category: 'skipped.outOfScope', merged } });
      continue;
    }
    if (novitaId !== undefined && (namedBy.get(novitaId) ?? 0) > 1) {
      pending.push({ type: 'done', decision: { recordId: entry.id, category: 'skipped.duplicate', merged } });
      continue;
    }
    const young = inGrace(record);
    // The records that should be alive: the denominator of the safety limit, whether listed or not.
    if (novitaId !== undefined && !young && record.status !== TERMINATED) eligible += 1;
    if (instance && !GONE_STATUSES.has(instance.status)) {
      pending.push({ type: 'done', decision: refresh(record, version, instance, record.status === TERMINATED ? 'instance-alive' : 'status-changed', true) });
      continue;
    }
    if (record.status === TERMINATED) {
      if (record.timestamps?.terminated === undefined) {
        pending.push({ type: 'done', decision: stamp(record, version, instance) });
      } else {
        pending.push({ type: 'retention', record, version, instance });
      }
      continue;
    }
    if (young) {
      pending.push({ type: 'done', decision: bornAt(record) === undefined ? stampFirstSeen(record, version, instance) : { recordId: record.id, category: 'skipped.grace', merged } });
      continue;
    }
    if (novitaId === undefined && !neverStarted(record)) {
      pending.push({ type: 'done', decision: { recordId: record.id, category: 'unchanged', merged } });
      continue;
    }
    if (novitaId !== undefined) listingCandidates += 1;
    candidates += 1;
    pending.push({ type: 'obsolete', record, version, instance });
  }

  const tripped = listingCandidates > 0 && eligible >= policy.safetyMinRecords && listingCandidates > policy.maxObsoleteFraction * eligible;
  const safety: SafetyReport = {
    tripped,
    candidates: listingCandidates,
    eligible,
    overridden: tripped && input.forceSync,
    ...(tripped
      ? {
          reason: `${listingCandidates} of ${eligible} records that should be alive look obsolete, more than maxObsoleteFraction ${policy.maxObsoleteFraction}${input.forceSync ? '; forceSync overrode the limit' : '; nothing based on absence from the listing happens this run'}`,
        }
      : {}),
  };
  const heldBySafety = tripped && !input.forceSync;
  const holdBack: PlannedCategory | undefined = !input.handleObsoleteInstances ? 'unchanged' : heldBySafety ? 'skipped.safety' : undefined;

  const toConfirm = new Set<string>();
  const decisions: RecordDecision[] = pending.map((item) => {
    if (item.type === 'done') return item.decision;
    const { record, version, instance } = item;
    const novitaId = record.novitaInstanceId;
    const merged = instance !== undefined;
    if (item.type === 'retention') {
      const terminatedAt = parseTime(record.timestamps?.terminated);
      const expired = terminatedAt !== undefined && now.getTime() - terminatedAt > policy.obsoleteRetentionDays * DAY;
      if (!expired) return { recordId: record.id, category: 'unchanged', merged };
      if (holdBack) return { recordId: record.id, category: holdBack, merged };
    } else if (novitaId === undefined) {
      // A never-started record that Novita never gave an id does not rest on the listing: only the switch holds it back.
      if (!input.handleObsoleteInstances) return { recordId: record.id, category: 'unchanged', merged };
    } else if (holdBack) {
      return { recordId: record.id, category: holdBack, merged };
    }

    // Gone for sure: no Novita id, or listed as being deleted. Otherwise absent: confirm when asked to.
    let goneStatus: string | null = instance ? instance.status : null;
    if (novitaId !== undefined && instance === undefined && policy.confirmObsolete) {
      const answer = input.confirmations?.get(novitaId);
      if (!answer) {
        toConfirm.add(novitaId);
        return { recordId: record.id, category: 'pending', merged };
      }
      if (answer.kind === 'error') return { recordId: record.id, category: 'unverified', merged };
      if (answer.kind === 'found') {
        if (!GONE_STATUSES.has(answer.instance.status)) {
          return refresh(record, version, answer.instance, 'listing-lagged', false);
        }
        goneStatus = answer.instance.status;
      }
    }

    const remove = (reason: ActionReason): RecordDecision => ({
      recordId: record.id,
      category: 'removed',
      merged,
      action: {
        kind: 'remove',
        recordId: record.id,
        novitaInstanceId: novitaId ?? null,
        from: record.status,
        to: null,
        reason,
        novitaStatus: goneStatus,
        destructive: true,
        write: { op: 'delete', id: record.id, expectedVersion: version },
      },
    });
    if (item.type === 'retention') return remove('retention-expired');

    const reason: ActionReason = neverStarted(record) ? 'never-started' : goneStatus === null ? 'instance-not-found' : 'instance-deleted';
    if (policy.removeObsoleteInstances || reason === 'never-started') return remove(reason);
    const next = cloneForWrite(record, nowIso);
    next.status = TERMINATED;
    if (goneStatus !== null) next.novitaStatus = goneStatus;
    next.timestamps = { ...next.timestamps, terminated: record.timestamps?.terminated ?? nowIso };
    next.terminationReason = reason;
    return {
      recordId: record.id,
      category: 'markedTerminated',
      merged,
      action: {
        kind: 'markTerminated',
        recordId: record.id,
        novitaInstanceId: novitaId ?? null,
        from: record.status,
        to: TERMINATED,
        reason,
        novitaStatus: goneStatus,
        destructive: true,
        write: { op: 'put', id: record.id, record: next, expectedVersion: version },
      },
    };
  });

  // Novita-only instances: in scope, not being deleted, named by no record.
  const adoptions: PlannedAction[] = [];
  const novitaOnly: NovitaOnlyInstance[] = [];
  let unadoptedNovitaOnly = 0;
  for (const instance of listed.values()) {
    if (namedBy.has(instance.id) || GONE_STATUSES.has(instance.status) || !instanceInScope(instance)) continue;
    const verdict = mapStatus(statusMap, instance.status, '');
    // A young instance may be one the application just created and has not recorded yet: adopting it
    // would leave two records naming one instance. Adopt only what is known to be older than the grace.
    const createdAt = parseTime(instance.createdAt);
    const oldEnough = createdAt !== undefined && now.getTime() - createdAt >= graceMs;
    if (policy.novitaOnly === 'adopt' && verdict.kind === 'mapped' && oldEnough) {
      const record = adoptedRecord(input.adoptRecord(instance), instance, verdict.status, nowIso);
      adoptions.push({
        kind: 'adopt',
        recordId: record.id,
        novitaInstanceId: instance.id,
        from: null,
        to: record.status,
        reason: 'novita-only',
        novitaStatus: instance.status,
        destructive: false,
        write: { op: 'put', id: record.id, record, expectedVersion: null },
      });
      continue;
    }
    unadoptedNovitaOnly += 1;
    if (policy.novitaOnly !== 'ignore') {
      novitaOnly.push({ novitaInstanceId: instance.id, name: typeof instance.name === 'string' ? instance.name : null, status: instance.status });
    }
  }

  return { decisions, adoptions, novitaOnly, unadoptedNovitaOnly, toConfirm: [...toConfirm], safety, obsoleteCandidates: candidates };

  function refresh(record: InstanceRecord, version: string, instance: NovitaInstance, reason: ActionReason, merged: boolean): RecordDecision {
    const verdict = mapStatus(statusMap, instance.status, record.status);
    if (verdict.kind !== 'mapped') return { recordId: record.id, category: 'skipped.unknownStatus', merged };
    if (verdict.status === record.status && instance.status === record.novitaStatus) {
      return { recordId: record.id, category: 'unchanged', merged };
    }
    const next = cloneForWrite(record, nowIso);
    next.status = verdict.status;
    next.novitaStatus = instance.status;
    const timestamps = next.timestamps ?? {};
    if (typeof instance.lastStartedAt === 'string') timestamps.started = instance.lastStartedAt;
    if (typeof instance.lastStoppedAt === 'string') timestamps.stopped = instance.lastStoppedAt;
    if (record.status === TERMINATED) {
      // The termination was wrong (the instance is alive): the record is no longer terminated.
      delete timestamps.terminated;
      delete next.terminationReason;
    }
    next.timestamps = timestamps;
    return {
      recordId: record.id,
      category: 'updated',
      merged,
      action: {
        kind: 'refresh',
        recordId: record.id,
        novitaInstanceId: instance.id,
        from: record.status,
        to: verdict.status,
        reason: record.status === TERMINATED && reason === 'status-changed' ? 'instance-alive' : reason,
        novitaStatus: instance.status,
        destructive: false,
        write: { op: 'put', id: record.id, record: next, expectedVersion: version },
      },
    };
  }

  /** The run that first sees a record without a readable `created` stamps when; the record stays in grace. */
  function stampFirstSeen(record: InstanceRecord, version: string, instance: NovitaInstance | undefined): RecordDecision {
    const next = cloneForWrite(record, nowIso);
    next.timestamps = { ...next.timestamps, firstSeen: nowIso };
    return {
      recordId: record.id,
      category: 'skipped.grace',
      merged: instance !== undefined,
      action: {
        kind: 'stampFirstSeen',
        recordId: record.id,
        novitaInstanceId: record.novitaInstanceId ?? null,
        from: record.status,
        to: record.status,
        reason: 'created-timestamp-missing',
        novitaStatus: instance?.status ?? null,
        destructive: false,
        write: { op: 'put', id: record.id, record: next, expectedVersion: version },
      },
    };
  }

  function stamp(record: InstanceRecord, version: string, instance: NovitaInstance | undefined): RecordDecision {
    const next = cloneForWrite(record, nowIso);
    next.timestamps = { ...next.timestamps, terminated: nowIso };
    return {
      recordId: record.id,
      category: 'updated',
      merged: instance !== undefined,
      action: {
        kind: 'stampTerminated',
        recordId: record.id,
        novitaInstanceId: record.novitaInstanceId ?? null,
        from: TERMINATED,
        to: TERMINATED,
        reason: 'terminated-timestamp-missing',
        novitaStatus: instance?.status ?? null,
        destructive: false,
        write: { op: 'put', id: record.id, record: next, expectedVersion: version },
      },
    };
  }
}

/** A JSON copy of the record with `timestamps.updated` set: every write the reconciler makes stamps it. */
function cloneForWrite(record: InstanceRecord, nowIso: string): InstanceRecord {
  const next = JSON.parse(JSON.stringify(record)) as InstanceRecord;
  next.timestamps = { ...next.timestamps, updated: nowIso };
  return next;
}

/** Fills the fields the library owns on an adopted record, whatever `adoptRecord` returned. */
function adoptedRecord(base: InstanceRecord, instance: NovitaInstance, status: string, nowIso: string): InstanceRecord {
  const record = JSON.parse(JSON.stringify(base)) as InstanceRecord;
  record.novitaInstanceId = instance.id;
  record.status = status;
  record.novitaStatus = instance.status;
  const timestamps = { ...record.timestamps };
  timestamps.created ??= typeof instance.createdAt === 'string' ? instance.createdAt : nowIso;
  if (typeof instance.lastStartedAt === 'string') timestamps.started = instance.lastStartedAt;
  if (typeof instance.lastStoppedAt === 'string') timestamps.stopped = instance.lastStoppedAt;
  timestamps.updated = nowIso;
  record.timestamps = timestamps;
  return record;
}

/** The default `adoptRecord`: the record id is the Novita id, and the instance's name is kept. */
export function defaultAdoptRecord(instance: NovitaInstance): InstanceRecord {
  return {
    id: instance.id,
    status: instance.status,
    ...(typeof instance.name === 'string' ? { name: instance.name } : {}),
    adopted: true,
  };
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
