/**
 * The human summaries `novita-reconcile` prints: the actions (each with what it changes), then the
 * counts. Long lists are capped so that a big fleet's summary stays readable; `--json` and `--list`
 * have everything. Machine readers use `--json`.
 */
import type { ListInstancesResult } from '../core/reconciler.js';
import type { SyncAction, SyncReport } from '../report.js';

/** Novita-only instances named in a summary; the rest are counted. */
export const NOVITA_ONLY_SHOWN = 10;
/** Status refreshes and timestamp stamps listed in a summary; the rest are counted. Removals, terminations and adoptions are always all listed. */
export const ROUTINE_ACTIONS_SHOWN = 20;

/** `1 action`, `2 actions`, `0 actions`. @internal */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** What an action changes, for a person: the status change, or what else changed when the status did not. */
export function describeChange(action: SyncAction): string {
  if (action.kind === 'remove') return `${action.from ?? '(none)'} -> (removed)`;
  if (action.kind === 'adopt') return `(new record) ${action.to ?? ''}`.trimEnd();
  if (action.kind === 'stampTerminated') return `${action.from ?? '(none)'}, timestamps.terminated set`;
  if (action.kind === 'stampFirstSeen') return `${action.from ?? '(none)'}, timestamps.firstSeen set`;
  if (action.kind === 'stampStatusSince') return `${action.from ?? '(none)'}, timestamps.novitaStatusSince set`;
  if (action.from !== action.to) return `${action.from ?? '(none)'} -> ${action.to ?? '(none)'}`;
  // The local status stays: what the write records is Novita's raw status.
  return `${action.from ?? '(none)'}, Novita status now ${action.novitaStatus ?? 'unknown'}`;
}

/** Refreshes and stamps; the other kinds (removals, terminations, adoptions) are the lines a person reviews, so never hidden. */
const isRoutine = (action: SyncAction): boolean =>
  action.kind === 'refresh' || action.kind === 'stampTerminated' || action.kind === 'stampFirstSeen' || action.kind === 'stampStatusSince';

/** @internal The summary of a sync report, one string per line. */
export function summariseReport(report: SyncReport): string[] {
  const lines: string[] = [];
  const actions = count(report.actions.length, 'action');
  const end = report.actions.length > 0 ? ':' : '.';
  lines.push(report.dryRun ? `Dry run: nothing written; a real run would take ${actions}${end}` : `Sync completed. ${actions}${end}`);
  let routineShown = 0;
  let routineHidden = 0;
  for (const action of report.actions) {
    if (isRoutine(action)) {
      if (routineShown >= ROUTINE_ACTIONS_SHOWN) {
        routineHidden += 1;
        continue;
      }
      routineShown += 1;
    }
    lines.push(
      `  ${action.outcome.padEnd(11)} ${action.kind.padEnd(16)} ${action.recordId.padEnd(20)} ${describeChange(action).padEnd(32)} ${action.reason}`,
    );
  }
  if (routineHidden > 0)
    lines.push(`  ... and ${count(routineHidden, 'more refresh or stamp', 'more refreshes and stamps')} (every action is in --json)`);
  if (report.actions.length === 0) {
    const held = heldBack(report);
    lines.push(
      held.length === 0
        ? '  (no actions: every record already agrees with Novita)'
        : `  (no actions, but not every record agrees with Novita: ${held.join('; ')})`,
    );
  }
  lines.push(
    `Records: ${report.beforeSync} before, ${report.afterSync} after: updated ${report.updated}, marked terminated ${report.markedTerminated}, ` +
      `removed ${report.removed}, unchanged ${report.unchanged}, conflicts ${report.conflicts}, unverified ${report.unverified}` +
      (report.notApplied > 0 ? `, not applied ${report.notApplied}` : '') +
      (report.unknown > 0 ? `, outcome unknown ${report.unknown}` : '') +
      (report.adopted > 0 ? `, adopted ${report.adopted}` : ''),
  );
  const skipped = Object.entries(report.skipped).filter(([, n]) => n > 0);
  if (skipped.length > 0) lines.push(`Skipped: ${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')}`);
  const { confirmations } = report;
  if (confirmations.requested > 0) {
    lines.push(
      `Confirmations with Novita: ${count(confirmations.requested, 'candidate')}: ${confirmations.gone} gone, ${confirmations.alive} alive, ${confirmations.failed} failed` +
        (confirmations.notAttempted > 0
          ? `, ${confirmations.notAttempted} not asked (stopped by the ${confirmations.stoppedBy === 'budget' ? 'time budget' : 'circuit breaker'})`
          : ''),
    );
  }
  lines.push(novitaLine(report));
  lines.push(orphansLine(report));
  lines.push(...instanceActionLines(report));
  const stuck = stuckLine(report);
  if (stuck !== undefined) lines.push(stuck);
  const listing = report.listing;
  if (!listing.complete)
    lines.push(
      `Listing: unproven (${listing.reason ?? 'not proven complete'}); records absent from it were acted on only with Novita's proof, one by one`,
    );
  else if (listing.walks > 1) lines.push(`Listing: read ${listing.walks} times, because it changed while it was read`);
  const safety = report.safety;
  const heldBySafety = report.skipped.safety > 0 ? ` for ${count(report.skipped.safety, 'record')}` : '';
  lines.push(
    `Safety limit: ${safety.tripped ? `tripped${safety.overridden ? ', overridden by --force' : `, obsolete handling held back${heldBySafety}`} (${safety.reason ?? `${safety.candidates} of ${safety.eligible}`})` : 'not tripped'}`,
  );
  const limits = limitsLine(report);
  if (limits !== undefined) lines.push(limits);
  const { liveness } = report;
  if (liveness.checked > 0)
    lines.push(
      `Liveness check: ${count(liveness.checked, 'record')} asked: ${liveness.checked - liveness.alive - liveness.failed} agreed gone, ${liveness.alive} alive, ${liveness.failed} failed (kept)`,
    );
  lines.push(`Run ${report.runId} took ${report.duration} ms.`);
  return lines;
}

