/**
 * Table-driven tests of every reconcile rule, run through the whole reconciler (memory store +
 * scripted Novita client). Every case is run four ways, each a promise of its own:
 * a dry run writes nothing; the real run takes exactly the actions the dry run reported; the report's
 * categories add up to beforeSync; a second run with nothing changed at Novita writes nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  NovitaApiError,
  type ActionKind,
  type ActionReason,
  type InstanceRecord,
  type NovitaInstance,
  type SkippedCounts,
  type SyncOptions,
  type SyncPolicyInput,
  type SyncReport,
} from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import {
  actionsWithoutOutcome,
  countingStore,
  daysAgo,
  expectConsistentReport,
  instance,
  minutesAgo,
  NOW,
  record,
} from '../../support/reconcile-fixtures.js';

interface Case {
  name: string;
  records: InstanceRecord[];
  /** The listing. */
  listing: NovitaInstance[];
  /** Instances `getInstance` finds although the listing omits them (a lagging listing). */
  unlisted?: NovitaInstance[];
  /** Ids whose `getInstance` fails. */
  getFails?: string[];
  policy?: SyncPolicyInput;
  sync?: Omit<SyncOptions, 'dryRun' | 'signal'>;
  expectActions: [kind: ActionKind, recordId: string, from: string | null, to: string | null, reason: ActionReason][];
  expectCounts?: Partial<
    Pick<
      SyncReport,
      'updated' | 'markedTerminated' | 'removed' | 'unchanged' | 'conflicts' | 'unverified' | 'adopted' | 'obsoleteCandidates'
    >
  >;
  expectSkipped?: Partial<SkippedCounts>;
  expectSafetyTripped?: boolean;
  /** The stored records after the real run (`null` = deleted); fields listed are compared. */
  expectRecords?: Record<string, Partial<InstanceRecord> | null>;
  expectGetInstanceCalls?: string[];
  expectNovitaOnly?: string[];
}

const OBSOLETE_MARK: Partial<InstanceRecord> = { status: 'terminated', terminationReason: 'instance-not-found' };

