/**
 * One run (`novita-reconcile [flags]`): a sync or the merged view, printed, and the exit code that says
 * how it went. Failures and the safety trip come before `--detailed-exitcode`'s 5, as with
 * `terraform plan -detailed-exitcode`: a run that found actions but failed is a failure.
 */
import type { Reconciler } from '../core/reconciler.js';
import type { SyncReport } from '../report.js';
import { isReconcilerError, type ReconcilerError } from '../errors.js';
import type { RunFlags } from './cli-args.js';
import type { CliConsole } from './cli-console.js';
import { summariseReport, summariseView } from './cli-summary.js';
import { EXIT_CODES } from './exit-codes.js';

/** @internal A sync run, printed. */
export async function runSyncCommand(
  reconciler: Reconciler,
  flags: RunFlags,
  signal: AbortSignal | undefined,
  cli: CliConsole,
): Promise<number> {
  const report = await reconciler.sync({
    dryRun: flags.dryRun,
    forceSync: flags.force,
    handleObsoleteInstances: !flags.noObsolete,
    ...(signal ? { signal } : {}),
  });
  if (flags.json) cli.out(JSON.stringify(report, null, 2));
  else for (const line of summariseReport(report)) cli.out(line);
  if (explainSafetyTrip(report, cli)) return EXIT_CODES.SAFETY_TRIPPED;
  // A call to end an orphan (planned, sent or failed) is an action found too; one held back is not.
  const instanceActions = report.instanceActions.filter((action) => action.outcome !== 'skipped').length;
  if (flags.detailedExitcode && report.actions.length + instanceActions > 0) return EXIT_CODES.ACTIONS_FOUND;
  return EXIT_CODES.OK;
}

/** @internal The merged view, printed. */
export async function runListCommand(
  reconciler: Reconciler,
  flags: RunFlags,
  signal: AbortSignal | undefined,
  cli: CliConsole,
): Promise<number> {
  const view = await reconciler.listInstances({ includeNovitaOnly: true, ...(signal ? { signal } : {}) });
  if (flags.json) cli.out(JSON.stringify(view, null, 2));
  else for (const line of summariseView(view)) cli.out(line);
  return EXIT_CODES.OK;
}

/** @internal Says on stderr why a tripped safety limit held obsolete handling back; `true` when it did. */
export function explainSafetyTrip(report: SyncReport, cli: CliConsole): boolean {
  if (!report.safety.tripped || report.safety.overridden) return false;
  cli.fail(
    `safety limit tripped: ${report.safety.reason ?? `${report.safety.candidates} obsolete candidates of ${report.safety.eligible} records`}. ` +
      `Obsolete handling and retention were held back; status refreshes were ${report.dryRun ? 'planned' : 'applied'}. Check Novita, then rerun with --force to proceed.`,
  );
  return true;
}

/** @internal The exit code of a failure, explained on stderr (and, with `--json`, as JSON on stdout). */
export function reportFailure(error: unknown, json: boolean, cli: CliConsole): number {
  if (!isReconcilerError(error)) {
    cli.fail(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_CODES.RUN_FAILED;
  }
  const failure = error as ReconcilerError;
  if (failure.code === 'CONFIG_INVALID') {
    cli.fail(`configuration error: ${failure.message}\nRun novita-reconcile --help for the variables.`);
    return EXIT_CODES.USAGE;
  }
  if (json) cli.out(JSON.stringify(failureJson(failure, failure.report), null, 2));
  if (failure.code === 'SYNC_IN_PROGRESS') {
    cli.fail(`${failure.message}; nothing was done. Try again later.`);
    return EXIT_CODES.SYNC_IN_PROGRESS;
  }
  cli.fail(`${failure.code}: ${failure.message}`);
  cli.fail(failure.report ? describePartial(failure.report) : 'nothing was written.');
  return EXIT_CODES.RUN_FAILED;
}

/** @internal The JSON a failure is printed as with `--json`. */
export function failureJson(failure: ReconcilerError, report: SyncReport | undefined): Record<string, unknown> {
  return { error: { code: failure.code, message: failure.message }, ...(report ? { report } : {}) };
}

/** @internal What a run that stopped midway had applied. */
export function describePartial(report: SyncReport): string {
  const applied = report.actions.filter((action) => action.outcome === 'applied').length;
  return (
    `the run stopped midway: ${applied} of ${report.actions.length} writes applied, ${report.notApplied} not applied` +
    (report.unknown > 0 ? `, ${report.unknown} sent without an answer (they may have landed)` : '') +
    ' (the next run picks them up).'
  );
}
