/**
 * Issue 7 point 5: a 50k-record sync through the HTTP client must fit a 256 MB heap. The fleet is
 * seeded by the bench (so the child's heap holds only the run), the fake answers with no latency (the
 * check is about memory, not time), and the run itself happens in a child started with
 * `--max-old-space-size=256`.
 */
import { Redis } from 'ioredis';
import { createRedisStore } from '../src/redis/index.js';
import { startHelper } from './child-rpc.js';
import type { FakeNovitaHandlers } from './fake-novita-process.js';
import { fleetShape } from './fleet.js';
import type { HeapCheckHandlers, HeapRunResult } from './heap-check-process.js';
import { clearStoreKeys, seedRecords } from './redis-fixture.js';

/** The outcome of the heap check. */
export interface HeapCheckResult {
  size: number;
  records: number;
  heapLimitMB: number;
  passed: boolean;
  /** The run's figures when it finished; `null` when the process died. */
  run: HeapRunResult | null;
  /** Why it failed, when it did. */
  failure?: string;
}

export const HEAP_CHECK_SIZE = 50_000;
const HEAP_LIMIT_MB = 256;

/** Runs the check against `redisUrl` (a prefix of its own, deleted afterwards). */
export async function runHeapCheck(redisUrl: string): Promise<HeapCheckResult> {
  const shape = fleetShape(HEAP_CHECK_SIZE);
  const fake = await startHelper<FakeNovitaHandlers>('./fake-novita-process.ts');
  const admin = new Redis(redisUrl);
  const prefix = `novita-bench-heap-${process.pid}`;
  const store = createRedisStore({ redis: admin, prefix });
  const result: HeapCheckResult = { size: HEAP_CHECK_SIZE, records: shape.records, heapLimitMB: HEAP_LIMIT_MB, passed: false, run: null };
  try {
    const now = Date.now();
    await fake.call('reset', HEAP_CHECK_SIZE, now);
    await seedRecords(admin, store.keys, HEAP_CHECK_SIZE, now);
    const { url, apiKey } = await fake.call('info');
    let child: Awaited<ReturnType<typeof startHelper<HeapCheckHandlers>>> | undefined;
    try {
      child = await startHelper<HeapCheckHandlers>(
        './heap-check-process.ts',
        [`--max-old-space-size=${HEAP_LIMIT_MB}`],
        {},
        { quiet: true },
      );
      result.run = await child.call('run', redisUrl, prefix, url, apiKey);
      const expected = shape.expected;
      const correct =
        result.run.updated === expected.refreshed &&
        result.run.markedTerminated === expected.markedTerminated &&
        result.run.removed === expected.removed;
      result.passed = correct;
      if (!correct) result.failure = `the run finished but did not do what it should (${JSON.stringify(result.run)})`;
    } catch (error) {
      const output = child?.output() ?? '';
      const oom = /heap out of memory|Allocation failed/i.test(output);
      result.failure = oom
        ? `the process ran out of heap (${HEAP_LIMIT_MB} MB)`
        : error instanceof Error
          ? error.message.split('\n')[0]
          : String(error);
    } finally {
      await child?.stop();
    }
  } finally {
    await clearStoreKeys(admin, store.keys).catch(() => {});
    await store.close();
    admin.disconnect();
    await fake.stop();
  }
  return result;
}
