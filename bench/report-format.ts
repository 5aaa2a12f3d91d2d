/**
 * The bench's results as people read them: a table for the console, a markdown table for the README
 * (also written to bench/results/latest.md). The JSON file's shape is bench-results.ts.
 */
import type { BenchResults } from './bench-results.js';
import type { FleetVariant } from './fleet.js';
import type { SizeResult, SyncSummary } from './measure-size.js';
import { checkTargets } from './targets.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const thousands = (n: number): string => n.toLocaleString('en-US');

function sizeLabel(result: SizeResult, fleet: FleetVariant): string {
  const { shape } = result;
  return `${thousands(shape.size)}${fleet === 'upgrade' ? ' upgrade' : ''} (${thousands(shape.records)} records, ${shape.pages} pages)`;
}

interface Row {
  fleet: string;
  concurrency: string;
  sync: string;
  sequential: string;
  concurrent: string;
  overSequential: string;
  overConcurrent: string;
  novita: string;
  redis: string;
  writes: string;
  secondWrites: string;
  secondRun: string;
  cpu: string;
  rss: string;
  naive: string;
  speedup: string;
}

const HEADERS: Row = {
  fleet: 'fleet',
  concurrency: 'maxConcurrency',
  sync: 'sync()',
  sequential: 'sequential floor',
  concurrent: 'concurrent floor',
  overSequential: 'sync / sequential',
  overConcurrent: 'sync / concurrent',
  novita: 'Novita requests (needed)',
  redis: 'Redis round trips (commands)',
  writes: 'writes',
  secondWrites: '2nd run: key changes',
  secondRun: '2nd run',
  cpu: 'CPU per 1k records',
  rss: 'peak RSS growth',
  naive: 'naive loop',
  speedup: 'speedup over naive',
};

function row(result: SizeResult, sync: SyncSummary): Row {
  const wall = sync.wallMs.median;
  const isDefault = sync.maxConcurrency === 4;
  const isMain = sync.fleet === result.syncs[0]?.fleet;
  const naive = isMain ? result.naive : null;
  return {
    fleet: sizeLabel(result, sync.fleet),
    concurrency: `${sync.maxConcurrency}${isDefault ? ' (default)' : ''}`,
    sync: seconds(wall),
    sequential: seconds(sync.sequentialFloorMs.median),
    concurrent: seconds(sync.concurrentFloorMs),
    overSequential: ratio(wall, sync.sequentialFloorMs.median),
    overConcurrent: ratio(wall, sync.concurrentFloorMs),
    novita: `${thousands(sync.novitaRequests.median)} (${thousands(result.necessaryNovitaRequests)})`,
    redis: `${thousands(sync.redisRoundTrips.median)} (${sync.redisCommands ? thousands(sync.redisCommands.median) : '?'})`,
    writes: thousands(sync.recordWrites.median),
    secondWrites: thousands(sync.second.keyChanges.median),
    secondRun: seconds(sync.second.wallMs.median),
    cpu: isDefault && isMain ? `${result.cpu.cpuMsPer1kRecords.median.toFixed(0)} ms` : '',
    rss: isDefault && isMain ? `${sync.rssGrowthMB.max.toFixed(0)} MB` : '',
    naive: naive ? seconds(naive.wallMs) : '-',
    speedup: naive ? ratio(naive.wallMs, wall) : '-',
  };
}

function rows(sizes: readonly SizeResult[]): Row[] {
  return sizes.flatMap((result) => result.syncs.map((sync) => row(result, sync)));
}

/** A plain-text table for the console. */
export function consoleTable(results: BenchResults): string {
  const all = [HEADERS, ...rows(results.sizes)];
  const keys = Object.keys(HEADERS) as Array<keyof Row>;
  const widths = keys.map((key) => Math.max(...all.map((r) => r[key].length)));
  const line = (r: Row): string =>
    keys
      .map((key, i) => r[key].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)];
  out.push('', ...notes(results), '', 'Targets (issue 9; issue 7 for the heap):');
  for (const check of checkTargets(results)) out.push(`  ${check.met ? 'met    ' : 'NOT MET'}  ${check.target}: ${check.value}`);
  return out.join('\n');
}

