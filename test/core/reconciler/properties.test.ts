/**
 * Property tests over random fleets, records, policies and Novita faults. The promise they guard is
 * the one that matters most: whatever Novita's listing omits and whatever its getInstance calls
 * fail, no record whose instance is alive is ever marked terminated or removed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, GONE_STATUSES, setHold, type InstanceRecord } from '../../../src/index.js';
import { expectConsistentReport, fleetOfSlots, NOW } from '../../support/reconcile-fixtures.js';

const NOVITA_STATUSES = [
  'pending',
  'creating',
  'pulling',
  'running',
  'starting',
  'restarting',
  'stopping',
  'exited',
  'migrating',
  'freezing',
  'toRemove',
  'removing',
  'removed',
  'hibernating',
];
const LOCAL_STATUSES = [
  'creating',
  'created',
  'starting',
  'health_checking',
  'running',
  'ready',
  'stopping',
  'stopped',
  'failed',
  'terminated',
];

const scenario = fc.record({
  slots: fc.array(
    fc.record({
      /** What Novita knows of the instance: nothing, or a status. */
      novita: fc.option(fc.constantFrom(...NOVITA_STATUSES), { nil: undefined }),
      /** Whether the listing omits it although it exists (lag). */
      omitted: fc.boolean(),
      /** Whether getInstance fails for it. */
      getFails: fc.boolean(),
      /** What the application's livenessCheck answers for its record. */
      liveness: fc.constantFrom('gone' as const, 'alive' as const, 'throws' as const, 'hangs' as const),
      /** Whether a record names it, and in what state. */
      local: fc.option(
        fc.record({
          status: fc.constantFrom(...LOCAL_STATUSES),
          createdMinutesAgo: fc.integer({ min: 0, max: 60 * 24 * 30 }),
          started: fc.boolean(),
          terminatedDaysAgo: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
          hasNovitaId: fc.boolean(),
        }),
        { nil: undefined },
      ),
    }),
    { maxLength: 25 },
  ),
  policy: fc.record({
    removeObsoleteInstances: fc.boolean(),
    obsoleteRetentionDays: fc.integer({ min: 0, max: 14 }),
    maxObsoleteFraction: fc.constantFrom(0, 0.25, 0.5, 1),
    safetyMinRecords: fc.integer({ min: 0, max: 12 }),
    novitaOnly: fc.constantFrom('report' as const, 'ignore' as const, 'adopt' as const),
  }),
  forceSync: fc.boolean(),
  dryRun: fc.boolean(),
  /** The guards of issue 16: each may be off. */
  guards: fc.record({
    maxDestructivePerRun: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
    destructiveBudget: fc.option(fc.record({ max: fc.integer({ min: 0, max: 6 }), windowMinutes: fc.constantFrom(1, 60) }), { nil: null }),
    usedBefore: fc.integer({ min: 0, max: 4 }),
    hold: fc.boolean(),
    livenessCheck: fc.boolean(),
  }),
});

describe('reconcile properties', () => {
  it('whatever the listing omits and getInstance fails, no record whose instance is alive is marked terminated or removed', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ slots, policy, forceSync, dryRun, guards }) => {
        const { records, instances: fleet, novita } = fleetOfSlots(slots);
        const store = createMemoryStore({ records });
        const budget = guards.destructiveBudget;
        if (budget && guards.usedBefore > 0)
          await store.reserveDestructive({
            runId: 'earlier',
            ids: Array.from({ length: guards.usedBefore }, (_, i) => `earlier${i}`),
            budget: { max: 100, windowMs: budget.windowMinutes * 60_000 },
            now: new Date(NOW.getTime() - 30_000),
            reserve: true,
          });
        if (guards.hold) await setHold(store, { reason: 'property', by: 'fast-check' });
        const livenessOf = new Map(slots.map((slot, index) => [`r${index}`, slot.liveness]));
        const reconciler = createReconciler({
          store,
          novitaClient: novita,
          policy: { ...policy, maxDestructivePerRun: guards.maxDestructivePerRun, destructiveBudget: budget },
          clock: () => NOW,
          livenessTimeoutMs: 20,
          ...(guards.livenessCheck
            ? {
                livenessCheck: (stored: InstanceRecord) => {
                  const answer = livenessOf.get(stored.id);
                  if (answer === 'throws') throw new Error('heartbeat store down');
                  if (answer === 'hangs') return new Promise<boolean>(() => {});
                  return answer === 'alive';
                },
              }
            : {}),
        });
        const report = await reconciler.sync({ forceSync, dryRun });
        expectConsistentReport(report);

        // The guards of issue 16 hold whatever the rest does.
        const ended = report.actions.filter((action) => action.kind === 'markTerminated' || action.kind === 'remove');
        if (guards.hold) expect(ended).toEqual([]);
        if (guards.maxDestructivePerRun !== null) expect(ended.length).toBeLessThanOrEqual(guards.maxDestructivePerRun);
        if (budget) expect(ended.length).toBeLessThanOrEqual(Math.max(0, budget.max - guards.usedBefore));
        if (guards.livenessCheck)
          for (const action of ended)
            if (action.reason !== 'retention-expired') expect(livenessOf.get(action.recordId), `${action.recordId} vetoed`).toBe('gone');
        expect(report.skipped.limit).toBe(report.limits.records.length);
        expect(report.skipped.liveness).toBe(report.liveness.kept.length);

        const alive = new Set(fleet.filter((instance) => !GONE_STATUSES.has(instance.status)).map((instance) => instance.id));
        for (const action of report.actions) {
          if (action.kind !== 'markTerminated' && action.kind !== 'remove') continue;
          expect(
            action.novitaInstanceId === null || !alive.has(action.novitaInstanceId),
            `${action.kind} ${action.recordId} whose instance ${action.novitaInstanceId} is alive`,
          ).toBe(true);
        }
        if (!dryRun) {
          for (const stored of await store.list()) {
            const original = records.find((item) => item.id === stored.id);
            if (original && original.status !== 'terminated' && stored.status === 'terminated') {
              expect(stored.novitaInstanceId === undefined || !alive.has(stored.novitaInstanceId)).toBe(true);
            }
          }
          // Runs converge: a second run may only remove records whose kept termination time is already past
          // retention (timestamps.terminated never moves); a third has nothing left to do.
          if (report.unverified === 0 && !report.safety.tripped && report.skipped.limit === 0) {
            const second = await reconciler.sync({ forceSync });
            expect(second.actions.filter((action) => action.reason !== 'retention-expired')).toEqual([]);
            const third = await reconciler.sync({ forceSync });
            expect(third.actions).toEqual([]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
