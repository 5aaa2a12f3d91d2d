import { expect } from 'vitest';
import { DESTRUCTIVE_GUARD_METHODS, NovitaApiError } from '../../src/index.js';
import { createScriptedNovitaClient, type ScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import type { InstanceRecord, InstanceStore, NovitaInstance, ReconcilerError, SyncReport, WriteResult } from '../../src/index.js';

export const NOW = new Date('2026-11-28T12:00:00.000Z');

/** An ISO time `minutes` before {@link NOW}. */
export const minutesAgo = (minutes: number): string => new Date(NOW.getTime() - minutes * 60_000).toISOString();
export const daysAgo = (days: number): string => minutesAgo(days * 24 * 60);

/** A record created a day ago, running (Novita's status seen since then), whose Novita id is `nv-<id>`. */
export function record(id: string, fields: Partial<InstanceRecord> & Record<string, unknown> = {}): InstanceRecord {
  return {
    id,
    novitaInstanceId: `nv-${id}`,
    status: 'running',
    novitaStatus: 'running',
    ...fields,
    timestamps: { created: daysAgo(1), started: daysAgo(1), novitaStatusSince: daysAgo(1), ...(fields.timestamps ?? {}) },
  };
}

/** A Novita instance as a client resolves it. */
export function instance(id: string, status: string, fields: Partial<NovitaInstance> = {}): NovitaInstance {
  return { id, status, name: `name-${id}`, ...fields };
}

/** Every report invariant: the categories add up to beforeSync, and the derived counts agree. */
export function expectConsistentReport(report: SyncReport): void {
  const skipped = Object.values(report.skipped).reduce((sum, count) => sum + count, 0);
  const categories =
    report.updated +
    report.markedTerminated +
    report.removed +
    report.unchanged +
    report.conflicts +
    report.unverified +
    report.notApplied +
    report.unknown +
    skipped;
  expect(categories, 'categories add up to beforeSync').toBe(report.beforeSync);
  expect(report.localInstances).toBe(report.beforeSync);
  expect(report.afterSync).toBe(report.beforeSync - report.removed + report.adopted);
  expect(report.instancesRemoved).toBe(report.removed);
  expect(report.dryRun).toBe(report.options.dryRun);
}

type WriteBatchArgs = Parameters<InstanceStore['writeBatch']>;

/**
 * Wraps a store so that every `writeBatch` goes through `intercept`, which gets the call number
 * (from 1) and `next` to pass the batch on to the real store. Everything else reaches the store as is,
 * the destructive guards included when the store keeps them.
 */
export function interceptWrites(
  store: InstanceStore,
  intercept: (
    writes: WriteBatchArgs[0],
    options: WriteBatchArgs[1],
    call: number,
    next: InstanceStore['writeBatch'],
  ) => Promise<WriteResult[]>,
): InstanceStore {
  let calls = 0;
  const guards = Object.fromEntries(
    DESTRUCTIVE_GUARD_METHODS.flatMap((method) => {
      const member = (store as unknown as Record<string, unknown>)[method];
      return typeof member === 'function' ? [[method, member.bind(store)]] : [];
    }),
  );
  return {
    ...guards,
    get: store.get.bind(store),
    put: store.put.bind(store),
    delete: store.delete.bind(store),
    list: store.list.bind(store),
    count: store.count.bind(store),
    readBatches: store.readBatches.bind(store),
    writeBatch: async (writes, options) => {
      calls += 1;
      return intercept(writes, options, calls, store.writeBatch.bind(store));
    },
  };
}

/** Wraps a store to count the writes that reach it. */
export function countingStore(store: InstanceStore): InstanceStore & { writes: number; batches: number } {
  const counted = Object.assign(
    interceptWrites(store, async (writes, options, _call, next) => {
      counted.writes += writes.length;
      counted.batches += 1;
      return next(writes, options);
    }),
    { writes: 0, batches: 0 },
  );
  return counted;
}

/** The actions of a report without their outcomes, for comparing a dry run with the real one. */
export function actionsWithoutOutcome(report: SyncReport): unknown[] {
  return report.actions.map(({ outcome: _outcome, ...rest }) => rest);
}

/** `count` records `r0`..`r<count-1>`, each made by {@link record}. */
export const fleetOf = (count: number): InstanceRecord[] => Array.from({ length: count }, (_, i) => record(`r${i}`));

/** What `promise` rejected with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<ReconcilerError> {
  try {
    await promise;
  } catch (error) {
    return error as ReconcilerError;
  }
  throw new Error('expected a rejection');
}

/** One slot of a property test's fleet: what Novita knows of instance `nv<i>`, and record `r<i>`. */
export interface FleetSlot {
  /** Novita's status of the instance, or `undefined` when Novita does not know it. */
  novita: string | undefined;
  /** Whether the listing omits it although it exists (lag). */
  omitted: boolean;
  /** Whether `getInstance` fails for it. */
  getFails: boolean;
  /** The record naming it, if any. */
  local:
    | { status: string; createdMinutesAgo: number; started: boolean; terminatedDaysAgo: number | undefined; hasNovitaId: boolean }
    | undefined;
}

/**
 * The records and the scripted Novita of a property test's slots, relative to {@link NOW}. With
 * `instanceCreatedAt`, every instance carries that creation time.
 */
export function fleetOfSlots(
  slots: readonly FleetSlot[],
  options: { instanceCreatedAt?: string } = {},
): { records: InstanceRecord[]; instances: NovitaInstance[]; novita: ScriptedNovitaClient } {
  const instances: NovitaInstance[] = [];
  const records: InstanceRecord[] = [];
  const novita = createScriptedNovitaClient();
  const hidden: string[] = [];
  slots.forEach((slot, index) => {
    const novitaId = `nv${index}`;
    if (slot.novita !== undefined) {
      instances.push({ id: novitaId, status: slot.novita, ...(options.instanceCreatedAt ? { createdAt: options.instanceCreatedAt } : {}) });
      if (slot.omitted) hidden.push(novitaId);
    }
    if (slot.getFails) novita.failGetInstance(novitaId, new NovitaApiError('Novita answered 503', { status: 503, retryable: true }));
    const local = slot.local;
    if (!local) return;
    records.push({
      id: `r${index}`,
      ...(local.hasNovitaId ? { novitaInstanceId: novitaId } : {}),
      status: local.status,
      timestamps: {
        created: new Date(NOW.getTime() - local.createdMinutesAgo * 60_000).toISOString(),
        ...(local.started ? { started: new Date(NOW.getTime() - 60_000).toISOString() } : {}),
        ...(local.terminatedDaysAgo !== undefined
          ? { terminated: new Date(NOW.getTime() - local.terminatedDaysAgo * 86_400_000).toISOString() }
          : {}),
      },
    });
  });
  novita.setInstances(instances);
  novita.hideFromListing(hidden);
  return { records, instances, novita };
}
