/**
 * The run's steps called directly (core/run/), each on its own: the deadline race, the listing check,
 * the confirmations with their breaker and budget, the single-flight queue, the writer and the report.
 * The reconciler tests cover them again as one run.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type NovitaClient } from '../../../src/index.js';
import { defaultAdoptRecord, planSync } from '../../../src/core/plan/planner.js';
import { resolvePolicy } from '../../../src/core/config/sync-policy.js';
import { createWriter, plannedActions } from '../../../src/core/run/apply-writes.js';
import { NO_LIVENESS } from '../../../src/core/run/guard-destructive.js';
import { buildReport, NO_CONFIRMATIONS } from '../../../src/core/run/build-report.js';
import { checkListing } from '../../../src/core/run/check-listing.js';
import { confirmCandidates } from '../../../src/core/run/confirm-candidates.js';
import { raceCall, raceIterable, RaceLostError } from '../../../src/core/runtime/deadline.js';
import { createProgress } from '../../../src/core/run/progress.js';
import type { RunContext } from '../../../src/core/run/run-context.js';
import { createFlightQueue } from '../../../src/core/runtime/single-flight.js';
import { instance, NOW, record } from '../../support/reconcile-fixtures.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('raceCall and raceIterable', () => {
  it('resolve like the call when it answers in time', async () => {
    await expect(raceCall(async () => 42, undefined, 100)).resolves.toBe(42);
  });
  it('lose with kind timeout at the deadline, and hand a late answer to onLateAnswer', async () => {
    let late: number | undefined;
    let answer: (value: number) => void = () => undefined;
    const race = raceCall(
      () => new Promise<number>((resolve) => (answer = resolve)),
      undefined,
      20,
      (value) => (late = value),
    );
    await expect(race).rejects.toMatchObject({ kind: 'timeout', timeoutMs: 20 });
    answer(7);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(late).toBe(7);
  });
  it('lose with kind aborted when the signal aborts, at once or after the grace', async () => {
    const controller = new AbortController();
    const race = raceCall(never, controller.signal, 10_000);
    controller.abort();
    await expect(race).rejects.toBeInstanceOf(RaceLostError);
    const graced = new AbortController();
    const withGrace = raceCall(
      () => new Promise<string>((resolve) => setTimeout(() => resolve('landed'), 20)),
      graced.signal,
      10_000,
      undefined,
      200,
    );
    graced.abort();
    await expect(withGrace).resolves.toBe('landed');
  });
  it('have no deadline when told the time is unlimited', async () => {
    await expect(
      raceCall(() => new Promise((resolve) => setTimeout(() => resolve('slow'), 30)), undefined, Number.POSITIVE_INFINITY),
    ).resolves.toBe('slow');
  });
  it('race every step of an iterable and finish the iterator when a step loses', async () => {
    let returned = false;
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => {
        let step = 0;
        return {
          next: () => (step++ === 0 ? Promise.resolve({ value: 1, done: false }) : never()),
          return: async () => {
            returned = true;
            return { value: undefined, done: true };
          },
        };
      },
    };
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of raceIterable(iterable, undefined, 20)) seen.push(value);
      })(),
    ).rejects.toMatchObject({ kind: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual([1]);
    expect(returned).toBe(true);
  });
});

describe('checkListing', () => {
  it('takes a complete listing and its walks', () => {
    expect(checkListing({ instances: [instance('a', 'running')], total: 1, walks: 2 })).toMatchObject({ walks: 2 });
    expect(checkListing({ instances: [], total: 0 }).walks).toBe(1);
  });
  it('grades a listing unproven when the client says so, when it has no total, or when its ids fall short of the total', () => {
    expect(checkListing({ instances: [instance('a', 'x')], total: 1 })).toMatchObject({ complete: true, total: 1 });
    expect(checkListing({ instances: [instance('a', 'x')], total: 1, complete: false, reason: 'why' })).toMatchObject({
      complete: false,
      reason: 'why',
    });
    expect(checkListing({ instances: [instance('a', 'x')] })).toMatchObject({
      complete: false,
      total: null,
      reason: 'the listing announced no total',
    });
    expect(checkListing({ instances: [instance('a', 'x')], total: 2 })).toMatchObject({
      complete: false,
      reason: expect.stringContaining('total of 2'),
    });
  });
  it('refuses duplicate ids, a client contradicting itself and malformed items, naming the field', () => {
    expect(() => checkListing({ instances: [instance('a', 'x'), instance('a', 'x')], total: 2 })).toThrow(/an id repeated/);
    expect(() => checkListing({ instances: [instance('a', 'x')], total: 2, complete: true })).toThrow(/called it complete/);
    expect(() => checkListing({ instances: [], total: -1 })).toThrow(/total/);
    expect(() => checkListing({ instances: [{ id: 'a' }], total: 1 })).toThrow(/instances\[0\]\.status/);
    expect(() => checkListing(null)).toThrow(/no listing object/);
  });
});

describe('confirmCandidates', () => {
  const client = (getInstance: NovitaClient['getInstance']): NovitaClient => ({
    listInstances: async () => ({ instances: [], total: 0 }),
    getInstance,
  });
  const limits = { concurrency: 2, failureLimit: 3, budgetMs: 1_000 };

  it('asks about every candidate and counts gone, alive and failed', async () => {
    const answers = await confirmCandidates(
      client(async (id) => {
        if (id === 'alive') return instance(id, 'running');
        if (id === 'removing') return instance(id, 'removing');
        if (id === 'flaky') throw new Error('HTTP 404');
        return null;
      }),
      ['gone', 'alive', 'removing', 'flaky'],
      limits,
      undefined,
    );
    expect(answers.report).toEqual({ requested: 4, gone: 2, alive: 1, failed: 1, notAttempted: 0, stoppedBy: null });
    expect(answers.answers.get('flaky')).toMatchObject({ kind: 'error' });
  });

  it('rejects only when the run signal aborts', async () => {
    const controller = new AbortController();
    const step = confirmCandidates(
      client(() => never()),
      ['a', 'b'],
      limits,
      controller.signal,
    );
    controller.abort(new Error('shutting down'));
    await expect(step).rejects.toThrow(/shutting down/);
  });
});

describe('the flight queue', () => {
  it('shares an open run with equal key and queues another key behind it', async () => {
    const queue = createFlightQueue<string>();
    const order: string[] = [];
    const start = (name: string) => async () => {
      order.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return name;
    };
    const [a, b, c] = await Promise.all([
      queue.run('k', start('first'), undefined),
      queue.run('k', start('second'), undefined),
      queue.run('other', start('third'), undefined),
    ]);
    expect([a, b, c]).toEqual(['first', 'first', 'third']);
    expect(order).toEqual(['start first', 'start third']);
  });
});

describe('the writer and the report', () => {
  it('applies the writes it is handed, in order, and the report places every record in one category', async () => {
    const records = [record('a'), record('b')];
    const store = createMemoryStore({ records });
    const entries = [];
    for await (const batch of store.readBatches()) entries.push(...batch);
    const plan = planSync({
      entries,
      instances: [instance('nv-a', 'exited'), instance('nv-b', 'running')],
      policy: resolvePolicy({}),
      now: NOW,
      handleObsoleteInstances: true,
      forceSync: false,
      adoptRecord: defaultAdoptRecord,
    });
    const context = { store, writeBatchSize: 100, storeTimeoutMs: 1_000 } as unknown as RunContext;
    const writer = createWriter({
      context,
      id: 'run-1',
      signal: undefined,
      lease: null,
      progress: createProgress('run-1', () => undefined),
    });
    writer.enqueue(plannedActions(plan, () => true));
    await writer.done();
    expect((await store.get('a'))?.status).toBe('stopped');
    const planned = plannedActions(plan, () => true);
    const report = buildReport({
      runId: 'run-1',
      plan,
      planned,
      outcomes: new Map(planned.map((action) => [action, writer.outcomeOf(action)] as const)),
      runOptions: { dryRun: false, handleObsoleteInstances: true, forceSync: false },
      instances: 2,
      listing: { complete: true, walks: 1, total: 2 },
      confirmations: NO_CONFIRMATIONS,
      limits: {
        maxDestructivePerRun: null,
        window: null,
        hold: null,
        wanted: 0,
        heldBack: { cap: 0, window: 0, hold: 0 },
        records: [],
      },
      liveness: NO_LIVENESS,
      startedAt: NOW,
      durationMs: 5,
    });
    expect(report).toMatchObject({ beforeSync: 2, updated: 1, unchanged: 1, afterSync: 2, listingWalks: 1 });
    expect(report.actions).toEqual([expect.objectContaining({ kind: 'refresh', recordId: 'a', outcome: 'applied' })]);
  });
});
