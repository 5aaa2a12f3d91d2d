/**
 * The CLI summary of a report (a pure function): what each action changes, the caps on long lists
 * (obsolete actions and adoptions never hidden), English counts, and the lines that appear only when
 * they have something to say.
 */
import { describe, expect, it } from 'vitest';
import { count, describeChange, summariseReport } from '../../src/cli/cli-summary.js';
import type { SyncAction, SyncReport } from '../../src/report.js';

const action = (overrides: Partial<SyncAction>): SyncAction => ({
  kind: 'refresh',
  recordId: 'r',
  novitaInstanceId: 'nv',
  from: 'running',
  to: 'stopped',
  reason: 'status-changed',
  novitaStatus: 'exited',
  outcome: 'applied',
  ...overrides,
});

function report(overrides: Partial<SyncReport> = {}): SyncReport {
  const options = { dryRun: false, handleObsoleteInstances: true, forceSync: false };
  return {
    runId: 'run-1',
    beforeSync: 0,
    afterSync: 0,
    updated: 0,
    markedTerminated: 0,
    removed: 0,
    unchanged: 0,
    conflicts: 0,
    unverified: 0,
    notApplied: 0,
    unknown: 0,
    skipped: { grace: 0, unknownStatus: 0, invalid: 0, duplicate: 0, outOfScope: 0, safety: 0, unproven: 0, limit: 0, liveness: 0 },
    obsoleteCandidates: 0,
    confirmations: { requested: 0, gone: 0, alive: 0, failed: 0, notAttempted: 0, stoppedBy: null },
    listing: { complete: true, walks: 1, total: 0 },
    listingWalks: 1,
    novitaInstances: 0,
    localInstances: 0,
    mergedInstances: 0,
    totalInstances: 0,
    instancesRemoved: 0,
    adopted: 0,
    novitaOnly: [],
    orphans: { count: 0, costPerHour: 0, unpriced: 0 },
    stuck: [],
    instanceActions: [],
    safety: { tripped: false, candidates: 0, eligible: 0, overridden: false },
    limits: { maxDestructivePerRun: null, window: null, hold: null, wanted: 0, heldBack: { cap: 0, window: 0, hold: 0 }, records: [] },
    liveness: { checked: 0, alive: 0, failed: 0, kept: [] },
    duration: 12,
    timestamp: '2025-06-01T00:00:00.000Z',
    dryRun: false,
    options,
    actions: [],
    ...overrides,
  };
}

