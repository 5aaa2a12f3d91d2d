/**
 * Compares two bench result files, row by row (size and `maxConcurrency`), median against median:
 *
 *   npx tsx bench/compare.ts bench/results/2026-12-01-650dfe2.json bench/results/latest.json
 *
 * A ratio below 1 means the second file is faster (or uses less). Numbers from different machines,
 * latencies or fleet variants do not compare; the script says so when the setups differ.
 */
import { readFileSync } from 'node:fs';
import type { BenchResults } from './bench-results.js';

const [beforePath, afterPath] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  console.error('usage: npx tsx bench/compare.ts <before.json> <after.json>');
  process.exit(2);
}
const read = (path: string): BenchResults => JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
const before = read(beforePath);
const after = read(afterPath);

if (JSON.stringify(before.setup) !== JSON.stringify(after.setup) || before.cpuModel !== after.cpuModel) {
  console.log(
    `warning: the setups differ (${JSON.stringify(before.setup)} on ${before.cpuModel} vs ${JSON.stringify(after.setup)} on ${after.cpuModel})\n`,
  );
}
console.log(
  `before ${before.commit}${before.dirty ? '-dirty' : ''} (${before.date.slice(0, 10)}), after ${after.commit}${after.dirty ? '-dirty' : ''} (${after.date.slice(0, 10)})\n`,
);

const table: string[][] = [['size', 'maxConcurrency', 'figure', 'before', 'after', 'after / before']];
const add = (size: number, concurrency: number | string, figure: string, a: number | undefined, b: number | undefined): void => {
  if (a === undefined && b === undefined) return;
  const fmt = (n: number | undefined): string => (n === undefined ? '-' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2));
  table.push([String(size), String(concurrency), figure, fmt(a), fmt(b), a && b !== undefined ? `${(b / a).toFixed(2)}x` : '-']);
};

for (const next of after.sizes) {
  const previous = before.sizes.find((size) => size.shape.size === next.shape.size);
  const size = next.shape.size;
  for (const sync of next.syncs) {
    const old = previous?.syncs.find(
      (candidate) => candidate.maxConcurrency === sync.maxConcurrency && (candidate.fleet ?? 'steady') === sync.fleet,
    );
    const c = `${sync.maxConcurrency}${sync.fleet === 'upgrade' ? ' upgrade' : ''}`;
    add(size, c, 'sync() ms', old?.wallMs.median, sync.wallMs.median);
    add(
      size,
      c,
      'sync / concurrent floor',
      old ? old.wallMs.median / old.concurrentFloorMs : undefined,
      sync.wallMs.median / sync.concurrentFloorMs,
    );
    add(size, c, 'Novita requests', old?.novitaRequests.median, sync.novitaRequests.median);
    add(size, c, 'Redis round trips', old?.redisRoundTrips.median, sync.redisRoundTrips.median);
    add(size, c, 'second run ms', old?.second.wallMs.median, sync.second.wallMs.median);
    add(size, c, 'second run key changes', old?.second.keyChanges.median, sync.second.keyChanges.median);
    add(size, c, 'sequential floor ms', old?.sequentialFloorMs.median, sync.sequentialFloorMs.median);
  }
  add(size, '', 'CPU ms per 1k records', previous?.cpu.cpuMsPer1kRecords.median, next.cpu.cpuMsPer1kRecords.median);
  add(size, '', 'peak RSS growth MB', previous?.syncs[0]?.rssGrowthMB.max, next.syncs[0]?.rssGrowthMB.max);
  add(size, '', 'naive loop ms', previous?.naive?.wallMs, next.naive?.wallMs);
}
if (before.heapCheck || after.heapCheck) {
  add(
    before.heapCheck?.size ?? after.heapCheck?.size ?? 0,
    '',
    'heap check peak heap MB',
    before.heapCheck?.run?.peakHeapUsedMB,
    after.heapCheck?.run?.peakHeapUsedMB,
  );
}

const widths = (table[0] as string[]).map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
for (const row of table)
  console.log(row.map((cell, column) => (column >= 3 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  '));
