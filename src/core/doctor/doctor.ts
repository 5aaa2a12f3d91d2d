/**
 * The doctor's shared shapes, and its one pure check (the resolved policy). The checks that talk to
 * Novita live in the Novita adapter (`novita-reconciler/novita`), the store's in the Redis adapter
 * (`novita-reconciler/redis`); `novita-reconcile doctor` runs them all. Every check is read-only, and
 * nothing in a check's text is a secret: it is meant to be pasted into a bug report.
 */
import type { SyncPolicy } from '../config/sync-policy.js';

/** How a check came out: `fail` makes `novita-reconcile doctor` exit 1. */
export type DoctorStatus = 'ok' | 'warn' | 'fail';

/** One check of a setup. */
export interface DoctorCheck {
  /** Stable name, for machines: `novita.key`, `novita.listing`, `novita.not-found`, `store.records`, ... */
  id: string;
  /** What was checked, for a person: "API key", "Listing shape". */
  title: string;
  /** `ok`, `warn` (works, but look), or `fail` (a run will fail, or cannot do its job). */
  status: DoctorStatus;
  /** One line: what was found. */
  why: string;
  /** One line: what to do about it; absent when nothing needs doing. */
  todo?: string;
  /** What the check measured, for `--json` (never a secret, never an instance's values). */
  details?: Record<string, unknown>;
}

/** A doctor's findings. */
export interface DoctorReport {
  /** `false` when any check failed. */
  ok: boolean;
  /** Every check, in the order they ran. */
  checks: DoctorCheck[];
}

/** Builds a {@link DoctorReport}: not ok when a check failed. */
export function doctorReport(checks: readonly DoctorCheck[]): DoctorReport {
  return { ok: checks.every((check) => check.status !== 'fail'), checks: [...checks] };
}

/** What the Novita checks found that changes what the policy means. */
export interface PolicyCheckContext {
  /** Whether Novita announced a `total` on its listing (`undefined`: not known). */
  listingHasTotal?: boolean | undefined;
  /** Whether Novita's not-found answer matches the rule that proves an instance gone (`undefined`: not known). */
  notFoundProves?: boolean | undefined;
}

/**
 * The resolved policy in one line, with a warning when it cannot do what it says on this account: a
 * listing that can never be proven complete with `confirmObsolete: false` holds every absence-based
 * action back, every run.
 */
export function checkPolicy(policy: SyncPolicy, context: PolicyCheckContext = {}): DoctorCheck {
  const mapped = Object.keys(policy.statusMap);
  // Every field of the resolved policy (the status map by the statuses it overrides), so that a field
  // added to the policy is never left out of a bug report.
  const details: Record<string, unknown> = { ...policy, statusMap: mapped };
  const line = [
    policy.removeObsoleteInstances ? 'obsolete records removed' : 'obsolete records marked terminated',
    `retention ${policy.obsoleteRetentionDays} d`,
    `grace ${policy.creationGraceMinutes} min`,
    `confirmObsolete ${policy.confirmObsolete}`,
    `maxObsoleteFraction ${policy.maxObsoleteFraction} (from ${policy.safetyMinRecords} records)`,
    `novitaOnly ${policy.novitaOnly}${policy.novitaOnly === 'stop' || policy.novitaOnly === 'delete' ? ` (orphans older than ${policy.orphanGraceMinutes} min)` : ''}`,
    `cap ${policy.maxDestructivePerRun ?? 'none'} per run`,
    policy.destructiveBudget === null
      ? 'no window budget'
      : `window budget ${policy.destructiveBudget.max} per ${policy.destructiveBudget.windowMinutes} min`,
    `stuck after ${policy.stuckAfterMinutes} min`,
    `every ${policy.syncIntervalMinutes} min${policy.enableAutomaticSync ? '' : ' (automatic sync off)'}`,
    mapped.length === 0 ? 'default status map' : `status map overrides: ${mapped.join(', ')}`,
  ].join('; ');
  const check = { id: 'policy', title: 'Policy', details };
  if (!policy.confirmObsolete && context.listingHasTotal === false) {
    return {
      ...check,
      status: 'warn',
      why: `${line}. Novita sends no total, so no listing is proven complete, and without confirmations every absence-based action is held back every run`,
      todo: 'set confirmObsolete true (SYNC_CONFIRM_OBSOLETE=true) so that each absent record is confirmed with getInstance',
    };
  }
  if (policy.confirmObsolete && context.notFoundProves === false) {
    return {
      ...check,
      status: 'warn',
      why: `${line}. Confirmations cannot prove an instance gone on this account (see the not-found check): absent records stay unverified`,
      todo: 'fix the not-found answer first (see that check)',
    };
  }
  return { ...check, status: 'ok', why: line };
}