describe('CLI summary', () => {
  it('counts in correct English', () => {
    expect([count(0, 'action'), count(1, 'action'), count(2, 'action')]).toEqual(['0 actions', '1 action', '2 actions']);
    expect(summariseReport(report({ actions: [action({})] }))[0]).toBe('Sync completed. 1 action:');
    expect(summariseReport(report({ dryRun: true, actions: [action({}), action({})] }))[0]).toBe(
      'Dry run: nothing written; a real run would take 2 actions:',
    );
    expect(summariseReport(report({ novitaInstances: 1 }))).toContain('Novita: 1 instance; without a record: none');
  });

  it('says what each action changes, the Novita status when only that changed', () => {
    expect(describeChange(action({}))).toBe('running -> stopped');
    expect(describeChange(action({ from: 'running', to: 'running', novitaStatus: 'running' }))).toBe('running, Novita status now running');
    expect(describeChange(action({ kind: 'remove', from: 'terminated', to: null }))).toBe('terminated -> (removed)');
    expect(describeChange(action({ kind: 'stampFirstSeen', from: 'running', to: 'running' }))).toBe('running, timestamps.firstSeen set');
    expect(describeChange(action({ kind: 'adopt', from: null, to: 'running' }))).toBe('(new record) running');
  });

  it('lists at most 20 refreshes and stamps but every termination, removal and adoption', () => {
    const refreshes = Array.from({ length: 30 }, (_, index) => action({ recordId: `refresh-${index}` }));
    const obsolete = Array.from({ length: 25 }, (_, index) =>
      action({ kind: 'markTerminated', recordId: `gone-${index}`, to: 'terminated', reason: 'instance-not-found' }),
    );
    const adopted = action({ kind: 'adopt', recordId: 'adopted-1', from: null, to: 'running', reason: 'novita-only' });
    const lines = summariseReport(report({ actions: [...refreshes, ...obsolete, adopted] }));
    expect(lines.filter((line) => /\brefresh-\d+\b/.test(line))).toHaveLength(20);
    expect(lines.filter((line) => /\bgone-\d+\b/.test(line))).toHaveLength(25);
    expect(lines.some((line) => line.includes('adopted-1'))).toBe(true);
    expect(lines).toContain('  ... and 10 more refreshes and stamps (every action is in --json)');
  });

  it('shows confirmations, repeated listing walks and writes of unknown outcome only when there are any', () => {
    const quiet = summariseReport(report());
    expect(quiet.some((line) => /^(Confirmations|Listing)\b/.test(line))).toBe(false);
    expect(quiet.some((line) => line.includes('outcome unknown'))).toBe(false);
    const busy = summariseReport(
      report({
        unknown: 2,
        listing: { complete: true, walks: 3, total: 0 },
        listingWalks: 3,
        confirmations: { requested: 6, gone: 2, alive: 1, failed: 3, notAttempted: 0, stoppedBy: null },
      }),
    );
    expect(busy).toContain('Confirmations with Novita: 6 candidates: 2 gone, 1 alive, 3 failed');
    expect(busy).toContain('Listing: read 3 times, because it changed while it was read');
    expect(busy.some((line) => line.includes(', outcome unknown 2'))).toBe(true);
    const stopped = summariseReport(
      report({ confirmations: { requested: 10, gone: 0, alive: 0, failed: 3, notAttempted: 7, stoppedBy: 'circuit-breaker' } }),
    );
    expect(stopped).toContain(
      'Confirmations with Novita: 10 candidates: 0 gone, 0 alive, 3 failed, 7 not asked (stopped by the circuit breaker)',
    );
  });
});

describe('CLI summary of a run that held records back', () => {
  it('says how many records the safety limit held back and why, never "every record already agrees"', () => {
    const lines = summariseReport(
      report({
        beforeSync: 20,
        unchanged: 8,
        skipped: { grace: 0, unknownStatus: 0, invalid: 0, duplicate: 0, outOfScope: 0, safety: 12, unproven: 0, limit: 0, liveness: 0 },
        obsoleteCandidates: 12,
        safety: { tripped: true, candidates: 12, eligible: 20, overridden: false, reason: '12 of 20 records (60%) exceed 50%' },
      }),
    );
    const text = lines.join('\n');
    expect(text).not.toContain('every record already agrees');
    expect(text).toContain('(no actions, but not every record agrees with Novita: 12 records held back by the safety limit');
    expect(text).toContain('Safety limit: tripped, obsolete handling held back for 12 records (12 of 20 records (60%) exceed 50%)');
  });

  it('says which limit held destructive actions back, the hold first, and what the liveness check kept', () => {
    const text = summariseReport(
      report({
        beforeSync: 9,
        unchanged: 1,
        skipped: { grace: 0, unknownStatus: 0, invalid: 0, duplicate: 0, outOfScope: 0, safety: 0, unproven: 0, limit: 6, liveness: 2 },
        limits: {
          maxDestructivePerRun: 10,
          window: { max: 15, windowMinutes: 60, usedBefore: 4, usedByRun: 0 },
          hold: { reason: 'incident 42', by: 'alice@ops', at: '2025-06-01T00:00:00.000Z' },
          wanted: 6,
          heldBack: { cap: 0, window: 0, hold: 6 },
          records: [],
        },
        liveness: { checked: 3, alive: 1, failed: 1, kept: [] },
      }),
    ).join('\n');
    expect(text).toContain(
      "6 records held back by a limit on destructive actions (the hold held 6); 2 records kept by the application's livenessCheck",
    );
    expect(text).toContain(
      'Destructive limits: HOLD set by alice@ops at 2025-06-01T00:00:00.000Z (incident 42): nothing is ended until novita-reconcile release; per-run cap 10; window 4 of 15 used in 60 min (0 by this run); the hold held 6',
    );
    expect(text).toContain('Liveness check: 3 records asked: 1 agreed gone, 1 alive, 1 failed (kept)');
  });

  it('names unverified records and conflicts too', () => {
    const text = summariseReport(report({ beforeSync: 3, unverified: 2, conflicts: 1 })).join('\n');
    expect(text).toContain('2 records unverified (Novita did not confirm they are gone); 1 record changed by someone else during the run');
  });

  it('says every record agrees only when nothing was held back', () => {
    expect(summariseReport(report({ beforeSync: 3, unchanged: 3 })).join('\n')).toContain(
      '(no actions: every record already agrees with Novita)',
    );
  });
});

