/**
 * What a piece of work costs this process: wall time, CPU (user + system, `process.cpuUsage`), and
 * the peak growth of RSS and of the V8 heap over what they were when it started, sampled every 10 ms
 * (and once more at the end, so a short run still gets a sample).
 */

/** The cost of one measured piece of work. */
export interface ProcessCost {
  wallMs: number;
  cpuMs: number;
  /** Peak RSS during the work, minus RSS at its start. */
  rssGrowthBytes: number;
  /** Peak V8 heap used during the work, minus heap used at its start. */
  heapGrowthBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `work` and measures it. Collects garbage first when the process runs with `--expose-gc`. */
export async function measureProcess<T>(work: () => Promise<T>, sampleEveryMs = 10): Promise<{ value: T; cost: ProcessCost }> {
  gc?.();
  const rssStart = process.memoryUsage.rss();
  const heapStart = process.memoryUsage().heapUsed;
  let rssPeak = rssStart;
  let heapPeak = heapStart;
  const sample = (): void => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
    const heap = process.memoryUsage().heapUsed;
    if (heap > heapPeak) heapPeak = heap;
  };
  const timer = setInterval(sample, sampleEveryMs);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  try {
    const value = await work();
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuStart);
    sample();
    return {
      value,
      cost: { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, rssGrowthBytes: rssPeak - rssStart, heapGrowthBytes: heapPeak - heapStart },
    };
  } finally {
    clearInterval(timer);
  }
}
