/**
 * Helper process, started with `--max-old-space-size=256`: one `sync()` of the seeded 50k fleet
 * through the HTTP client and the Redis store, with the peak V8 heap and RSS sampled every 10 ms.
 * Dying of heap exhaustion is the failing outcome; the parent sees the exit.
 */
import { getHeapStatistics } from 'node:v8';
import { Redis } from 'ioredis';
import { createReconciler } from '../src/index.js';
import { createNovitaClient } from '../src/novita/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { serveParent } from './child-rpc.js';

/** What the 50k run showed. */
export interface HeapRunResult {
  /** The heap limit the process really ran with (V8's `heap_size_limit`), to show the flag took. */
  heapLimitMB: number;
  wallMs: number;
  peakHeapUsedMB: number;
  peakRssMB: number;
  updated: number;
  markedTerminated: number;
  removed: number;
}

const MB = 1024 * 1024;

async function run(redisUrl: string, prefix: string, novitaUrl: string, apiKey: string): Promise<HeapRunResult> {
  const redis = new Redis(redisUrl);
  let peakHeap = 0;
  let peakRss = 0;
  const sample = (): void => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakRss = Math.max(peakRss, usage.rss);
  };
  const timer = setInterval(sample, 10);
  try {
    const reconciler = createReconciler({
      store: createRedisStore({ redis, prefix }),
      novitaClient: createNovitaClient({ apiKey, baseUrl: novitaUrl }),
    });
    const started = performance.now();
    const report = await reconciler.sync();
    const wallMs = performance.now() - started;
    sample();
    return {
      heapLimitMB: Math.round(getHeapStatistics().heap_size_limit / MB),
      wallMs: Math.round(wallMs),
      peakHeapUsedMB: Math.round(peakHeap / MB),
      peakRssMB: Math.round(peakRss / MB),
      updated: report.updated,
      markedTerminated: report.markedTerminated,
      removed: report.removed,
    };
  } finally {
    clearInterval(timer);
    redis.disconnect();
  }
}

const handlers = { run };
export type HeapCheckHandlers = typeof handlers;

serveParent(handlers);
