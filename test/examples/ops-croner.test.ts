/**
 * examples/ops/croner-schedule.ts on a real croner timer (a pattern firing every second): ticks run
 * syncs, a tick that comes while a run is still going is skipped and logged, and stop() waits for the
 * run in flight.
 */
import { describe, expect, it, vi } from 'vitest';
import { scheduleSync } from '../../examples/ops/croner-schedule.js';
import { createMemoryStore, createReconciler, type ReconcilerEvent } from '../../src/index.js';
import { createScriptedNovitaClient } from '../../src/testing/index.js';

// The examples import the package by name; here that name means the source, as the root tsconfig's
// `paths` make it mean for tsc (Vite alone would resolve it to ./dist through the exports map).
vi.mock('novita-reconciler', () => import('../../src/index.js'));

describe('croner schedule (examples/ops/croner-schedule.ts)', () => {
  it('skips the ticks that come while a run is going (protect), logs them, and stop() waits for that run', async () => {
    const events: ReconcilerEvent[] = [];
    const warnings: string[] = [];
    // Each listing takes 1.8 s, so the tick one second after a run starts finds it still going.
    const novita = createScriptedNovitaClient({ instances: [{ id: 'nv-a', status: 'exited' }], latencyMs: 1_800 });
    const store = createMemoryStore({
      records: [{ id: 'a', novitaInstanceId: 'nv-a', status: 'running', timestamps: { created: '2026-01-01T00:00:00.000Z' } }],
    });
    const reconciler = createReconciler({ store, novitaClient: novita, onEvent: (event) => events.push(event) });
    let firstSkip!: () => void;
    const skipped = new Promise<void>((resolve) => (firstSkip = resolve));
    const schedule = scheduleSync(reconciler, {
      pattern: '* * * * * *',
      logger: {
        warn: (_fields, message) => {
          warnings.push(message);
          firstSkip();
        },
      },
    });

    await skipped;
    const startedWhenSkipped = events.filter((event) => event.type === 'run-started').length;
    await schedule.stop();

    expect(warnings[0]).toBe('Scheduled sync skipped: the previous one is still running');
    expect(startedWhenSkipped).toBe(1);
    // stop() resolved only once the run in flight had finished; no run started after it.
    const ends = events.filter((event) => event.type === 'run-finished' || event.type === 'run-failed');
    expect(ends.length).toBe(events.filter((event) => event.type === 'run-started').length);
    expect(ends[0]).toMatchObject({ type: 'run-finished', report: { updated: 1 } });
    expect(schedule.job.isStopped()).toBe(true);
    expect((await store.get('a'))?.status).toBe('stopped');
  }, 15_000);

  it('a failing run is logged, not thrown into the process, and the next tick runs', async () => {
    const errors: string[] = [];
    const novita = createScriptedNovitaClient({ instances: [] });
    novita.failListing(new Error('upstream down'));
    const reconciler = createReconciler({ store: createMemoryStore(), novitaClient: novita });
    let secondFailure!: () => void;
    const failedTwice = new Promise<void>((resolve) => (secondFailure = resolve));
    const schedule = scheduleSync(reconciler, {
      pattern: '* * * * * *',
      logger: {
        error: (fields, message) => {
          errors.push(`${message} ${String(fields.code)}`);
          if (errors.length === 2) secondFailure();
        },
      },
    });
    await failedTwice;
    await schedule.stop();
    expect(errors.slice(0, 2)).toEqual(['Scheduled sync failed NOVITA_API', 'Scheduled sync failed NOVITA_API']);
  }, 15_000);
});
