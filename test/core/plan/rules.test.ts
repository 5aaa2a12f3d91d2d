/** Each planner policy on its own, as a table (external-dns `plan_test.go` style). Pure: no store, no client. */
import { describe, expect, it } from 'vitest';
import {
  holdBack,
  inCreationGrace,
  neverStarted,
  novitaOnlyVerdict,
  obsoleteReason,
  removeOrMark,
  retentionExpired,
  safetyLimit,
} from '../../../src/core/plan/rules.js';
import { DEFAULT_POLICY } from '../../../src/core/config/sync-policy.js';
import { buildStatusMap } from '../../../src/core/plan/status-map.js';
import { daysAgo, instance, minutesAgo, NOW, record } from '../../support/reconcile-fixtures.js';

describe('creation grace', () => {
  const table: [string, Parameters<typeof record>[1], boolean][] = [
    ['created 3 minutes ago', { timestamps: { created: minutesAgo(3) } }, true],
    ['created 11 minutes ago', { timestamps: { created: minutesAgo(11) } }, false],
    ['no created, firstSeen 3 minutes ago', { timestamps: { created: undefined, firstSeen: minutesAgo(3) } }, true],
    ['no created, firstSeen 11 minutes ago', { timestamps: { created: undefined, firstSeen: minutesAgo(11) } }, false],
    ['neither created nor firstSeen (age unknown: young)', { timestamps: { created: undefined } }, true],
    ['created wins over firstSeen', { timestamps: { created: minutesAgo(30), firstSeen: minutesAgo(1) } }, false],
  ];
  for (const [what, fields, expected] of table) {
    it(`${what}: ${expected ? 'in grace' : 'past grace'}`, () =>
      expect(inCreationGrace(record('a', fields), NOW, { creationGraceMinutes: 10 })).toBe(expected));
  }
});

describe('the safety limit', () => {
  const policy = { maxObsoleteFraction: 0.5, safetyMinRecords: 10 };
  const table: [string, { listingCandidates: number; eligible: number }, boolean, boolean][] = [
    ['half of 20 (not more than half)', { listingCandidates: 10, eligible: 20 }, false, false],
    ['11 of 20', { listingCandidates: 11, eligible: 20 }, false, true],
    ['all of 9 (below safetyMinRecords)', { listingCandidates: 9, eligible: 9 }, false, false],
    ['no candidates', { listingCandidates: 0, eligible: 0 }, false, false],
    ['11 of 20 with forceSync', { listingCandidates: 11, eligible: 20 }, true, true],
  ];
  for (const [what, counts, forceSync, tripped] of table) {
    it(`${what}: ${tripped ? 'trips' : 'holds'}`, () => {
      const safety = safetyLimit(counts, policy, forceSync);
      expect(safety).toMatchObject({
        tripped,
        overridden: tripped && forceSync,
        candidates: counts.listingCandidates,
        eligible: counts.eligible,
      });
      expect(safety.reason !== undefined).toBe(tripped);
    });
  }
});

describe('hold back: the obsolete switch, then the safety limit', () => {
  const safety = (tripped: boolean, overridden = false) => ({ tripped, overridden, candidates: 1, eligible: 1 });
  it('handleObsoleteInstances false leaves candidates unchanged, whatever the limit', () => {
    expect(holdBack(false, safety(false))).toEqual({ category: 'unchanged' });
    expect(holdBack(false, safety(true))).toEqual({ category: 'unchanged' });
  });
  it('a tripped limit skips them under safety; an overridden one does not', () => {
    expect(holdBack(true, safety(true))).toEqual({ category: 'skipped', skipped: 'safety' });
    expect(holdBack(true, safety(true, true))).toBeUndefined();
    expect(holdBack(true, safety(false))).toBeUndefined();
  });
});

describe('remove or mark', () => {
  const table: [string, Parameters<typeof record>[1], string | null, boolean, string, 'remove' | 'mark'][] = [
    ['a started record, not found', {}, null, false, 'instance-not-found', 'mark'],
    ['a started record, listed as removing', {}, 'removing', false, 'instance-deleted', 'mark'],
    ['a started record with removeObsoleteInstances', {}, null, true, 'instance-not-found', 'remove'],
    ['a never-started creating record', { status: 'creating', timestamps: { started: undefined } }, null, false, 'never-started', 'remove'],
    ['a starting record that did start once', { status: 'starting' }, null, false, 'instance-not-found', 'mark'],
  ];
  for (const [what, fields, goneStatus, removeObsoleteInstances, reason, verdict] of table) {
    it(`${what}: ${reason}, ${verdict}`, () => {
      const subject = record('a', fields);
      expect(obsoleteReason(subject, goneStatus)).toBe(reason);
      expect(removeOrMark(obsoleteReason(subject, goneStatus), { removeObsoleteInstances })).toBe(verdict);
    });
  }
  it('never started means creating/created/starting without timestamps.started', () => {
    expect(neverStarted(record('a', { status: 'created', timestamps: { started: undefined } }))).toBe(true);
    expect(neverStarted(record('a', { status: 'running', timestamps: { started: undefined } }))).toBe(false);
  });
});

describe('retention', () => {
  const table: [string, string | undefined, boolean][] = [
    ['terminated 8 days ago', daysAgo(8), true],
    ['terminated 6 days ago', daysAgo(6), false],
    ['terminated exactly 7 days ago', daysAgo(7), false],
    ['no terminated stamp', undefined, false],
  ];
  for (const [what, terminated, expected] of table) {
    it(`${what}: ${expected ? 'expired' : 'kept'}`, () =>
      expect(retentionExpired(record('a', { status: 'terminated', timestamps: { terminated } }), NOW, { obsoleteRetentionDays: 7 })).toBe(
        expected,
      ));
  }
});

describe('Novita-only instances', () => {
  const statusMap = buildStatusMap({});
  const policy = (novitaOnly: 'report' | 'ignore' | 'adopt') => ({ ...DEFAULT_POLICY, novitaOnly });
  const table: [string, ReturnType<typeof instance>, 'report' | 'ignore' | 'adopt', string][] = [
    ['reported by default', instance('x', 'running', { createdAt: daysAgo(1) }), 'report', 'report'],
    ['ignored when asked', instance('x', 'running', { createdAt: daysAgo(1) }), 'ignore', 'ignore'],
    ['adopted when old enough', instance('x', 'running', { createdAt: daysAgo(1) }), 'adopt', 'adopt'],
    ['reported, not adopted, while younger than the grace', instance('x', 'pending', { createdAt: minutesAgo(2) }), 'adopt', 'report'],
    ['reported, not adopted, when its age is unknown', instance('x', 'running'), 'adopt', 'report'],
    ['reported, not adopted, when its status is unknown', instance('x', 'hibernating', { createdAt: daysAgo(1) }), 'adopt', 'report'],
    ['left out of everything while being deleted', instance('x', 'removing', { createdAt: daysAgo(1) }), 'adopt', 'being-deleted'],
  ];
  for (const [what, subject, novitaOnly, kind] of table) {
    it(`${what} (${novitaOnly})`, () => expect(novitaOnlyVerdict(subject, NOW, policy(novitaOnly), statusMap).kind).toBe(kind));
  }
});