describe('doctor: arguments and text form', () => {
  it('parses doctor with --json, --config and --capture, and refuses a run flag or an empty --capture', async () => {
    const { parseCliArgs } = await import('../../src/cli/cli-args.js');
    expect(parseCliArgs(['doctor', '--json', '--capture', 'out', '--config', 'c.mjs'])).toEqual({
      ok: true,
      request: { command: 'doctor', flags: { json: true, capture: 'out', config: 'c.mjs' } },
    });
    expect(parseCliArgs(['doctor', '--dry-run'])).toMatchObject({ ok: false, message: expect.stringContaining('--dry-run is a flag of') });
    expect(parseCliArgs(['doctor', '--capture='])).toMatchObject({ ok: false });
    expect(parseCliArgs(['--capture', 'x'])).toMatchObject({ ok: false, message: expect.stringContaining('novita-reconcile doctor') });
  });

  it('prints one line per check, what to do under it, and a tally', async () => {
    const { formatChecks } = await import('../../src/cli/doctor-command.js');
    expect(
      formatChecks([
        { id: 'a', title: 'API key', status: 'ok', why: 'accepted' },
        { id: 'b', title: 'Not-found answer', status: 'fail', why: 'HTTP 404', todo: 'widen the rule' },
      ]),
    ).toEqual([
      'ok    API key           accepted',
      'fail  Not-found answer  HTTP 404',
      '                        -> widen the rule',
      'doctor: 1 ok, 0 warn, 1 fail',
    ]);
  });

  it('checkPolicy warns when no listing can be proven and confirmations are off', async () => {
    const { checkPolicy, resolvePolicy } = await import('../../src/index.js');
    expect(checkPolicy(resolvePolicy({})).status).toBe('ok');
    expect(checkPolicy(resolvePolicy({ confirmObsolete: false }), { listingHasTotal: false })).toMatchObject({ status: 'warn' });
    expect(checkPolicy(resolvePolicy({}), { notFoundProves: false })).toMatchObject({ status: 'warn' });
  });
});

describe('the summary of a run on an unproven listing', () => {
  it('says so in one line, and counts the records held back for want of a proof', () => {
    const lines = summariseReport(
      report({
        listing: { complete: false, reason: 'the listing announced no total', walks: 1, total: null },
        skipped: { grace: 0, unknownStatus: 0, invalid: 0, duplicate: 0, outOfScope: 0, safety: 0, unproven: 2, limit: 0, liveness: 0 },
        beforeSync: 2,
      }),
    );
    expect(lines.filter((line) => line.startsWith('Listing:'))).toEqual([
      "Listing: unproven (the listing announced no total); records absent from it were acted on only with Novita's proof, one by one",
    ]);
    expect(lines.join('\n')).toContain('2 records absent from an unproven listing, held back (confirmObsolete is off)');
  });
});
