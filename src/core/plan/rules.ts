/**
 * The planner's decision rules: small pure functions, each deciding one question the policy answers, each
 * with its own table test (test/core/plan/rules.test.ts). The planner (planner.ts) computes the
 * candidates; these filter and shape what happens to them, in the manner of external-dns `plan/policy.go`.
 */
import { GONE_STATUSES, type NovitaInstance } from '../ports/novita-client.js';
import type { SyncPolicy } from '../config/sync-policy.js';
import type { InstanceRecord } from '../record.js';
import type { ActionReason, SafetyReport } from '../../report.js';
import { mapStatus, type StatusRule } from './status-map.js';
import type { PlannedCategory, SkipReason } from './plan-types.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const NEVER_STARTED_STATUSES: ReadonlySet<string> = new Set(['creating', 'created', 'starting']);

/** When a record came to be: `created`, else `firstSeen`; `undefined` when neither is readable (never guessed). */
export function recordBornAt(record: InstanceRecord): number | undefined {
  return parseTime(record.timestamps?.created) ?? parseTime(record.timestamps?.firstSeen);
}

/** Creation grace (step 3): a record younger than `creationGraceMinutes`, or of unknown age, is never obsolete. */
export function inCreationGrace(record: InstanceRecord, now: Date, policy: Pick<SyncPolicy, 'creationGraceMinutes'>): boolean {
  const born = recordBornAt(record);
  return born === undefined || now.getTime() - born < policy.creationGraceMinutes * MINUTE;
}

/** A record that never got a started instance: `creating`/`created`/`starting` without `timestamps.started`. */
export function neverStarted(record: InstanceRecord): boolean {
  return NEVER_STARTED_STATUSES.has(record.status) && record.timestamps?.started === undefined;
}

/** The counts the safety limit is decided on. */
export interface SafetyCounts {
  /** Obsolete candidates whose candidacy rests on the listing (they have a Novita id). */
  listingCandidates: number;
  /** Records that should be alive: with a Novita id, outside grace, not terminated. */
  eligible: number;
}

/**
 * The safety limit (step 4), counted before any confirmation: it trips when the listing-based
 * candidates exceed `maxObsoleteFraction` of the records that should be alive, and those number at
 * least `safetyMinRecords`.
 */
export function safetyLimit(
  counts: SafetyCounts,
  policy: Pick<SyncPolicy, 'maxObsoleteFraction' | 'safetyMinRecords'>,
  forceSync: boolean,
): SafetyReport {
  const { listingCandidates, eligible } = counts;
  const tripped = listingCandidates > 0 && eligible >= policy.safetyMinRecords && listingCandidates > policy.maxObsoleteFraction * eligible;
  return {
    tripped,
    candidates: listingCandidates,
    eligible,
    overridden: tripped && forceSync,
    ...(tripped
      ? {
          reason: `${listingCandidates} of ${eligible} records that should be alive look obsolete, more than maxObsoleteFraction ${policy.maxObsoleteFraction}${forceSync ? '; forceSync overrode the limit' : '; nothing based on absence from the listing happens this run'}`,
        }
      : {}),
  };
}

/** What holds a listing-based candidate back: the obsolete switch (`handleObsoleteInstances: false`) or a tripped, unforced safety limit. */
export type HoldBack =
  | { category: Extract<PlannedCategory, 'unchanged'> }
  | { category: 'skipped'; skipped: Extract<SkipReason, 'safety'> }
  | undefined;

/** The obsolete switch, then the safety limit: whether candidates that rest on the listing are held back this run. */
export function holdBack(handleObsoleteInstances: boolean, safety: SafetyReport): HoldBack {
  if (!handleObsoleteInstances) return { category: 'unchanged' };
  if (safety.tripped && !safety.overridden) return { category: 'skipped', skipped: 'safety' };
  return undefined;
}

/** Why a confirmed obsolete record goes (step 6). */
export function obsoleteReason(record: InstanceRecord, goneStatus: string | null): ActionReason {
  if (neverStarted(record)) return 'never-started';
  return goneStatus === null ? 'instance-not-found' : 'instance-deleted';
}

/** Remove or mark (step 6): removed when `removeObsoleteInstances` or when it never started; otherwise marked terminated. */
export function removeOrMark(reason: ActionReason, policy: Pick<SyncPolicy, 'removeObsoleteInstances'>): 'remove' | 'mark' {
  return policy.removeObsoleteInstances || reason === 'never-started' ? 'remove' : 'mark';
}

/** Retention (step 7): a terminated record whose `timestamps.terminated` is older than `obsoleteRetentionDays`. */
export function retentionExpired(record: InstanceRecord, now: Date, policy: Pick<SyncPolicy, 'obsoleteRetentionDays'>): boolean {
  const terminatedAt = parseTime(record.timestamps?.terminated);
  return terminatedAt !== undefined && now.getTime() - terminatedAt > policy.obsoleteRetentionDays * DAY;
}

/**
 * What happens to an instance that no record names (step 8). `ignore` and `report` both leave it
 * unadopted (it counts in `totalInstances`); `being-deleted` leaves it out of everything.
 */
export type NovitaOnlyVerdict = { kind: 'adopt'; status: string } | { kind: 'report' } | { kind: 'ignore' } | { kind: 'being-deleted' };

/**
 * Novita-only handling (step 8): instances being deleted are ignored; `novitaOnly: 'adopt'` adopts an
 * instance only when its status maps and its `createdAt` is known and older than the grace period (a
 * younger one may be one the app just created and has not recorded yet: adopting it would leave two
 * records naming one instance); otherwise it is reported, unless the policy ignores them.
 */
export function novitaOnlyVerdict(
  instance: NovitaInstance,
  now: Date,
  policy: Pick<SyncPolicy, 'novitaOnly' | 'creationGraceMinutes'>,
  statusMap: ReadonlyMap<string, StatusRule>,
): NovitaOnlyVerdict {
  if (GONE_STATUSES.has(instance.status)) return { kind: 'being-deleted' };
  if (policy.novitaOnly === 'adopt') {
    const verdict = mapStatus(statusMap, instance.status, '');
    const createdAt = parseTime(instance.createdAt);
    const oldEnough = createdAt !== undefined && now.getTime() - createdAt >= policy.creationGraceMinutes * MINUTE;
    if (verdict.kind === 'mapped' && oldEnough) return { kind: 'adopt', status: verdict.status };
  }
  return policy.novitaOnly === 'ignore' ? { kind: 'ignore' } : { kind: 'report' };
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
