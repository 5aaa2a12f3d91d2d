/** The last step of a run: the report, built from the plan and the outcome of each write. Pure. */
import type { Plan, PlannedAction } from '../plan/planner.js';
import type {
  ActionOutcome,
  ConfirmationReport,
  InstanceAction,
  ListingReport,
  LimitsReport,
  LivenessReport,
  SkippedCounts,
  SyncAction,
  SyncReport,
  SyncRunOptions,
} from '../../report.js';

/** Everything a report is built from. */
export interface ReportInput {
  runId: string;
  plan: Plan;
  planned: readonly PlannedAction[];
  outcomes: ReadonlyMap<PlannedAction, ActionOutcome>;
  runOptions: SyncRunOptions;
  /** Instances in the listing used. */
  instances: number;
  /** The listing's grade. */
  listing: ListingReport;
  confirmations: ConfirmationReport;
  /** The limits on destructive actions and what they held back. */
  limits: LimitsReport;
  /** What the application's liveness check answered. */
  liveness: LivenessReport;
  /** The calls to end orphans, as sent and answered (or planned, or held back). */
  instanceActions?: readonly InstanceAction[];
  startedAt: Date;
  durationMs: number;
}

/** A confirmation report for a run that needed none. */
export const NO_CONFIRMATIONS: Readonly<ConfirmationReport> = Object.freeze({
  requested: 0,
  gone: 0,
  alive: 0,
  failed: 0,
  notAttempted: 0,
  stoppedBy: null,
});

/** Puts every record in exactly one category, so that the categories add up to `beforeSync`. */
export function buildReport(input: ReportInput): SyncReport {
  const { plan, outcomes } = input;
  const skipped: SkippedCounts = {
    grace: 0,
    unknownStatus: 0,
    invalid: 0,
    duplicate: 0,
    outOfScope: 0,
    safety: 0,
    unproven: 0,
    limit: 0,
    liveness: 0,
  };
  const counts = { updated: 0, markedTerminated: 0, removed: 0, unchanged: 0, conflicts: 0, unverified: 0, notApplied: 0, unknown: 0 };
  let merged = 0;
  for (const decision of plan.decisions) {
    if (decision.merged) merged += 1;
    const outcome = decision.action ? outcomes.get(decision.action) : undefined;
    if (outcome === 'not-applied') counts.notApplied += 1;
    else if (outcome === 'unknown') counts.unknown += 1;
    else if (outcome === 'conflict' || (outcome === 'missing' && decision.action?.write.op === 'put')) counts.conflicts += 1;
    else if (decision.category === 'pending' || decision.category === 'unverified') counts.unverified += 1;
    else if (decision.category === 'skipped') skipped[decision.skipped ?? 'invalid'] += 1;
    else counts[decision.category] += 1;
  }
  let adopted = 0;
  let failedAdoptions = 0;
  for (const action of plan.adoptions) {
    const outcome = outcomes.get(action);
    if (outcome === 'applied' || outcome === 'planned') adopted += 1;
    else failedAdoptions += 1;
  }
  const beforeSync = plan.decisions.length;
  const afterSync = beforeSync - counts.removed + adopted;
  const actions: SyncAction[] = input.planned.map((action) => ({
    kind: action.kind,
    recordId: action.recordId,
    novitaInstanceId: action.novitaInstanceId,
    from: action.from,
    to: action.to,
    reason: action.reason,
    novitaStatus: action.novitaStatus,
    outcome: outcomes.get(action) ?? 'not-applied',
  }));
  return {
    runId: input.runId,
    beforeSync,
    afterSync,
    ...counts,
    skipped,
    obsoleteCandidates: plan.obsoleteCandidates,
    confirmations: { ...input.confirmations },
    listing: { ...input.listing },
    listingWalks: input.listing.walks,
    novitaInstances: input.instances,
    localInstances: beforeSync,
    mergedInstances: merged,
    totalInstances: afterSync + plan.unadoptedNovitaOnly + failedAdoptions,
    instancesRemoved: counts.removed,
    adopted,
    novitaOnly: plan.novitaOnly,
    orphans: { ...plan.orphans },
    stuck: plan.decisions.flatMap((decision) => (decision.stuck ? [decision.stuck] : [])),
    instanceActions: (input.instanceActions ?? []).map((action) => ({ ...action })),
    safety: plan.safety,
    limits: {
      ...input.limits,
      window: input.limits.window ? { ...input.limits.window } : null,
      heldBack: { ...input.limits.heldBack },
      records: [...input.limits.records],
    },
    liveness: { ...input.liveness, kept: [...input.liveness.kept] },
    duration: input.durationMs,
    timestamp: input.startedAt.toISOString(),
    dryRun: input.runOptions.dryRun,
    options: input.runOptions,
    actions,
  };
}

/** The fields of the one summary log line per run. */
export function summaryFields(report: SyncReport): Record<string, unknown> {
  return {
    runId: report.runId,
    dryRun: report.dryRun,
    beforeSync: report.beforeSync,
    afterSync: report.afterSync,
    updated: report.updated,
    markedTerminated: report.markedTerminated,
    removed: report.removed,
    unchanged: report.unchanged,
    conflicts: report.conflicts,
    unverified: report.unverified,
    skipped: report.skipped,
    novitaInstances: report.novitaInstances,
    listingWalks: report.listingWalks,
    listingComplete: report.listing.complete,
    confirmations: report.confirmations,
    adopted: report.adopted,
    novitaOnly: report.novitaOnly.length,
    orphans: report.orphans.count,
    orphansCostPerHour: report.orphans.costPerHour,
    stuck: report.stuck.length,
    safetyTripped: report.safety.tripped,
    destructiveHeldBack: report.limits.heldBack,
    hold: report.limits.hold !== null,
    livenessKept: report.liveness.kept.length,
    durationMs: report.duration,
  };
}
