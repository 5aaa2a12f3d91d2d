/**
 * What the report says is what was written. Writes start while confirmations are still asked, and the
 * application's callbacks are not pure: an `adoptRecord` that returns a fresh id on each call, a scope
 * that answers differently on each call, records the application changes while the run goes on.
 * Whatever they do, the report's actions and counts equal the store's change, record by record, and
 * each callback is called at most once per record or instance per run.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  setHold,
  type ConditionalWrite,
  type InstanceRecord,
  type NovitaClient,
  type NovitaInstance,
  type WriteResult,
} from '../../../src/index.js';
import { expectConsistentReport, fleetOfSlots, interceptWrites, NOW } from '../../support/reconcile-fixtures.js';

const NOVITA_STATUSES = ['running', 'exited', 'pulling', 'removed', 'toRemove', 'hibernating'];
const LOCAL_STATUSES = ['creating', 'running', 'stopped', 'terminated'];

const scenario = fc.record({
  slots: fc.array(
    fc.record({
      novita: fc.option(fc.constantFrom(...NOVITA_STATUSES), { nil: undefined }),
      omitted: fc.boolean(),
      getFails: fc.boolean(),
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
      /** What the scope says of this slot's record and instance on the first call (each later call says the opposite). */
      inScope: fc.boolean(),
      /** Whether the application changes this slot's record while the confirmations are asked. */
      appChanges: fc.option(fc.constantFrom('status' as const, 'field' as const), { nil: undefined }),
    }),
    { maxLength: 20 },
  ),
  policy: fc.record({
    removeObsoleteInstances: fc.boolean(),
    obsoleteRetentionDays: fc.integer({ min: 0, max: 14 }),
    maxObsoleteFraction: fc.constantFrom(0.5, 1),
    safetyMinRecords: fc.integer({ min: 0, max: 12 }),
    novitaOnly: fc.constantFrom('report' as const, 'adopt' as const),
  }),
  withScope: fc.boolean(),
  dryRun: fc.boolean(),
  /** The guards of issue 16. */
  guards: fc.record({
    maxDestructivePerRun: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    destructiveBudget: fc.option(fc.record({ max: fc.integer({ min: 0, max: 5 }), windowMinutes: fc.constant(60) }), { nil: null }),
    hold: fc.boolean(),
    /** Whether a livenessCheck answers, per record, by a coin that flips on every call (so a second call would show). */
    livenessCheck: fc.boolean(),
  }),
  writeBatchSize: fc.constantFrom(1, 3, 500),
});

/** What the store's answer to one write means for the report (the rule of apply-writes.ts). */
function outcomeOf(result: WriteResult | undefined): string {
  if (result?.outcome === 'ok') return 'applied';
  return result?.outcome ?? 'unknown';
}

/** Counts calls per key, to check the once-per-run promise. */
function callCounter() {
  const calls = new Map<string, number>();
  return {
    count(key: string): number {
      const next = (calls.get(key) ?? 0) + 1;
      calls.set(key, next);
      return next;
    },
    max: (): number => Math.max(0, ...calls.values()),
    reset: (): void => calls.clear(),
  };
}