/** Which limit held how many back: `cap 10 held 30`, ... */
function limitParts(report: SyncReport): string[] {
  const { limits } = report;
  const parts: string[] = [];
  if (limits.heldBack.cap > 0) parts.push(`the per-run cap of ${limits.maxDestructivePerRun} held ${limits.heldBack.cap}`);
  if (limits.heldBack.hold > 0) parts.push(`the hold held ${limits.heldBack.hold}`);
  if (limits.heldBack.window > 0) parts.push(`the window budget held ${limits.heldBack.window}`);
  return parts;
}

/** The limits on destructive actions, when any is set or held something back; `undefined` otherwise. */
function limitsLine(report: SyncReport): string | undefined {
  const { limits } = report;
  const parts: string[] = [];
  if (limits.hold !== null)
    parts.push(
      `HOLD set by ${limits.hold.by || 'someone'} at ${limits.hold.at}${limits.hold.reason ? ` (${limits.hold.reason})` : ''}: nothing is ended until novita-reconcile release`,
    );
  if (limits.maxDestructivePerRun !== null) parts.push(`per-run cap ${limits.maxDestructivePerRun}`);
  if (limits.window !== null)
    parts.push(
      `window ${limits.window.usedBefore + limits.window.usedByRun} of ${limits.window.max} used in ${limits.window.windowMinutes} min (${limits.window.usedByRun} by this run)`,
    );
  if (parts.length === 0) return undefined;
  const held = limitParts(report);
  return `Destructive limits: ${parts.join('; ')}${held.length > 0 ? `; ${held.join(', ')}` : ''}`;
}

/**
 * The records a run left as they were although they may not agree with Novita, and why: a summary of
 * a run that held records back must never read as "everything agrees".
 */
function heldBack(report: SyncReport): string[] {
  const held: string[] = [];
  if (report.skipped.safety > 0)
    held.push(`${count(report.skipped.safety, 'record')} held back by the safety limit (--force runs obsolete handling anyway)`);
  if (report.skipped.unproven > 0)
    held.push(`${count(report.skipped.unproven, 'record')} absent from an unproven listing, held back (confirmObsolete is off)`);
  if (report.skipped.limit > 0)
    held.push(`${count(report.skipped.limit, 'record')} held back by a limit on destructive actions (${limitParts(report).join(', ')})`);
  if (report.skipped.liveness > 0) held.push(`${count(report.skipped.liveness, 'record')} kept by the application's livenessCheck`);
  if (report.unverified > 0) held.push(`${count(report.unverified, 'record')} unverified (Novita did not confirm they are gone)`);
  if (report.conflicts > 0) held.push(`${count(report.conflicts, 'record')} changed by someone else during the run`);
  if (report.skipped.unknownStatus > 0)
    held.push(`${count(report.skipped.unknownStatus, 'record')} with a Novita status outside the status map`);
  if (report.skipped.duplicate > 0) held.push(`${count(report.skipped.duplicate, 'record')} naming an instance another record names`);
  if (report.skipped.invalid > 0) held.push(`${count(report.skipped.invalid, 'stored value')} that could not be decoded`);
  return held;
}

