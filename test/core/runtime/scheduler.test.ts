import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, createReconciler, SyncInProgressError, type ReconcilerEvent } from '../../../src/index.js';
import { createSyncScheduler } from '../../../src/core/runtime/scheduler.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { instance, record } from '../../support/reconcile-fixtures.js';

const MINUTE = 60_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('automatic sync', () => {
  const setup = (policy = {}) => {
    const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] });
    const finished: string[] = [];
    const lines: string[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a')] }),
      novitaClient: novita,
      policy,
      onEvent: (event: ReconcilerEvent) => {
        if (event.type === 'run-finished' || event.type === 'run-failed') finished.push(event.type);
      },
      logger: { info: (_fields, message) => lines.push(message), error: (_fields, message) => lines.push(message) },
    });
    return { novita, finished, lines, reconciler };
  };

  it('runs every syncIntervalMinutes, within 10% jitter', async () => {
    const { finished, reconciler } = setup({ syncIntervalMinutes: 30 });
    expect(reconciler.start()).toBe(true);
    await vi.advanceTimersByTimeAsync(27 * MINUTE - 1);
    expect(finished).toEqual([]);
    await vi.advanceTimersByTimeAsync(6 * MINUTE + 1);
    expect(finished).toEqual(['run-finished']);
    await vi.advanceTimersByTimeAsync(33 * MINUTE);
    expect(finished).toEqual(['run-finished', 'run-finished']);
    await reconciler.stop();
  });

  it('runImmediately runs once at start', async () => {
    const { finished, reconciler } = setup();
    reconciler.start({ runImmediately: true });
    await vi.advanceTimersByTimeAsync(1);
    expect(finished).toEqual(['run-finished']);
    await reconciler.stop();
  });

  it('does nothing when enableAutomaticSync is false, and says so', async () => {
    const { novita, lines, reconciler } = setup({ enableAutomaticSync: false });
    expect(reconciler.start({ runImmediately: true })).toBe(false);
    await vi.advanceTimersByTimeAsync(120 * MINUTE);
    expect(novita.calls).toEqual([]);
    expect(lines.some((line) => /disabled by policy/.test(line))).toBe(true);
  });

  it('a failing run is logged and the schedule goes on; nothing is thrown into the process', async () => {
    const { novita, finished, lines, reconciler } = setup({ syncIntervalMinutes: 1 });
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    novita.failListing(new Error('Novita is down'));
    reconciler.start({ runImmediately: true });
    await vi.advanceTimersByTimeAsync(1);
    novita.failListing(null);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await reconciler.stop();
    process.off('unhandledRejection', unhandled);
    expect(finished.slice(0, 2)).toEqual(['run-failed', 'run-finished']);
    expect(lines).toContain('Scheduled sync failed; the next one runs on schedule');
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('stop() waits for the run in flight and nothing runs after it', async () => {
    const novita = createScriptedNovitaClient({ latencyMs: 5_000 });
    const reconciler = createReconciler({ store: createMemoryStore(), novitaClient: novita, policy: { syncIntervalMinutes: 1 } });
    reconciler.start({ runImmediately: true });
    await vi.advanceTimersByTimeAsync(1);
    let stopped = false;
    const stopping = reconciler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(5_000);
    await stopping;
    expect(stopped).toBe(true);
    const calls = novita.calls.length;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(novita.calls.length).toBe(calls);
  });

  it('never overlaps: the next run is scheduled only after the previous one settled', async () => {
    let inFlight = 0;
    let most = 0;
    const scheduler = createSyncScheduler({
      intervalMinutes: 1 / 60, // one second, shorter than a run
      logger: {},
      random: () => 0.5,
      runSync: async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        inFlight -= 1;
      },
    });
    scheduler.start({ runImmediately: true });
    await vi.advanceTimersByTimeAsync(60_000);
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    await stopping;
    expect(most).toBe(1);
  });

  it('a lock held by another replica is logged as a skip, not a failure', async () => {
    const lines: string[] = [];
    const scheduler = createSyncScheduler({
      intervalMinutes: 1,
      logger: { info: (_fields, message) => lines.push(message), error: (_fields, message) => lines.push(`ERROR ${message}`) },
      runSync: async () => Promise.reject(new SyncInProgressError()),
    });
    scheduler.start({ runImmediately: true });
    await vi.advanceTimersByTimeAsync(1);
    await scheduler.stop();
    expect(lines).toEqual(['Scheduled sync skipped: another replica is running one']);
  });
});
