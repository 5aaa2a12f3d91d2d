import { describe, expect, it } from 'vitest';
import { buildStatusMap, mapStatus, planSync, resolvePolicy, type InstanceRecord } from '../../../src/index.js';
import { instance, NOW, record } from '../../support/reconcile-fixtures.js';

/** Every row of the documented status map: [Novita status, local status, refinements kept]. */
const ROWS: [string, string, string[]][] = [
  ['pending', 'creating', ['creating', 'created']],
  ['toCreate', 'creating', ['creating', 'created']],
  ['creating', 'creating', ['creating', 'created']],
  ['pulling', 'starting', ['creating', 'created', 'starting']],
  ['toStart', 'starting', ['starting', 'health_checking']],
  ['starting', 'starting', ['starting', 'health_checking']],
  ['toRestart', 'starting', ['starting', 'health_checking']],
  ['restarting', 'starting', ['starting', 'health_checking']],
  ['toReset', 'starting', ['starting', 'health_checking']],
  ['resetting', 'starting', ['starting', 'health_checking']],
  ['running', 'running', ['running', 'health_checking', 'ready']],
  ['toStop', 'stopping', ['stopping']],
  ['stopping', 'stopping', ['stopping']],
  ['freezing', 'stopping', ['stopping']],
  ['exited', 'stopped', ['stopped', 'exited']],
  ['migrating', 'migrating', ['migrating']],
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
  'exited',
  'migrating',
  'failed',
  'terminated',
];

const planOne = (local: InstanceRecord, novitaStatus: string, statusMap = {}) =>
  planSync({
    entries: [{ id: local.id, record: local, version: 'v1' }],
    instances: [instance(local.novitaInstanceId as string, novitaStatus)],
    policy: resolvePolicy({ statusMap }),
    now: NOW,
    handleObsoleteInstances: true,
    forceSync: false,
    adoptRecord: (item) => ({ id: item.id, status: 'x' }),
  });

describe('status map', () => {
  for (const [novitaStatus, mapped, keep] of ROWS) {
    for (const local of LOCAL_STATUSES) {
      const expected = keep.includes(local) ? local : mapped;
      it(`Novita ${novitaStatus} turns local ${local} into ${expected}`, () => {
        const plan = planOne(record('a', { status: local, novitaStatus }), novitaStatus);
        const decision = plan.decisions[0];
        if (expected === local) {
          expect(decision?.category).toBe('unchanged');
          expect(decision?.action).toBeUndefined();
        } else {
          expect(decision?.category).toBe('updated');
          expect(decision?.action?.to).toBe(expected);
          expect(decision?.action?.write).toMatchObject({ op: 'put', record: { status: expected, novitaStatus } });
        }
      });
    }
  }

  for (const gone of ['toRemove', 'removing', 'removed']) {
    it(`Novita ${gone} is never a status refresh: it is obsolete handling`, () => {
      expect(mapStatus(buildStatusMap({}), gone, 'running')).toEqual({ kind: 'gone' });
      const plan = planOne(record('a'), gone);
      expect(plan.decisions[0]?.action?.kind).toBe('markTerminated');
    });
  }

  it('an unknown Novita status is counted and never read as gone', () => {
    for (const status of ['hibernating', '', 'RUNNING', 'stopped']) {
      const plan = planOne(record('a'), status);
      expect(plan.decisions[0]).toMatchObject({ category: 'skipped', skipped: 'unknownStatus' });
      expect(plan.decisions[0]?.action).toBeUndefined();
      expect(plan.obsoleteCandidates).toBe(0);
    }
  });

  it('policy.statusMap overrides a row, with or without refinements', () => {
    expect(
      planOne(record('a', { status: 'creating', novitaStatus: 'pulling' }), 'pulling', { pulling: 'pulling-image' }).decisions[0]?.action
        ?.to,
    ).toBe('pulling-image');
    const kept = planOne(record('a', { status: 'paused', novitaStatus: 'running' }), 'exited', {
      exited: { status: 'stopped', keep: ['stopped', 'paused'] },
    });
    expect(kept.decisions[0]?.action?.to).toBe('paused');
    expect(kept.decisions[0]?.action?.write).toMatchObject({ record: { status: 'paused', novitaStatus: 'exited' } });
  });

  it('policy.statusMap can teach the map a new Novita status', () => {
    expect(planOne(record('a'), 'hibernating', { hibernating: 'stopped' }).decisions[0]?.action?.to).toBe('stopped');
  });
});