function novitaLine(report: SyncReport): string {
  const instances = `Novita: ${count(report.novitaInstances, 'instance')}`;
  const { novitaOnly } = report;
  if (novitaOnly.length === 0) return `${instances}; without a record: none`;
  const named = novitaOnly.slice(0, NOVITA_ONLY_SHOWN).map((instance) => {
    const details = [
      instance.name ?? 'unnamed',
      instance.status,
      instance.ageMinutes === null ? 'age unknown' : `${instance.ageMinutes} min old`,
      ...(instance.costPerHour === null ? [] : [usdPerHour(instance.costPerHour)]),
      ...(instance.owned ? [] : ['outside scope']),
    ];
    return `${instance.novitaInstanceId} (${details.join(', ')})`;
  });
  const rest = novitaOnly.length - named.length;
  return `${instances}; ${novitaOnly.length} without a record: ${named.join(', ')}${rest > 0 ? `, and ${rest} more (--list shows them all)` : ''}`;
}

/** @internal The merged view as a table, one string per line. */
export function summariseView(view: ListInstancesResult): string[] {
  const rows = view.instances.map((row) => [
    row.source,
    row.record?.id ?? '-',
    row.novitaInstanceId ?? '-',
    row.record?.status ?? '-',
    row.instance?.status ?? '-',
    row.instance?.name ?? '',
  ]);
  const header = ['SOURCE', 'RECORD', 'NOVITA ID', 'STATUS', 'NOVITA STATUS', 'NAME'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const { counts } = view;
  return [
    render(header),
    ...rows.map(render),
    `${count(counts.total, 'row')}: ${counts.merged} merged, ${counts.local} local only, ${counts.novita} Novita only`,
  ];
}

/** `0.69 USD/h`: prices keep Novita's precision (1/100,000 USD), without trailing zeros past the cents. */
export function usdPerHour(usd: number): string {
  const text = usd.toFixed(5).replace(/0{1,3}$/, '');
  return `${text} USD/h`;
}

/** The orphans (owned Novita-only instances): how many, and what they cost per hour. */
function orphansLine(report: SyncReport): string {
  const { count: orphans, costPerHour, unpriced } = report.orphans;
  if (orphans === 0) return 'Orphans (in scope, no record): none';
  const cost =
    costPerHour === null
      ? 'cost unknown (no price: see priceOf)'
      : `costing ${usdPerHour(costPerHour)}${unpriced > 0 ? ` (${count(unpriced, 'orphan')} without a price not counted)` : ''}`;
  return `Orphans (in scope, no record): ${orphans}, ${cost}`;
}

/** The calls to end orphans (`novitaOnly: 'stop' | 'delete'`): a count line, then every call, never capped (the lines to review). */
function instanceActionLines(report: SyncReport): string[] {
  const actions = report.instanceActions;
  if (actions.length === 0) return [];
  const counted = (outcome: string, kind: string) => actions.filter((action) => action.outcome === outcome && action.kind === kind).length;
  const held = actions.filter((action) => action.outcome === 'skipped').length;
  const failed = actions.filter((action) => action.outcome === 'failed').length;
  const parts: string[] = [];
  let head: string;
  if (report.dryRun) {
    for (const kind of ['stop', 'delete'] as const) if (counted('planned', kind) > 0) parts.push(`${kind} ${counted('planned', kind)}`);
    const planned = actions.length - held;
    head = `Orphans to end: ${planned}${parts.length > 0 ? ` (a real run would ${parts.join(', ')})` : ''}`;
  } else {
    if (counted('applied', 'stop') > 0) parts.push(`${counted('applied', 'stop')} stopped`);
    if (counted('applied', 'delete') > 0) parts.push(`${counted('applied', 'delete')} deleted`);
    if (failed > 0) parts.push(`${failed} failed`);
    head = `Orphans ended: ${parts.length > 0 ? parts.join(', ') : 'none'}`;
  }
  if (held > 0) head += `; ${held} held back`;
  return [
    head,
    ...actions.map((action) => {
      const what = `${action.outcome} ${action.kind} ${action.novitaInstanceId} (${action.name ?? 'no name'}, ${action.ageMinutes} min old)`;
      return `  ${what}${action.outcome === 'skipped' ? `: ${action.skipped}, ${action.reason}` : action.outcome === 'failed' ? `: ${action.reason}` : ''}`;
    }),
  ];
}

/** Records stuck in a transition, named (capped like the Novita-only instances). */
function stuckLine(report: SyncReport): string | undefined {
  const { stuck } = report;
  if (stuck.length === 0) return undefined;
  const named = stuck
    .slice(0, NOVITA_ONLY_SHOWN)
    .map((entry) => `${entry.recordId} (${entry.novitaInstanceId}, ${entry.status} for ${entry.sinceMinutes} min)`);
  const rest = stuck.length - named.length;
  return `Stuck in a transition: ${count(stuck.length, 'record')}: ${named.join(', ')}${rest > 0 ? `, and ${rest} more (--json has them all)` : ''}`;
}