const cases: Case[] = [
  // --- the five cases of the system this library replaces ---
  {
    name: 'marks a vanished instance terminated by default, after getInstance confirms it is gone',
    records: [record('a')],
    listing: [],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectRecords: {
      a: {
        ...OBSOLETE_MARK,
        timestamps: { created: daysAgo(1), started: daysAgo(1), terminated: NOW.toISOString(), updated: NOW.toISOString() },
      },
    },
    expectGetInstanceCalls: ['nv-a'],
    expectCounts: { markedTerminated: 1 },
  },
  {
    name: 'stamps timestamps.terminated now when it marks a revived record terminated: a stale stamp the app left is not kept',
    // The app revived the record (status running) and left the old stamp: retention must count from now,
    // not remove the record on the very next run.
    records: [record('a', { timestamps: { terminated: daysAgo(30) } })],
    listing: [],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectRecords: {
      a: {
        ...OBSOLETE_MARK,
        timestamps: { created: daysAgo(1), started: daysAgo(1), terminated: NOW.toISOString(), updated: NOW.toISOString() },
      },
    },
    expectCounts: { markedTerminated: 1, removed: 0 },
  },
  {
    name: 'removes a vanished instance when removeObsoleteInstances is set',
    records: [record('a'), record('b')],
    listing: [instance('nv-b', 'running')],
    policy: { removeObsoleteInstances: true },
    expectActions: [['remove', 'a', 'running', null, 'instance-not-found']],
    expectRecords: { a: null, b: { status: 'running' } },
    expectCounts: { removed: 1, unchanged: 1 },
  },
  {
    name: 'refreshes a changed status (exited -> stopped) with Novita timestamps',
    records: [record('a')],
    listing: [instance('nv-a', 'exited', { lastStartedAt: daysAgo(1), lastStoppedAt: minutesAgo(5) })],
    expectActions: [['refresh', 'a', 'running', 'stopped', 'status-changed']],
    expectRecords: {
      a: {
        status: 'stopped',
        novitaStatus: 'exited',
        timestamps: { created: daysAgo(1), started: daysAgo(1), stopped: minutesAgo(5), updated: NOW.toISOString() },
      },
    },
    expectCounts: { updated: 1 },
  },
  {
    name: 'a mixed run updates one record and terminates another',
    records: [record('a'), record('b'), record('c')],
    listing: [instance('nv-a', 'exited'), instance('nv-c', 'running')],
    expectActions: [
      ['refresh', 'a', 'running', 'stopped', 'status-changed'],
      ['markTerminated', 'b', 'running', 'terminated', 'instance-not-found'],
    ],
    expectCounts: { updated: 1, markedTerminated: 1, unchanged: 1 },
  },
  {
    name: 'removes a terminated record older than the retention period',
    records: [
      record('old', { status: 'terminated', timestamps: { terminated: daysAgo(8) } }),
      record('recent', { status: 'terminated', timestamps: { terminated: daysAgo(6) } }),
    ],
    listing: [],
    expectActions: [['remove', 'old', 'terminated', null, 'retention-expired']],
    expectRecords: {
      old: null,
      recent: { status: 'terminated', timestamps: { created: daysAgo(1), started: daysAgo(1), terminated: daysAgo(6) } },
    },
    expectGetInstanceCalls: ['nv-old'],
    expectCounts: { removed: 1, unchanged: 1 },
  },
  // --- grace, deleting statuses, unknown statuses, refinements ---
  {
    name: 'leaves a record inside the creation grace period alone when the listing omits it',
    records: [record('young', { status: 'creating', timestamps: { created: minutesAgo(3) } })],
    listing: [],
    expectActions: [],
    expectSkipped: { grace: 1 },
    expectGetInstanceCalls: [],
  },
  {
    name: 'treats a record just past the grace period as a candidate',
    records: [record('a', { timestamps: { created: minutesAgo(11) } })],
    listing: [],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
  },
  ...(['toRemove', 'removing', 'removed'] as const).map(
    (status): Case => ({
      name: `marks a record whose instance is listed as ${status} terminated without asking getInstance`,
      records: [record('a')],
      listing: [instance('nv-a', status)],
      expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-deleted']],
      expectRecords: { a: { status: 'terminated', novitaStatus: status, terminationReason: 'instance-deleted' } },
      expectGetInstanceCalls: [],
    }),
  ),
  {
    name: 'counts an unknown Novita status and leaves the record unchanged',
    records: [record('a')],
    listing: [instance('nv-a', 'hibernating')],
    expectActions: [],
    expectSkipped: { unknownStatus: 1 },
    expectRecords: { a: { status: 'running', novitaStatus: 'running' } },
  },
  {
    name: 'keeps a ready record while Novita says running (a refinement)',
    records: [record('a', { status: 'ready' })],
    listing: [instance('nv-a', 'running')],
    expectActions: [],
    expectCounts: { unchanged: 1 },
  },
  {
    name: 'records a changed raw Novita status even when the local status stays (restarting -> starting)',
    records: [record('a', { status: 'starting', novitaStatus: 'toStart' })],
    listing: [instance('nv-a', 'restarting')],
    expectActions: [['refresh', 'a', 'starting', 'starting', 'status-changed']],
    expectRecords: { a: { status: 'starting', novitaStatus: 'restarting' } },
  },
  {
    name: 'refreshes a failed record whose instance is alive',
    records: [record('a', { status: 'failed' })],
    listing: [instance('nv-a', 'running')],
    expectActions: [['refresh', 'a', 'failed', 'running', 'status-changed']],
  },
  {
    name: 'revives a terminated record whose instance is alive, clearing the termination',
    records: [record('a', { status: 'terminated', terminationReason: 'instance-not-found', timestamps: { terminated: daysAgo(2) } })],
    listing: [instance('nv-a', 'running')],
    expectActions: [['refresh', 'a', 'terminated', 'running', 'instance-alive']],
    expectRecords: {
      a: {
        status: 'running',
        terminationReason: undefined,
        timestamps: { created: daysAgo(1), started: daysAgo(1), updated: NOW.toISOString() },
      },
    },
  },
  // --- confirmation ---
  {
    name: 'refreshes instead of terminating when getInstance finds the instance alive (the listing lagged)',
    records: [record('a', { status: 'starting', novitaStatus: 'starting' })],
    listing: [],
    unlisted: [instance('nv-a', 'running')],
    expectActions: [['refresh', 'a', 'starting', 'running', 'listing-lagged']],
    expectRecords: { a: { status: 'running' } },
  },
  {
    name: 'leaves a record unverified when getInstance fails',
    records: [record('a'), record('b')],
    listing: [],
    getFails: ['nv-a'],
    expectActions: [['markTerminated', 'b', 'running', 'terminated', 'instance-not-found']],
    expectCounts: { unverified: 1, markedTerminated: 1 },
    expectRecords: { a: { status: 'running' } },
  },
  {
    name: 'confirms gone when getInstance answers a deleting status',
    records: [record('a')],
    listing: [],
    unlisted: [instance('nv-a', 'removed')],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-deleted']],
  },
  {
    name: 'acts on absence alone when confirmObsolete is off',
    records: [record('a')],
    listing: [],
    unlisted: [instance('nv-a', 'running')],
    policy: { confirmObsolete: false },
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectGetInstanceCalls: [],
  },
  // --- never started ---
  {
    name: 'removes a never-started record whose instance vanished, even when marking terminated is the policy',
    records: [record('a', { status: 'starting', timestamps: { started: undefined } })],
    listing: [],
    expectActions: [['remove', 'a', 'starting', null, 'never-started']],
    expectRecords: { a: null },
  },
  {
    name: 'removes a never-started record that Novita never gave an id, past the grace period',
    records: [
      record('a', { novitaInstanceId: undefined, status: 'creating', timestamps: { started: undefined, created: minutesAgo(30) } }),
    ],
    listing: [],
    expectActions: [['remove', 'a', 'creating', null, 'never-started']],
    expectGetInstanceCalls: [],
  },
  // --- a record's age is never guessed (issue 7.2) ---
  {
    name: 'never removes a record written as creating just before createInstance (no id, no created): stamps firstSeen, counts it in grace',
    records: [record('a', { novitaInstanceId: undefined, status: 'creating', timestamps: { created: undefined, started: undefined } })],
    listing: [],
    expectActions: [['stampFirstSeen', 'a', 'creating', 'creating', 'created-timestamp-missing']],
    expectSkipped: { grace: 1 },
    expectRecords: { a: { status: 'creating', timestamps: { firstSeen: NOW.toISOString(), updated: NOW.toISOString() } } },
    expectGetInstanceCalls: [],
  },
  {
    name: 'never terminates a record with a Novita id but no created on first sight: stamps firstSeen, asks Novita nothing',
    records: [record('a', { timestamps: { created: undefined } })],
    listing: [],
    expectActions: [['stampFirstSeen', 'a', 'running', 'running', 'created-timestamp-missing']],
    expectSkipped: { grace: 1 },
    expectRecords: {
      a: { status: 'running', timestamps: { started: daysAgo(1), firstSeen: NOW.toISOString(), updated: NOW.toISOString() } },
    },
    expectGetInstanceCalls: [],
    expectSafetyTripped: false,
  },
  {
    name: 'keeps a record without created in grace while its firstSeen is young, and never rewrites firstSeen',
    records: [
      record('a', {
        novitaInstanceId: undefined,
        status: 'creating',
        timestamps: { created: undefined, started: undefined, firstSeen: minutesAgo(3) },
      }),
    ],
    listing: [],
    expectActions: [],
    expectSkipped: { grace: 1 },
    expectRecords: { a: { timestamps: { firstSeen: minutesAgo(3) } } },
  },
  {
    name: 'removes a never-started record without created once its firstSeen is past the grace period',
    records: [
      record('a', {
        novitaInstanceId: undefined,
        status: 'creating',
        timestamps: { created: undefined, started: undefined, firstSeen: minutesAgo(11) },
      }),
    ],
    listing: [],
    expectActions: [['remove', 'a', 'creating', null, 'never-started']],
    expectRecords: { a: null },
  },
  {
    name: 'confirms a record without created whose firstSeen is past the grace period like any other',
    records: [record('a', { timestamps: { created: undefined, firstSeen: minutesAgo(30) } })],
    listing: [],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectGetInstanceCalls: ['nv-a'],
  },
  {
    name: 'refreshes a listed record without created without stamping it (its age does not matter while it is alive)',
    records: [record('a', { timestamps: { created: undefined } })],
    listing: [instance('nv-a', 'exited')],
    expectActions: [['refresh', 'a', 'running', 'stopped', 'status-changed']],
  },
  {
    name: 'leaves a record without a Novita id that is not a never-started one alone',
    records: [record('a', { novitaInstanceId: undefined, status: 'failed' })],
    listing: [],
    expectActions: [],
    expectCounts: { unchanged: 1 },
  },
  {
    name: 'marks terminated (not removes) a started record whose instance vanished',
    records: [record('a', { status: 'starting', timestamps: { started: daysAgo(1) } })],
    listing: [],
    expectActions: [['markTerminated', 'a', 'starting', 'terminated', 'instance-not-found']],
  },
  // --- retention ---
  {
    name: 'stamps timestamps.terminated on a terminated record that lacks it, then keeps it',
    records: [record('a', { status: 'terminated', timestamps: { terminated: undefined } })],
    listing: [],
    expectActions: [['stampTerminated', 'a', 'terminated', 'terminated', 'terminated-timestamp-missing']],
    expectRecords: {
      a: {
        status: 'terminated',
        timestamps: { created: daysAgo(1), started: daysAgo(1), terminated: NOW.toISOString(), updated: NOW.toISOString() },
      },
    },
  },
  {
    name: 'removes an expired terminated record whose instance is listed as removed without confirmation',
    records: [record('a', { status: 'terminated', timestamps: { terminated: daysAgo(30) } })],
    listing: [instance('nv-a', 'removed')],
    expectActions: [['remove', 'a', 'terminated', null, 'retention-expired']],
    expectGetInstanceCalls: [],
  },
  {
    name: 'does not remove an expired terminated record whose instance getInstance finds alive: it revives it',
    records: [record('a', { status: 'terminated', timestamps: { terminated: daysAgo(30) } })],
    listing: [],
    unlisted: [instance('nv-a', 'exited')],
    expectActions: [['refresh', 'a', 'terminated', 'stopped', 'listing-lagged']],
  },
  // --- proof of termination (issue 9: no request that proves nothing) ---
  {
    name: "a termination confirmed by Novita's not-found keeps that proof, naming the instance",
    records: [record('a')],
    listing: [],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectRecords: { a: { status: 'terminated', terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-a' } } },
    expectGetInstanceCalls: ['nv-a'],
  },
  {
    name: 'a termination from a listed deleting status keeps that proof',
    records: [record('a')],
    listing: [instance('nv-a', 'removing')],
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-deleted']],
    expectRecords: { a: { terminationProof: { by: 'novita-deleting', novitaInstanceId: 'nv-a' } } },
  },
  {
    name: 'a termination resting on absence alone (confirmObsolete off) carries no proof',
    records: [record('a')],
    listing: [],
    policy: { confirmObsolete: false },
    expectActions: [['markTerminated', 'a', 'running', 'terminated', 'instance-not-found']],
    expectRecords: { a: { terminationProof: undefined } },
  },
  {
    name: 'retention removes an expired record terminated on proof without asking Novita again',
    records: [
      record('a', {
        status: 'terminated',
        terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-a' },
        timestamps: { terminated: daysAgo(8) },
      }),
    ],
    listing: [],
    expectActions: [['remove', 'a', 'terminated', null, 'retention-expired']],
    expectGetInstanceCalls: [],
  },
  {
    name: 'retention still confirms a record whose proof names another instance than the one it names now',
    records: [
      record('a', {
        status: 'terminated',
        terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-old' },
        timestamps: { terminated: daysAgo(8) },
      }),
    ],
    listing: [],
    unlisted: [instance('nv-a', 'running')],
    expectActions: [['refresh', 'a', 'terminated', 'running', 'listing-lagged']],
    expectGetInstanceCalls: ['nv-a'],
  },
  {
    name: 'a record terminated on proof whose instance is listed alive is still revived, its proof dropped',
    records: [
      record('a', {
        status: 'terminated',
        terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-a' },
        timestamps: { terminated: daysAgo(8) },
      }),
    ],
    listing: [instance('nv-a', 'running')],
    expectActions: [['refresh', 'a', 'terminated', 'running', 'instance-alive']],
    expectRecords: { a: { status: 'running', terminationProof: undefined } },
  },
  {
    name: 'retention 0 removes a terminated record as soon as it is stamped and older',
    records: [record('a', { status: 'terminated', timestamps: { terminated: minutesAgo(1) } })],
    listing: [],
    policy: { obsoleteRetentionDays: 0 },
    expectActions: [['remove', 'a', 'terminated', null, 'retention-expired']],
  },
  // --- safety ---
  {
    name: 'holds back obsolete handling when the safety limit trips, but still refreshes statuses',
    records: [
      ...Array.from({ length: 10 }, (_, i) => record(`r${i}`)),
      record('s', { status: 'terminated', timestamps: { terminated: daysAgo(30) } }),
    ],
    listing: [instance('nv-r0', 'exited'), instance('nv-r1', 'running'), instance('nv-r2', 'running'), instance('nv-r3', 'running')],
    expectActions: [['refresh', 'r0', 'running', 'stopped', 'status-changed']],
    expectSafetyTripped: true,
    expectSkipped: { safety: 7 },
    expectCounts: { updated: 1, unchanged: 3, obsoleteCandidates: 6 },
    expectGetInstanceCalls: [],
  },
  {
    name: 'forceSync proceeds past a tripped safety limit',
    records: Array.from({ length: 10 }, (_, i) => record(`r${i}`)),
    listing: [instance('nv-r0', 'running')],
    sync: { forceSync: true },
    expectActions: Array.from(
      { length: 9 },
      (_, i) => ['markTerminated', `r${i + 1}`, 'running', 'terminated', 'instance-not-found'] as Case['expectActions'][number],
    ),
    expectSafetyTripped: true,
    expectCounts: { markedTerminated: 9, unchanged: 1 },
  },
  {
    name: 'the safety limit does not apply below safetyMinRecords',
    records: Array.from({ length: 9 }, (_, i) => record(`r${i}`)),
    listing: [],
    policy: { removeObsoleteInstances: true },
    expectActions: Array.from(
      { length: 9 },
      (_, i) => ['remove', `r${i}`, 'running', null, 'instance-not-found'] as Case['expectActions'][number],
    ),
    expectSafetyTripped: false,
  },
  {
    name: 'an empty listing against a live fleet trips the safety limit (an implausible listing)',
    records: Array.from({ length: 40 }, (_, i) => record(`r${i}`)),
    listing: [],
    expectActions: [],
    expectSafetyTripped: true,
    expectSkipped: { safety: 40 },
  },
  {
    name: 'handleObsoleteInstances false refreshes statuses and leaves obsolete records alone',
    records: [record('a'), record('b'), record('old', { status: 'terminated', timestamps: { terminated: daysAgo(30) } })],
    listing: [instance('nv-a', 'exited')],
    sync: { handleObsoleteInstances: false },
    expectActions: [['refresh', 'a', 'running', 'stopped', 'status-changed']],
    expectCounts: { updated: 1, unchanged: 2 },
    expectGetInstanceCalls: [],
  },
  // --- duplicates, scope, Novita-only ---
  {
    name: 'leaves two records naming the same instance alone and counts them as duplicates',
    records: [record('a', { novitaInstanceId: 'nv-shared' }), record('b', { novitaInstanceId: 'nv-shared' })],
    listing: [],
    expectActions: [],
    expectSkipped: { duplicate: 2 },
  },
  {
    name: 'reports a Novita-only instance and does not report one being deleted',
    records: [record('a')],
    listing: [instance('nv-a', 'running'), instance('nv-orphan', 'running'), instance('nv-dying', 'removing')],
    expectActions: [],
    expectNovitaOnly: ['nv-orphan'],
  },
  {
    name: 'ignores Novita-only instances when novitaOnly is ignore',
    records: [],
    listing: [instance('nv-orphan', 'running')],
    policy: { novitaOnly: 'ignore' },
    expectActions: [],
    expectNovitaOnly: [],
  },
  {
    name: 'does not adopt a Novita-only instance younger than the grace period (the app may be recording it): reports it',
    records: [],
    listing: [instance('nv-new', 'pending', { createdAt: minutesAgo(2) }), instance('nv-unknown-age', 'running')],
    policy: { novitaOnly: 'adopt' },
    expectActions: [],
    expectNovitaOnly: ['nv-new', 'nv-unknown-age'],
  },
  {
    name: 'adopts a Novita-only instance as a new record when novitaOnly is adopt',
    records: [record('a')],
    listing: [
      instance('nv-a', 'running'),
      instance('nv-orphan', 'exited', { createdAt: daysAgo(3), lastStoppedAt: daysAgo(2), envs: [{ key: 'TOKEN', value: 'secret' }] }),
    ],
    policy: { novitaOnly: 'adopt' },
    expectActions: [['adopt', 'nv-orphan', null, 'stopped', 'novita-only']],
    expectCounts: { adopted: 1, unchanged: 1 },
    expectRecords: {
      'nv-orphan': { novitaInstanceId: 'nv-orphan', status: 'stopped', novitaStatus: 'exited', name: 'name-nv-orphan', envs: undefined },
    },
  },
];

describe('reconcile rules', () => {
  for (const testCase of cases) {
    describe(testCase.name, () => {
      const setup = () => {
        const store = countingStore(createMemoryStore({ records: testCase.records }));
        const novita = createScriptedNovitaClient({ instances: [...testCase.listing, ...(testCase.unlisted ?? [])] });
        novita.hideFromListing((testCase.unlisted ?? []).map((item) => item.id));
        for (const id of testCase.getFails ?? [])
          novita.failGetInstance(id, new NovitaApiError('Novita answered 503', { status: 503, retryable: true }));
        const reconciler = createReconciler({ store, novitaClient: novita, policy: testCase.policy ?? {}, clock: () => NOW });
        return { store, novita, reconciler };
      };

      it('plans the expected actions, and the real run applies them with the expected result', async () => {
        const { store, novita, reconciler } = setup();
        const report = await reconciler.sync(testCase.sync ?? {});
        expect(report.actions.map((action) => [action.kind, action.recordId, action.from, action.to, action.reason])).toEqual(
          testCase.expectActions,
        );
        expect(report.actions.every((action) => action.outcome === 'applied')).toBe(true);
        if (testCase.expectCounts) expect(report).toMatchObject(testCase.expectCounts);
        if (testCase.expectSkipped) expect(report.skipped).toMatchObject(testCase.expectSkipped);
        expect(report.safety.tripped).toBe(testCase.expectSafetyTripped ?? false);
        if (testCase.expectGetInstanceCalls) {
          expect(novita.calls.filter((call) => call.method === 'getInstance').map((call) => call.id)).toEqual(
            testCase.expectGetInstanceCalls,
          );
        }
        if (testCase.expectNovitaOnly) expect(report.novitaOnly.map((item) => item.novitaInstanceId)).toEqual(testCase.expectNovitaOnly);
        for (const [id, expected] of Object.entries(testCase.expectRecords ?? {})) {
          const stored = await store.get(id);
          if (expected === null) expect(stored, `${id} removed`).toBeNull();
          else expect(stored, `${id} stored`).toMatchObject(JSON.parse(JSON.stringify(expected)) as object);
          for (const [field, value] of Object.entries(expected ?? {}))
            if (value === undefined) expect(stored?.[field], `${id}.${field} absent`).toBeUndefined();
        }
        // Fields the library does not own survive every write.
        for (const original of testCase.records) {
          const stored = await store.get(original.id);
          if (stored) expect(stored.owner).toEqual(original.owner);
        }
      });

      it('the report categories add up to beforeSync, in a dry run and a real run', async () => {
        const { reconciler } = setup();
        expectConsistentReport(await reconciler.sync({ ...testCase.sync, dryRun: true }));
        expectConsistentReport(await reconciler.sync(testCase.sync ?? {}));
      });

      it('a dry run writes nothing and reports exactly the actions the real run then takes', async () => {
        const { store, reconciler } = setup();
        const before = JSON.stringify(await store.list());
        const dry = await reconciler.sync({ ...testCase.sync, dryRun: true });
        expect(store.writes).toBe(0);
        expect(JSON.stringify(await store.list())).toBe(before);
        expect(dry.actions.every((action) => action.outcome === 'planned')).toBe(true);
        const real = await reconciler.sync(testCase.sync ?? {});
        expect(actionsWithoutOutcome(real)).toEqual(actionsWithoutOutcome(dry));
        expect(real.afterSync).toBe(dry.afterSync);
      });

      it('a second run with nothing changed at Novita writes nothing', async () => {
        const { store, reconciler } = setup();
        await reconciler.sync(testCase.sync ?? {});
        const writesAfterFirst = store.writes;
        const second = await reconciler.sync(testCase.sync ?? {});
        expect(second.actions).toEqual([]);
        expect(store.writes).toBe(writesAfterFirst);
        expectConsistentReport(second);
      });
    });
  }
});
