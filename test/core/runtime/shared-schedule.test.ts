/**
 * Replicas sharing a lock share one schedule (issue 8.5), shown here with an in-memory lock that has
 * the capability; test/redis/replica-schedule.test.ts shows it with createRedisLock on a real Redis.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, createReconciler, type LockLease, type ReconcilerEvent, type SyncLock } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { instance, record } from '../../support/reconcile-fixtures.js';

const MINUTE = 60_000;
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** One lock shared by every replica of a process: a held flag and the time of the last completed run. */
function sharedLock(options: { failRead?: boolean } = {}): { lock: SyncLock; recorded: Date[] } {
  let held = false;
  const recorded: Date[] = [];
  const lock: SyncLock = {
    async acquire() {
      if (held) return null;
      held = true;
      const lease: LockLease = {
        token: 't',
        lost: new AbortController().signal,
        release: async () => void (held = false),
        recordCompletedRun: async (at) => {
          // A lock without a clock of its own (no sinceLastCompletedRun) is always handed the time.
          if (at) recorded.push(at);
          return true;
        },
      };
      return lease;
    },
    async lastCompletedRun() {
      if (options.failRead) throw new Error('READONLY');
      return recorded.at(-1) ?? null;
    },
  };
  return { lock, recorded };
}

function replica(lock: SyncLock, events: ReconcilerEvent[], name: string) {
  const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] });
  const reconciler = createReconciler({
    store: createMemoryStore({ records: [record('a')] }),
    novitaClient: novita,
    lock,
    onEvent: (event) => events.push({ ...event, replica: name } as unknown as ReconcilerEvent),
  });
  return { reconciler, novita };
}

describe('replicas sharing a lock share one schedule', () => {
  it('three replicas make about one run per interval, the others skip with run-skipped', async () => {
    const { lock } = sharedLock();
    const events: ReconcilerEvent[] = [];
    const replicas = ['a', 'b', 'c'].map((name) => replica(lock, events, name));
    for (const { reconciler } of replicas) reconciler.start();
    await vi.advanceTimersByTimeAsync(10 * 30 * MINUTE);
    for (const { reconciler } of replicas) await reconciler.stop();
    const runs = events.filter((event) => event.type === 'run-finished').length;
    const skipped = events.filter((event) => event.type === 'run-skipped').length;
    // Ten intervals: without sharing, three replicas would run about 30 times.
    expect(runs).toBeGreaterThanOrEqual(9);
    expect(runs).toBeLessThanOrEqual(12);
    expect(skipped).toBeGreaterThan(15);
    expect(events.find((event) => event.type === 'run-skipped')).toMatchObject({
      reason: 'recent-run-elsewhere',
      lastCompletedRun: expect.any(String),
    });
  });

  it('only a real, resolved run records the time: a dry run records nothing', async () => {
    const { lock, recorded } = sharedLock();
    const { reconciler } = replica(lock, [], 'a');
    await reconciler.sync({ dryRun: true });
    expect(recorded).toHaveLength(0);
    await reconciler.sync();
    expect(recorded).toHaveLength(1);
  });

  it('a failed run records nothing', async () => {
    const { lock, recorded } = sharedLock();
    const { reconciler, novita } = replica(lock, [], 'a');
    novita.failListing(new Error('down'));
    await expect(reconciler.sync()).rejects.toThrow(/down/);
    expect(recorded).toHaveLength(0);
  });

  it('when the time cannot be read, the replica runs as scheduled', async () => {
    const { lock } = sharedLock({ failRead: true });
    const events: ReconcilerEvent[] = [];
    const { reconciler } = replica(lock, events, 'a');
    reconciler.start();
    await vi.advanceTimersByTimeAsync(3 * 33 * MINUTE);
    await reconciler.stop();
    expect(events.filter((event) => event.type === 'run-finished')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'run-skipped')).toHaveLength(0);
  });

  it('a lock without the capability changes nothing: every replica runs on its own timer', async () => {
    const { lock } = sharedLock();
    const plain: SyncLock = { acquire: (options) => lock.acquire(options) };
    const events: ReconcilerEvent[] = [];
    const replicas = ['a', 'b'].map((name) => replica(plain, events, name));
    for (const { reconciler } of replicas) reconciler.start();
    await vi.advanceTimersByTimeAsync(3 * 33 * MINUTE);
    for (const { reconciler } of replicas) await reconciler.stop();
    expect(events.filter((event) => event.type === 'run-finished')).toHaveLength(6);
  });
});
