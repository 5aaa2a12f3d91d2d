/**
 * Issue 8.5 on the real parts: three replicas, each with its own connection to one real Redis, each
 * running `start()` with a `createRedisLock` on the same key. They never overlap (the lock) and they share
 * one schedule: about one run per interval between them, the other turns skipped with `run-skipped`.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createReconciler, type ReconcilerEvent } from '../../src/index.js';
import { createRedisLock, createRedisStore } from '../../src/redis/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
});

describe('replicas on one Redis share one schedule', () => {
  it('three replicas at a 1.2 s interval make about one run per interval, never two at once', async () => {
    const prefix = uniquePrefix('replicas');
    cleanups.push(async () => {
      const direct = new Redis(requireRedisUrl());
      await dropPrefix(direct, prefix);
      direct.disconnect();
    });
    const events: { replica: number; event: ReconcilerEvent; at: number }[] = [];
    const replicas = [0, 1, 2].map((replica) => {
      const redis = new Redis(requireRedisUrl());
      cleanups.push(() => redis.disconnect());
      const store = createRedisStore({ redis, prefix });
      return createReconciler({
        store,
        novitaClient: createScriptedNovitaClient({ latencyMs: 20 }),
        lock: createRedisLock({ store }),
        policy: { syncIntervalMinutes: 0.02 },
        onEvent: (event) => events.push({ replica, event, at: Date.now() }),
      });
    });
    const started = Date.now();
    for (const reconciler of replicas) reconciler.start();
    await new Promise((resolve) => setTimeout(resolve, 7_300));
    await Promise.all(replicas.map((reconciler) => reconciler.stop()));
    const seconds = (Date.now() - started) / 1_000;

    const runs = events.filter(({ event }) => event.type === 'run-finished');
    const skipped = events.filter(({ event }) => event.type === 'run-skipped');
    const busy = events.filter(({ event }) => event.type === 'run-failed');
    // Alone, each replica would run every ~1.2 s: about 18 runs in 7 s between three.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(seconds / (1.2 * 0.9)) + 1);
    expect(skipped.length).toBeGreaterThanOrEqual(runs.length);
    // Every replica kept its own timer (each one ran or skipped turns), and none overlapped another.
    for (const replica of [0, 1, 2])
      expect(
        events.some((entry) => entry.replica === replica && (entry.event.type === 'run-finished' || entry.event.type === 'run-skipped')),
      ).toBe(true);
    expect(busy).toHaveLength(0);
    console.log(`replica schedule: ${runs.length} runs, ${skipped.length} skipped turns in ${seconds.toFixed(1)} s at a 1.2 s interval`);
  }, 20_000);

  it('replicas whose clocks disagree by 0.8 and 1.6 intervals still make one run per interval: time is measured on Redis', async () => {
    const prefix = uniquePrefix('replicas-skew');
    cleanups.push(async () => {
      const direct = new Redis(requireRedisUrl());
      await dropPrefix(direct, prefix);
      direct.disconnect();
    });
    const intervalMs = 1_200;
    const finished: number[] = [];
    const replicas = [0, 0.8, 1.6].map((skew) => {
      const redis = new Redis(requireRedisUrl());
      cleanups.push(() => redis.disconnect());
      const store = createRedisStore({ redis, prefix });
      return createReconciler({
        store,
        novitaClient: createScriptedNovitaClient({ latencyMs: 20 }),
        lock: createRedisLock({ store }),
        policy: { syncIntervalMinutes: intervalMs / 60_000 },
        // Each replica's clock is off by a part of the interval; its timers still tick in real time.
        clock: () => new Date(Date.now() + skew * intervalMs),
        onEvent: (event) => {
          if (event.type === 'run-finished') finished.push(Date.now());
        },
      });
    });
    const started = Date.now();
    for (const reconciler of replicas) reconciler.start();
    await new Promise((resolve) => setTimeout(resolve, 7_300));
    await Promise.all(replicas.map((reconciler) => reconciler.stop()));
    const seconds = (Date.now() - started) / 1_000;
    const gaps = finished.slice(1).map((at, index) => at - (finished[index] as number));
    // Each replica's clock used to decide: at this skew, 1.27 runs per interval, runs 0.36 s apart.
    expect(finished.length).toBeGreaterThanOrEqual(3);
    expect(finished.length).toBeLessThanOrEqual(Math.ceil(seconds / ((intervalMs / 1_000) * 0.9)) + 1);
    expect(Math.min(...gaps), `gaps ${gaps.join(', ')} ms`).toBeGreaterThan(intervalMs * 0.75);
    console.log(
      `skewed replica schedule: ${finished.length} runs in ${seconds.toFixed(1)} s at a 1.2 s interval, shortest gap ${Math.min(...gaps)} ms`,
    );
  }, 20_000);
});
