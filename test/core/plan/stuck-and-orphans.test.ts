/**
 * The planner's step 8, called directly: records stuck in a transition (from
 * `timestamps.novitaStatusSince`, which the planner also writes), and the Novita-only instances with
 * their age, whether they are owned, and their price.
 */
import { describe, expect, it } from 'vitest';
import { defaultAdoptRecord, planSync, type PlanInput } from '../../../src/core/plan/planner.js';
import { resolvePolicy, type SyncPolicyInput } from '../../../src/core/config/sync-policy.js';
import { buildStatusMap, transitionalStatuses } from '../../../src/core/plan/status-map.js';
import type { InstanceRecord } from '../../../src/core/record.js';
import type { NovitaInstance } from '../../../src/core/ports/novita-client.js';
import { instance, minutesAgo, NOW, record } from '../../support/reconcile-fixtures.js';

function plan(
  records: InstanceRecord[],
  instances: NovitaInstance[],
  extra: { policy?: SyncPolicyInput } & Partial<Omit<PlanInput, 'policy'>> = {},
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

/** A record whose instance Novita has had in `status` since `minutes` ago (by the record's stamp). */
const inStatus = (id: string, status: string, minutes: number | undefined, local = 'starting'): InstanceRecord =>
  record(id, {
    status: local,
    novitaStatus: status,
    timestamps: { novitaStatusSince: minutes === undefined ? undefined : minutesAgo(minutes) },
  });

const stuckIds = (result: ReturnType<typeof plan>) => result.decisions.flatMap((decision) => (decision.stuck ? [decision.recordId] : []));

describe('transitional statuses', () => {
  it('are every Novita status the default map sends to creating, starting, stopping or migrating', () => {
    expect([...transitionalStatuses(buildStatusMap({}))].sort()).toEqual(
      [
        'pending',
        'toCreate',
        'creating',
        'pulling',
        'toStart',
        'starting',
        'toRestart',
        'restarting',
        'toReset',
        'resetting',
        'toStop',
        'stopping',
        'freezing',
        'migrating',
      ].sort(),
    );
  });

  it('follow the statusMap overrides: a status mapped to running leaves, one mapped to starting joins', () => {
    const statuses = transitionalStatuses(buildStatusMap({ pulling: 'running', exited: 'starting', hibernating: { status: 'stopping' } }));
    expect(statuses.has('pulling')).toBe(false);
    expect(statuses.has('exited')).toBe(true);
    expect(statuses.has('hibernating')).toBe(true);
    expect(statuses.has('running')).toBe(false);
  });
});

describe('stuck (step 8, report only)', () => {
  it('reports a record whose Novita status stayed transitional past stuckAfterMinutes, with since and minutes', () => {
    const result = plan(
      [inStatus('pulled', 'pulling', 120), inStatus('fresh', 'pulling', 30), inStatus('edge', 'stopping', 60, 'stopping')],
      [instance('nv-pulled', 'pulling'), instance('nv-fresh', 'pulling'), instance('nv-edge', 'stopping')],
    );
    expect(stuckIds(result)).toEqual(['pulled']);
    expect(result.decisions[0]).toMatchObject({
      category: 'unchanged',
      stuck: { recordId: 'pulled', novitaInstanceId: 'nv-pulled', status: 'pulling', since: minutesAgo(120), sinceMinutes: 120 },
    });
    expect(result.decisions[0]?.action, 'report only: no write').toBeUndefined();
  });

  it('honours stuckAfterMinutes and a statusMap override', () => {
    const records = [inStatus('a', 'pulling', 45), inStatus('b', 'exited', 600, 'stopped')];
    const instances = [instance('nv-a', 'pulling'), instance('nv-b', 'exited')];
    expect(stuckIds(plan(records, instances, { policy: { stuckAfterMinutes: 30 } }))).toEqual(['a']);
    expect(
      stuckIds(plan(records, instances, { policy: { stuckAfterMinutes: 30, statusMap: { pulling: 'running', exited: 'starting' } } })),
    ).toEqual(['b']);
  });

  it('never guesses: a status that changed this run, or a record without the stamp, is not stuck (and is stamped now)', () => {
    const changed = record('changed', { status: 'starting', novitaStatus: 'creating', timestamps: { novitaStatusSince: minutesAgo(600) } });
    const unstamped = inStatus('unstamped', 'pulling', undefined);
    const result = plan([changed, unstamped], [instance('nv-changed', 'pulling'), instance('nv-unstamped', 'pulling')]);
    expect(stuckIds(result)).toEqual([]);
    expect(result.decisions.map((decision) => decision.action?.kind)).toEqual(['refresh', 'stampStatusSince']);
    for (const decision of result.decisions) {
      const written = decision.action?.write.op === 'put' ? decision.action.write.record : undefined;
      expect(written?.timestamps?.novitaStatusSince).toBe(NOW.toISOString());
    }
  });

  it('running, exited and unknown statuses are never stuck', () => {
    const result = plan(
      [inStatus('r', 'running', 900, 'running'), inStatus('e', 'exited', 900, 'stopped'), inStatus('u', 'hibernating', 900)],
      [instance('nv-r', 'running'), instance('nv-e', 'exited'), instance('nv-u', 'hibernating')],
    );
    expect(stuckIds(result)).toEqual([]);
  });
});

describe('timestamps.novitaStatusSince', () => {
  it('a refresh that changes the Novita status writes it now; one that keeps it keeps the stamp', () => {
    const moved = record('moved', { timestamps: { novitaStatusSince: minutesAgo(300) } });
    const refined = record('refined', { status: 'failed', timestamps: { novitaStatusSince: minutesAgo(300) } });
    const result = plan([moved, refined], [instance('nv-moved', 'exited'), instance('nv-refined', 'running')]);
    const written = result.decisions.map((decision) => (decision.action?.write.op === 'put' ? decision.action.write.record : undefined));
    expect(written[0]?.timestamps?.novitaStatusSince).toBe(NOW.toISOString());
    expect(written[1]?.status).toBe('running');
    expect(written[1]?.timestamps?.novitaStatusSince, 'Novita said running all along').toBe(minutesAgo(300));
  });

  it('a record that has it and agrees with Novita needs no write', () => {
    const result = plan([record('a')], [instance('nv-a', 'running')]);
    expect(result.decisions[0]).toMatchObject({ category: 'unchanged' });
    expect(result.decisions[0]?.action).toBeUndefined();
  });

  it('a record that lacks it is stamped once, as an update, keeping every other field', () => {
    const bare = record('a', { owner: 'team-1', timestamps: { novitaStatusSince: undefined } });
    delete bare.timestamps?.novitaStatusSince;
    const result = plan([bare], [instance('nv-a', 'running')]);
    expect(result.decisions[0]).toMatchObject({
      category: 'updated',
      action: { kind: 'stampStatusSince', reason: 'status-since-missing', from: 'running', to: 'running', novitaStatus: 'running' },
    });
    const write = result.decisions[0]?.action?.write;
    expect(write?.op === 'put' && write.record).toEqual({
      ...bare,
      timestamps: { ...bare.timestamps, novitaStatusSince: NOW.toISOString(), updated: NOW.toISOString() },
    });
  });

  it('an adopted record gets it', () => {
    const result = plan([], [instance('nv-x', 'running', { createdAt: minutesAgo(600) })], { policy: { novitaOnly: 'adopt' } });
    const write = result.adoptions[0]?.write;
    expect(write?.op === 'put' && write.record.timestamps?.novitaStatusSince).toBe(NOW.toISOString());
  });
});

describe('Novita-only instances and orphans (step 8)', () => {
  const listing = [
    instance('nv-old', 'running', { name: 'app-old', createdAt: minutesAgo(300) }),
    instance('nv-young', 'pulling', { name: 'app-young', createdAt: minutesAgo(5) }),
    instance('nv-ageless', 'running', { name: 'app-ageless' }),
    instance('nv-theirs', 'running', { name: 'other-1', createdAt: minutesAgo(900) }),
    instance('nv-going', 'removing', { name: 'app-going', createdAt: minutesAgo(900) }),
  ];
  const scope = { instance: (item: NovitaInstance) => String(item.name).startsWith('app-') };

  it('lists each with its age and whether it is owned; owned ones without an age are asked about', () => {
    const result = plan([], listing, { scope });
    expect(result.novitaOnly).toEqual([
      { novitaInstanceId: 'nv-old', name: 'app-old', status: 'running', ageMinutes: 300, owned: true, costPerHour: null },
      { novitaInstanceId: 'nv-young', name: 'app-young', status: 'pulling', ageMinutes: 5, owned: true, costPerHour: null },
      { novitaInstanceId: 'nv-ageless', name: 'app-ageless', status: 'running', ageMinutes: null, owned: true, costPerHour: null },
      { novitaInstanceId: 'nv-theirs', name: 'other-1', status: 'running', ageMinutes: 900, owned: false, costPerHour: null },
    ]);
    expect(result.toAge).toEqual(['nv-ageless']);
    expect(result.orphans).toEqual({ count: 3, costPerHour: null, unpriced: 3 });
    expect(result.unadoptedNovitaOnly, 'totalInstances counts the owned ones, as before').toBe(3);
  });

  it('takes the age getInstance gave, and an answer without one leaves it unknown without asking again', () => {
    const withAge = plan([], listing, {
      scope,
      instanceDetails: new Map([['nv-ageless', instance('nv-ageless', 'running', { createdAt: minutesAgo(70) })]]),
    });
    expect(withAge.novitaOnly.find((item) => item.novitaInstanceId === 'nv-ageless')?.ageMinutes).toBe(70);
    expect(withAge.toAge).toEqual([]);
    const notFound = plan([], listing, { scope, instanceDetails: new Map([['nv-ageless', null]]) });
    expect(notFound.novitaOnly.find((item) => item.novitaInstanceId === 'nv-ageless')?.ageMinutes).toBeNull();
    expect(notFound.toAge).toEqual([]);
  });

  it('prices each with priceOf and sums the owned ones; an unpriced orphan is counted apart', () => {
    const prices: Record<string, number> = { 'nv-old': 0.69, 'nv-young': 0.35, 'nv-theirs': 2 };
    const result = plan([], listing, { scope, priceOf: (item) => prices[item.id] });
    expect(result.novitaOnly.map((item) => item.costPerHour)).toEqual([0.69, 0.35, null, 2]);
    expect(result.orphans).toEqual({ count: 3, costPerHour: 1.04, unpriced: 1 });
  });

  it('without a scope every Novita-only instance is owned', () => {
    const result = plan([], listing);
    expect(result.novitaOnly.every((item) => item.owned)).toBe(true);
    expect(result.orphans.count).toBe(4);
  });

  it('an instance a record names is no orphan, in scope or not', () => {
    const result = plan([record('x', { novitaInstanceId: 'nv-old' })], listing, { scope: { ...scope, record: () => false } });
    expect(result.novitaOnly.map((item) => item.novitaInstanceId)).not.toContain('nv-old');
  });

  it('ignore: nothing listed or priced, the orphans still counted', () => {
    let priced = 0;
    const result = plan([], listing, {
      scope,
      policy: { novitaOnly: 'ignore' },
      priceOf: () => {
        priced += 1;
        return 1;
      },
    });
    expect(result.novitaOnly).toEqual([]);
    expect(result.toAge).toEqual([]);
    expect(priced).toBe(0);
    expect(result.orphans).toEqual({ count: 3, costPerHour: null, unpriced: 3 });
  });

  it('adopt: adopted instances are no orphans; one outside the scope is listed, never adopted', () => {
    const result = plan([], listing, { scope, policy: { novitaOnly: 'adopt' } });
    expect(result.adoptions.map((action) => action.novitaInstanceId)).toEqual(['nv-old']);
    expect(result.novitaOnly.map((item) => [item.novitaInstanceId, item.owned])).toEqual([
      ['nv-young', true],
      ['nv-ageless', true],
      ['nv-theirs', false],
    ]);
    expect(result.orphans.count).toBe(2);
  });

  it('no orphans cost nothing', () => {
    expect(plan([], []).orphans).toEqual({ count: 0, costPerHour: 0, unpriced: 0 });
  });
});