/** The markdown table and its notes, for the README and bench/results/latest.md: fewer, denser columns. */
export function markdownTable(results: BenchResults): string {
  const header = [
    'fleet',
    'maxConcurrency',
    'sync()',
    'vs sequential floor',
    'vs concurrent floor',
    'Novita requests (needed)',
    'Redis round trips',
    'writes (2nd run: key changes)',
    'CPU per 1k records',
    'peak RSS growth',
    'vs naive loop',
  ];
  const body = results.sizes.flatMap((result) =>
    result.syncs.map((sync) => {
      const r = row(result, sync);
      return [
        r.fleet,
        r.concurrency,
        r.sync,
        `${r.overSequential} of ${r.sequential}`,
        `${r.overConcurrent} of ${r.concurrent}`,
        r.novita,
        thousands(sync.redisRoundTrips.median),
        `${r.writes} (${r.secondWrites})`,
        r.cpu,
        r.rss,
        r.naive === '-' ? '-' : `${r.speedup} faster than ${r.naive}`,
      ];
    }),
  );
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...body.map(line), '', ...notes(results).map((note) => `${note}  `)].join(
    '\n',
  );
}

function notes(results: BenchResults): string[] {
  const first = results.sizes[0];
  const out = [
    `Commit ${results.commit}${results.dirty ? ' (with uncommitted changes)' : ''}, ${results.date.slice(0, 10)}, Node ${results.node}, ${results.cpus} x ${results.cpuModel}, Redis ${results.setup.redisVersion}.`,
    `Setup: fake Novita over loopback HTTP answering each request after ${results.setup.novitaLatencyMs} ms; Redis behind a proxy adding ${results.setup.redisDelayMs} ms each way` +
      (first ? ` (measured PING round trip ${first.calibration.redisRoundTripMs} ms).` : '.'),
    'Fleet (bench/fleet.ts): per 100 entries 80 unchanged, 10 status changed, 2 vanished, 2 terminated past retention, 5 Novita-only, 1 terminated within retention. ' +
      '"upgrade": the same fleet stored without novitaStatus (as the seed system left it), so the first run writes 90% of the records.',
    "Medians of the runs per size. Redis round trips: request bursts at the proxy (commands sent without an answer in between count once). Key changes: Redis's own count. CPU: the same run with no latency. Peak RSS growth: the largest of the default-option runs (each size runs in a fresh process, the default options first).",
  ];
  for (const size of results.sizes) {
    const second = size.syncs[0]?.second.wallMs.median ?? 0;
    out.push(
      `${thousands(size.shape.size)}: immediate second run ${seconds(second)}; zero-latency sync ${seconds(size.cpu.wallMs.median)} wall, ${thousands(size.cpu.cpuMs.median)} ms CPU; core-only sync (memory store, in-process client) ${seconds(size.core.wallMs.median)}.`,
    );
  }
  const heap = results.heapCheck;
  if (heap) {
    out.push(
      `Heap check (issue 7): one ${thousands(heap.size)}-entry sync (${thousands(heap.records)} records) through the HTTP client under --max-old-space-size=${heap.heapLimitMB}: ` +
        (heap.passed && heap.run
          ? `PASS, peak heap used ${heap.run.peakHeapUsedMB} MB of a ${heap.run.heapLimitMB} MB limit, peak RSS ${heap.run.peakRssMB} MB, ${seconds(heap.run.wallMs)}.`
          : `FAIL: ${heap.failure ?? 'unknown'}${heap.run ? `, peak heap ${heap.run.peakHeapUsedMB} MB` : ''}.`),
    );
  }
  const anomalies = results.sizes.flatMap((size) => size.anomalies.map((anomaly) => `${thousands(size.shape.size)}: ${anomaly}`));
  if (anomalies.length > 0) out.push(`Anomalies (the runs did not do what a correct run does): ${anomalies.join('; ')}.`);
  return out;
}
