/**
 * The human summaries `novita-reconcile` prints: one line per action, then the counts, as the demo
 * does. Machine readers use `--json`.
 */
import type { ListInstancesResult } from '../core/reconciler.js';
import type { SyncReport } from '../core/report.js';

/** @internal The summary of a sync report, one string per line. */
export function summariseReport(report: SyncReport): string[] {
  const lines: string[] = [];
  lines.push(report.dryRun ? 'Dry run: nothing written; a real run would take these actions.' : 'Sync completed.');
  for (const action of report.actions) {
    const change = `${action.from ?? '(none)'} -> ${action.to ?? '(removed)'}`;
    lines.push(`  ${action.outcome.padEnd(11)} ${action.kind.padEnd(16)} ${action.recordId.padEnd(20)} ${change.padEnd(28)} ${action.reason}`);
  }
  if (report.actions.length === 0) lines.push('  (no actions: every record already agrees with Novita)');
  lines.push(
    `Records: ${report.beforeSync} before, ${report.afterSync} after: updated ${report.updated}, marked terminated ${report.markedTerminated}, ` +
      `removed ${report.removed}, unchanged ${report.unchanged}, conflicts ${report.conflicts}, unverified ${report.unverified}` +
      (report.notApplied > 0 ? `, not applied ${report.notApplied}` : '') +
      (report.adopted > 0 ? `, adopted ${report.adopted}` : ''),
  );
  const skipped = Object.entries(report.skipped).filter(([, count]) => count > 0);
  if (skipped.length > 0) lines.push(`Skipped: ${skipped.map(([reason, count]) => `${reason} ${count}`).join(', ')}`);
  const novitaOnly = report.novitaOnly.map((instance) => `${instance.novitaInstanceId} (${instance.name ?? 'unnamed'}, ${instance.status})`);
  lines.push(`Novita: ${report.novitaInstances} instances; without a record: ${novitaOnly.join(', ') || 'none'}`);
  const safety = report.safety;
  lines.push(`Safety limit: ${safety.tripped ? `tripped${safety.overridden ? ', overridden by --force' : ', obsolete handling held back'} (${safety.reason ?? `${safety.candidates} of ${safety.eligible}`})` : 'not tripped'}`);
  lines.push(`Run ${report.runId} took ${report.duration} ms.`);
  return lines;
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
  const render = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const { counts } = view;
  return [
    render(header),
    ...rows.map(render),
    `${counts.total} rows: ${counts.merged} merged, ${counts.local} local only, ${counts.novita} Novita only`,
  ];
}