describe('the report says what was written', () => {
  it('whatever the callbacks answer and the application changes during the run, report and store agree record by record', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ slots, policy, withScope, dryRun, writeBatchSize, guards }) => {
        const { records, novita: scripted } = fleetOfSlots(slots, {
          instanceCreatedAt: new Date(NOW.getTime() - 86_400_000).toISOString(),
        });
        const scopeOf = new Map<string, boolean>();
        const changes: [id: string, change: 'status' | 'field'][] = [];
        slots.forEach((slot, index) => {
          scopeOf.set(`r${index}`, slot.inScope);
          scopeOf.set(`nv${index}`, slot.inScope);
          if (slot.local && slot.appChanges) changes.push([`r${index}`, slot.appChanges]);
        });

        const memory = createMemoryStore({ records });
        const written: { write: ConditionalWrite; outcome: string }[] = [];
        const store = interceptWrites(memory, async (writes, options, _call, next) => {
          const results = await next(writes, options);
          for (const [index, write] of writes.entries()) written.push({ write, outcome: outcomeOf(results[index]) });
          return results;
        });
        // The application changes records between the read and the writes: while the first
        // confirmation is asked, when early writes may already be on their way.
        let appChanged = false;
        const novitaClient: NovitaClient = {
          listInstances: (options) => scripted.listInstances(options),
          getInstance: async (id, options) => {
            if (!appChanged) {
              appChanged = true;
              // Conditional writes, as a careful application makes them: a record the run removed
              // meanwhile is not brought back (that would be a record the report cannot know of).
              const changed = new Map(changes);
              for await (const batch of memory.readBatches()) {
                for (const entry of batch) {
                  const change = entry.invalid === undefined ? changed.get(entry.record.id) : undefined;
                  if (change === undefined || entry.invalid !== undefined) continue;
                  const next = change === 'status' ? { ...entry.record, status: 'failed' } : { ...entry.record, appNote: randomUUID() };
                  await memory.writeBatch([{ op: 'put', id: next.id, record: next, expectedVersion: entry.version }]);
                }
              }
            }
            return scripted.getInstance(id, options);
          },
        };

        const recordCalls = callCounter();
        const instanceCalls = callCounter();
        const adoptCalls = callCounter();
        const livenessCalls = callCounter();
        if (guards.hold) await setHold(memory, { reason: 'property' });
        const flip = (counter: ReturnType<typeof callCounter>, key: string): boolean => {
          const call = counter.count(key);
          const first = scopeOf.get(key) ?? true;
          return call % 2 === 1 ? first : !first;
        };
        const reconciler = createReconciler({
          store,
          novitaClient,
          clock: () => NOW,
          writeBatchSize,
          policy: { ...policy, maxDestructivePerRun: guards.maxDestructivePerRun, destructiveBudget: guards.destructiveBudget },
          ...(guards.livenessCheck
            ? {
                livenessCheck: (record: InstanceRecord) => {
                  const call = livenessCalls.count(record.id);
                  return (scopeOf.get(record.id) ?? true) !== (call % 2 === 1);
                },
              }
            : {}),
          adoptRecord: (instance) => {
            adoptCalls.count(instance.id);
            return { id: randomUUID(), status: 'creating', fromNovita: instance.id };
          },
          ...(withScope
            ? {
                scope: {
                  record: (record: InstanceRecord) => flip(recordCalls, record.id),
                  instance: (instance: NovitaInstance) => flip(instanceCalls, instance.id),
                },
              }
            : {}),
        });
        const before = await memory.list();
        const report = await reconciler.sync({ dryRun });
        expectConsistentReport(report);
        expect(recordCalls.max(), 'scope.record called at most once per record').toBeLessThanOrEqual(1);
        expect(instanceCalls.max(), 'scope.instance called at most once per instance').toBeLessThanOrEqual(1);
        expect(adoptCalls.max(), 'adoptRecord called at most once per instance').toBeLessThanOrEqual(1);
        expect(livenessCalls.max(), 'livenessCheck called at most once per record').toBeLessThanOrEqual(1);
        const ended = report.actions.filter((action) => action.kind === 'markTerminated' || action.kind === 'remove');
        if (guards.hold) expect(ended).toEqual([]);
        if (guards.maxDestructivePerRun !== null) expect(ended.length).toBeLessThanOrEqual(guards.maxDestructivePerRun);
        if (guards.destructiveBudget) {
          expect(ended.length).toBeLessThanOrEqual(guards.destructiveBudget.max);
          // What the window counts is what was (or may have been) written.
          const kept = ended.filter((action) => ['applied', 'unknown', 'planned'].includes(action.outcome)).length;
          expect(report.limits.window?.usedByRun).toBe(guards.hold ? 0 : kept);
        }

        if (dryRun) {
          expect(written).toEqual([]);
          expect(report.actions.every((action) => action.outcome === 'planned')).toBe(true);
          return;
        }
        // Every write the store saw is an action of the report with the same outcome, and every action
        // the report says was sent is a write the store saw: same record, same operation.
        const sent = written.map(({ write, outcome }) => `${write.op} ${write.id} ${outcome}`).sort();
        const reported = report.actions
          .filter((action) => action.outcome !== 'not-applied')
          .map((action) => `${action.kind === 'remove' ? 'delete' : 'put'} ${action.recordId} ${action.outcome}`)
          .sort();
        expect(reported).toEqual(sent);
        // The record an adoption wrote is the one the report names.
        for (const action of report.actions.filter((item) => item.kind === 'adopt' && item.outcome === 'applied')) {
          expect((await memory.get(action.recordId))?.fromNovita).toBe(action.novitaInstanceId);
        }
        // The counts are the store's change.
        const after = await memory.list();
        const beforeIds = new Set(before.map((record) => record.id));
        const afterIds = new Set(after.map((record) => record.id));
        expect(report.afterSync, 'afterSync is what the store holds').toBe(after.length);
        expect(report.adopted, 'adopted: the records that are new in the store').toBe(
          after.filter((record) => !beforeIds.has(record.id)).length,
        );
        expect(report.removed, 'removed: the records gone from the store').toBe(before.filter((record) => !afterIds.has(record.id)).length);
        const terminatedNow = after.filter(
          (record) => record.status === 'terminated' && before.find((old) => old.id === record.id)?.status !== 'terminated',
        );
        expect(report.markedTerminated, 'markedTerminated: the records terminated by this run').toBe(terminatedNow.length);
      }),
      { numRuns: 250 },
    );
  });
});
