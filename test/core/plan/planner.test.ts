/**
 * The pure planner, called directly: same input, same plan; no store, no client, no clock. One block
 * per step of "One run, in order". (reconcile-rules.test.ts runs the same rules through the reconciler.)
 */
import { describe, expect, it } from 'vitest';
import { defaultAdoptRecord, planSync, type Confirmation, type PlanInput } from '../../../src/core/plan/planner.js';
import { resolvePolicy, type SyncPolicyInput } from '../../../src/core/config/sync-policy.js';
import type { InstanceRecord } from '../../../src/core/record.js';
import type { NovitaInstance } from '../../../src/core/ports/novita-client.js';
import { daysAgo, instance, minutesAgo, NOW, record } from '../../support/reconcile-fixtures.js';

function plan(
  records: InstanceRecord[],
  instances: NovitaInstance[],
  extra: { policy?: SyncPolicyInput; confirmations?: Map<string, Confirmation> } & Partial<
    Omit<PlanInput, 'policy' | 'confirmations'>
  > = {},
) {
  const { policy, ...rest } = extra;
  return planSync({
    entries: records.map((item, index) => ({ id: item.id, record: item, version: `v${index}` })),
    instances,
    policy: resolvePolicy(policy ?? {}),
    now: NOW,
    handleObsoleteInstances: true,
    forceSync: false,
    adoptRecord: defaultAdoptRecord,
    ...rest,
  });
}
const kinds = (result: ReturnType<typeof plan>) => result.decisions.map((decision) => decision.action?.kind ?? decision.category);

describe('planSync is pure', () => {
  it('the same input gives the same plan, and the input is not mutated', () => {
    const records = [record('a'), record('b', { status: 'terminated', timestamps: { terminated: daysAgo(9) } })];
    const before = JSON.stringify(records);
    const first = plan(records, [instance('nv-a', 'exited')]);
    const second = plan(records, [instance('nv-a', 'exited')]);
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
    expect(JSON.stringify(records)).toBe(before);
  });
});

describe('step 2: status refresh', () => {
  it('refreshes from the listing with a conditional write on the version read', () => {
    const result = plan([record('a')], [instance('nv-a', 'exited', { lastStoppedAt: minutesAgo(5) })]);
    expect(result.decisions[0]).toMatchObject({
      category: 'updated',
      merged: true,
      action: { kind: 'refresh', from: 'running', to: 'stopped', write: { op: 'put', expectedVersion: 'v0' } },
    });
    expect(result.decisions[0]?.action?.write).toMatchObject({
      record: { status: 'stopped', novitaStatus: 'exited', timestamps: { stopped: minutesAgo(5), updated: NOW.toISOString() } },
    });
  });
  it('revives a terminated record whose instance is alive, dropping its termination stamp and reason', () => {
    const result = plan(
      [record('a', { status: 'terminated', terminationReason: 'instance-not-found', timestamps: { terminated: daysAgo(2) } })],
      [instance('nv-a', 'running')],
    );
    const write = result.decisions[0]?.action?.write;
    expect(result.decisions[0]?.action?.reason).toBe('instance-alive');
    expect(write?.op === 'put' && write.record.timestamps?.terminated).toBeUndefined();
    expect(write?.op === 'put' && write.record.terminationReason).toBeUndefined();
  });
});

describe('step 3: candidates and age', () => {
  it('a record absent from the listing waits for its confirmation', () => {
    const result = plan([record('a')], []);
    expect(result.decisions[0]?.category).toBe('pending');
    expect(result.toConfirm).toEqual(['nv-a']);
    expect(result.obsoleteCandidates).toBe(1);
  });
  it('a record of unknown age is stamped firstSeen and left in grace, never a candidate', () => {
    const result = plan([record('a', { timestamps: { created: undefined } })], []);
    expect(result.decisions[0]).toMatchObject({ category: 'skipped', skipped: 'grace', action: { kind: 'stampFirstSeen' } });
    expect(result.toConfirm).toEqual([]);
    expect(result.obsoleteCandidates).toBe(0);
    expect(result.safety.eligible).toBe(0);
  });
});

describe('step 4: the safety limit', () => {
  const fleet = Array.from({ length: 20 }, (_, i) => record(`r${i}`));
  it('counts candidates before any confirmation and holds them all back when it trips', () => {
    const result = plan(
      fleet,
      fleet.slice(0, 5).map((item) => instance(item.novitaInstanceId as string, 'running')),
    );
    expect(result.safety).toMatchObject({ tripped: true, candidates: 15, eligible: 20 });
    expect(result.toConfirm).toEqual([]);
    expect(result.decisions.filter((decision) => decision.skipped === 'safety')).toHaveLength(15);
  });
  it('forceSync lets confirmation go ahead', () => {
    const result = plan(fleet, [], { forceSync: true });
    expect(result.safety).toMatchObject({ tripped: true, overridden: true });
    expect(result.toConfirm).toHaveLength(20);
  });
});

