/**
 * The decisions that write a record, each building the next version of the record and the
 * conditional write that carries it. Pure; every write stamps `timestamps.updated`.
 */
import { GONE_STATUSES, type NovitaInstance } from '../ports/novita-client.js';
import type { InstanceRecord, TerminationProof } from '../record.js';
import type { ActionReason } from '../../report.js';
import { mapStatus, type StatusRule } from './status-map.js';
import type { PlannedAction, RecordDecision } from './plan-types.js';

/** The local status the reconciler gives a record whose instance is gone. */
export const TERMINATED = 'terminated';

/** A record as read, with the version its write must match. */
export interface ReadRecord {
  record: InstanceRecord;
  version: string;
  /** Whether the record names an instance present in the listing. */
  merged: boolean;
}

/** Step 2: the record refreshed from an instance that is alive (or left unchanged when nothing differs). */
export function refreshDecision(
  read: ReadRecord,
  instance: NovitaInstance,
  reason: ActionReason,
  statusMap: ReadonlyMap<string, StatusRule>,
  nowIso: string,
): RecordDecision {
  const { record, merged } = read;
  const verdict = mapStatus(statusMap, instance.status, record.status);
  if (verdict.kind !== 'mapped') return { recordId: record.id, category: 'skipped', skipped: 'unknownStatus', merged };
  if (verdict.status === record.status && instance.status === record.novitaStatus)
    return { recordId: record.id, category: 'unchanged', merged };
  const next = cloneForWrite(record, nowIso);
  next.status = verdict.status;
  next.novitaStatus = instance.status;
  const timestamps = next.timestamps ?? {};
  if (typeof instance.lastStartedAt === 'string') timestamps.started = instance.lastStartedAt;
  if (typeof instance.lastStoppedAt === 'string') timestamps.stopped = instance.lastStoppedAt;
  const revived = record.status === TERMINATED;
  if (revived) {
    // The termination was wrong (the instance is alive): the record is no longer terminated, and a
    // stale stamp must not make retention remove it early if it is terminated again.
    delete timestamps.terminated;
    delete next.terminationReason;
    delete next.terminationProof;
  }
  next.timestamps = timestamps;
  return {
    recordId: record.id,
    category: 'updated',
    merged,
    action: action(
      'refresh',
      read,
      next,
      verdict.status,
      revived && reason === 'status-changed' ? 'instance-alive' : reason,
      instance.status,
      instance.id,
    ),
  };
}

/** A terminated record without `timestamps.terminated` gets one, so that retention can count from it. */
export function stampTerminatedDecision(read: ReadRecord, instance: NovitaInstance | undefined, nowIso: string): RecordDecision {
  const next = cloneForWrite(read.record, nowIso);
  next.timestamps = { ...next.timestamps, terminated: nowIso };
  return {
    recordId: read.record.id,
    category: 'updated',
    merged: read.merged,
    action: action('stampTerminated', read, next, TERMINATED, 'terminated-timestamp-missing', instance?.status ?? null),
  };
}

/** Step 3: the run that first sees a record without a readable `created` stamps when; the record stays in grace. */
export function stampFirstSeenDecision(read: ReadRecord, instance: NovitaInstance | undefined, nowIso: string): RecordDecision {
  const next = cloneForWrite(read.record, nowIso);
  next.timestamps = { ...next.timestamps, firstSeen: nowIso };
  return {
    recordId: read.record.id,
    category: 'skipped',
    skipped: 'grace',
    merged: read.merged,
    action: action('stampFirstSeen', read, next, read.record.status, 'created-timestamp-missing', instance?.status ?? null),
  };
}

/** Steps 6 and 7: the record is deleted. */
export function removeDecision(read: ReadRecord, reason: ActionReason, novitaStatus: string | null): RecordDecision {
  const { record, version, merged } = read;
  return {
    recordId: record.id,
    category: 'removed',
    merged,
    action: {
      kind: 'remove',
      recordId: record.id,
      novitaInstanceId: record.novitaInstanceId ?? null,
      from: record.status,
      to: null,
      reason,
      novitaStatus,
      destructive: true,
      write: { op: 'delete', id: record.id, expectedVersion: version },
    },
  };
}

/**
 * Step 6: the record is marked terminated, with `timestamps.terminated` stamped now (kept only when
 * the record is already terminated: a stamp the application left on a record it revived is stale, and
 * retention counting from it would remove the record on the very next run), the reason, and the proof
 * Novita gave, when it gave one (retention then needs no second confirmation).
 */
export function markTerminatedDecision(
  read: ReadRecord,
  reason: ActionReason,
  novitaStatus: string | null,
  proof: TerminationProof | undefined,
  nowIso: string,
): RecordDecision {
  const next = cloneForWrite(read.record, nowIso);
  next.status = TERMINATED;
  if (novitaStatus !== null) next.novitaStatus = novitaStatus;
  const alreadyTerminated = read.record.status === TERMINATED ? read.record.timestamps?.terminated : undefined;
  next.timestamps = { ...next.timestamps, terminated: alreadyTerminated ?? nowIso };
  next.terminationReason = reason;
  if (proof !== undefined) next.terminationProof = proof;
  else delete next.terminationProof;
  return {
    recordId: read.record.id,
    category: 'markedTerminated',
    merged: read.merged,
    action: action('markTerminated', read, next, TERMINATED, reason, novitaStatus),
  };
}

/** Step 8: the record created for an adopted Novita-only instance, with the fields the library owns filled whatever `adoptRecord` returned. */
export function adoptAction(base: InstanceRecord, instance: NovitaInstance, status: string, nowIso: string): PlannedAction {
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
  return {
    kind: 'adopt',
    recordId: record.id,
    novitaInstanceId: instance.id,
    from: null,
    to: record.status,
    reason: 'novita-only',
    novitaStatus: instance.status,
    destructive: false,
    write: { op: 'put', id: record.id, record, expectedVersion: null },
  };
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

function action(
  kind: 'refresh' | 'stampTerminated' | 'stampFirstSeen' | 'markTerminated',
  read: ReadRecord,
  next: InstanceRecord,
  to: string,
  reason: ActionReason,
  novitaStatus: string | null,
  novitaInstanceId: string | null = read.record.novitaInstanceId ?? null,
): PlannedAction {
  return {
    kind,
    recordId: read.record.id,
    novitaInstanceId,
    from: read.record.status,
    to,
    reason,
    novitaStatus,
    destructive: kind === 'markTerminated',
    write: { op: 'put', id: read.record.id, record: next, expectedVersion: read.version },
  };
}

/** A JSON copy of the record with `timestamps.updated` set: every write the reconciler makes stamps it. */
function cloneForWrite(record: InstanceRecord, nowIso: string): InstanceRecord {
  const next = JSON.parse(JSON.stringify(record)) as InstanceRecord;
  next.timestamps = { ...next.timestamps, updated: nowIso };
  return next;
}

/** Whether Novita's status says the instance is being deleted or is deleted. */
export const isGoneStatus = (status: string): boolean => GONE_STATUSES.has(status);
