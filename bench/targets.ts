/**
 * Issue 9's targets (and issue 7's heap check), checked against one bench run. A target whose sizes
 * were not measured is left out.
 */
import type { FleetVariant } from './fleet.js';
import type { BenchResults } from './bench-results.js';

/** One target and how the run fared. */
export interface TargetCheck {
  target: string;
  value: string;
  met: boolean;
}

export function checkTargets(results: Pick<BenchResults, 'sizes' | 'heapCheck'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const size = (n: number) => results.sizes.find((result) => result.shape.size === n);
  const at = (n: number, concurrency: number, fleet: FleetVariant = 'steady') =>
    size(n)?.syncs.find((sync) => sync.maxConcurrency === concurrency && sync.fleet === fleet);
  const tenKSize = size(10_000);
  for (const fleet of ['steady', 'upgrade'] as const) {
    const label = fleet === 'upgrade' ? '10k upgrade fleet' : '10k';
    const tenK = at(10_000, 4, fleet);
    if (tenK) {
      const ratio = tenK.wallMs.median / tenK.concurrentFloorMs;
      checks.push({
        target: `${label}, default options: sync() <= 1.25x the concurrent floor`,
        value: `${ratio.toFixed(2)}x`,
        met: ratio <= 1.25,
      });
    }
    const sixteen = at(10_000, 16, fleet);
    if (sixteen) {
      const ratio = sixteen.wallMs.median / sixteen.sequentialFloorMs.median;
      checks.push({
        target: `${label}, maxConcurrency 16: sync() <= 0.5x the sequential floor`,
        value: `${ratio.toFixed(2)}x`,
        met: ratio <= 0.5,
      });
      // The naive loop runs on the first fleet only.
      if (tenKSize?.naive && tenKSize.syncs[0]?.fleet === fleet) {
        const speedup = tenKSize.naive.wallMs / sixteen.wallMs.median;
        checks.push({
          target: `${label}, maxConcurrency 16: >= 15x faster than the naive loop`,
          value: `${speedup.toFixed(1)}x`,
          met: speedup >= 15,
        });
      }
    }
  }
  const tenK = at(10_000, 4);
  const hundredK = at(100_000, 4);
  if (hundredK && tenK) {
    const ratio = hundredK.wallMs.median / tenK.wallMs.median;
    checks.push({ target: '100k: sync() <= 11x the 10k time', value: `${ratio.toFixed(1)}x`, met: ratio <= 11 });
  }
  if (hundredK) {
    checks.push({
      target: '100k: peak RSS growth < 250 MB',
      value: `${hundredK.rssGrowthMB.max.toFixed(0)} MB`,
      met: hundredK.rssGrowthMB.max < 250,
    });
  }
  const secondRunChanges = results.sizes.flatMap((result) => result.syncs.map((sync) => sync.second.keyChanges.max));
  if (secondRunChanges.length > 0) {
    const most = Math.max(...secondRunChanges);
    checks.push({ target: 'every size: 0 writes on an immediate second run', value: `${most} key changes at most`, met: most === 0 });
  }
  const heap = results.heapCheck;
  if (heap) {
    checks.push({
      target: `${heap.size / 1000}k sync through the HTTP client within a ${heap.heapLimitMB} MB heap (issue 7)`,
      value: heap.passed && heap.run ? `peak heap ${heap.run.peakHeapUsedMB} MB` : (heap.failure ?? 'failed'),
      met: heap.passed,
    });
  }
  return checks;
}