describe('steps 5 and 6: confirmation, then remove or mark', () => {
  const answers = (entries: [string, Confirmation][]) => new Map(entries);
  it('not-found marks terminated; a deleting status marks with that status; alive refreshes; an error leaves it unverified', () => {
    const result = plan([record('a'), record('b'), record('c'), record('d')], [], {
      policy: { safetyMinRecords: 100 },
      confirmations: answers([
        ['nv-a', { kind: 'not-found' }],
        ['nv-b', { kind: 'found', instance: instance('nv-b', 'removed') }],
        ['nv-c', { kind: 'found', instance: instance('nv-c', 'running') }],
        ['nv-d', { kind: 'error', message: 'Novita answered 404' }],
      ]),
    });
    expect(kinds(result)).toEqual(['markTerminated', 'markTerminated', 'unchanged', 'unverified']);
    expect(result.decisions[1]?.action).toMatchObject({ reason: 'instance-deleted', novitaStatus: 'removed' });
    expect(result.toConfirm).toEqual([]);
  });
  it('removes instead of marking with removeObsoleteInstances, and always for a never-started record', () => {
    const confirmations = answers([['nv-a', { kind: 'not-found' }]]);
    expect(kinds(plan([record('a')], [], { policy: { removeObsoleteInstances: true }, confirmations }))).toEqual(['remove']);
    expect(kinds(plan([record('a', { status: 'creating', timestamps: { started: undefined } })], [], { confirmations }))).toEqual([
      'remove',
    ]);
  });
  it('without confirmObsolete, absence from the listing is taken as gone', () => {
    expect(kinds(plan([record('a')], [], { policy: { confirmObsolete: false } }))).toEqual(['markTerminated']);
  });
});

describe('step 7: retention', () => {
  it('removes an expired terminated record once its absence is confirmed, keeps a recent one', () => {
    const old = record('old', { status: 'terminated', timestamps: { terminated: daysAgo(8) } });
    const recent = record('recent', { status: 'terminated', timestamps: { terminated: daysAgo(2) } });
    const first = plan([old, recent], []);
    expect(first.toConfirm).toEqual(['nv-old']);
    const second = plan([old, recent], [], { confirmations: new Map([['nv-old', { kind: 'not-found' }]]) });
    expect(second.decisions.map((decision) => [decision.action?.kind ?? decision.category, decision.action?.reason])).toEqual([
      ['remove', 'retention-expired'],
      ['unchanged', undefined],
    ]);
  });
});

describe('step 8: Novita-only instances', () => {
  it('adopts with a create that must not exist yet, filling the fields the library owns', () => {
    const result = plan([], [instance('nv-x', 'running', { createdAt: daysAgo(1) })], { policy: { novitaOnly: 'adopt' } });
    expect(result.adoptions[0]).toMatchObject({
      kind: 'adopt',
      recordId: 'nv-x',
      write: {
        op: 'put',
        expectedVersion: null,
        record: { novitaInstanceId: 'nv-x', status: 'running', timestamps: { created: daysAgo(1) } },
      },
    });
  });
  it('an instance a record names is never Novita-only, even when the record is out of scope', () => {
    const result = plan([record('a', { team: 'other' })], [instance('nv-a', 'running')], {
      scope: { record: (item) => item.team !== 'other' },
    });
    expect(result.novitaOnly).toEqual([]);
    expect(result.decisions[0]).toMatchObject({ category: 'skipped', skipped: 'outOfScope' });
  });
});

describe('step 9: what is left alone', () => {
  it('two records naming one instance are both skipped as duplicates; an undecodable value as invalid', () => {
    const result = planSync({
      entries: [
        { id: 'a', record: record('a', { novitaInstanceId: 'nv-x' }), version: 'v1' },
        { id: 'b', record: record('b', { novitaInstanceId: 'nv-x' }), version: 'v2' },
        { id: 'c', version: 'v3', invalid: 'not JSON' },
      ],
      instances: [],
      policy: resolvePolicy({}),
      now: NOW,
      handleObsoleteInstances: true,
      forceSync: false,
      adoptRecord: defaultAdoptRecord,
    });
    expect(result.decisions.map((decision) => decision.skipped)).toEqual(['duplicate', 'duplicate', 'invalid']);
    expect(result.toConfirm).toEqual([]);
  });
});

describe('the scope predicate', () => {
  it('is asked once per record per plan (the safety limit reuses what classification decided)', () => {
    const asked = new Map<string, number>();
    const records = Array.from({ length: 12 }, (_, i) => record(`r${i}`));
    const result = plan(records, [], {
      scope: {
        record: (item) => {
          asked.set(item.id, (asked.get(item.id) ?? 0) + 1);
          return true;
        },
      },
    });
    expect([...asked.values()].every((count) => count === 1)).toBe(true);
    expect(asked.size).toBe(12);
    expect(result.safety).toMatchObject({ eligible: 12, candidates: 12, tripped: true });
  });
});
