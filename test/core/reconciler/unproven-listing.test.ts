/**
 * A listing that cannot be proven complete: the run goes on with what was read, and absence from it is
 * never acted on without a proof for that record (Novita's documented not-found or a gone status from
 * getInstance, or the record's own terminationProof).
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createReconciler,
  type InstanceRecord,
  type NovitaClient,
  type NovitaInstance,
  type ReconcilerEvent,
  type SyncPolicyInput,
} from '../../../src/index.js';
import { countingStore, daysAgo, expectConsistentReport, instance, NOW, record } from '../../support/reconcile-fixtures.js';

/** A custom client whose listing has no total, and whose getInstance answers from `truth` (absent: not found). */
function unprovenClient(listed: NovitaInstance[], truth: Record<string, NovitaInstance | Error>) {
  const asked: string[] = [];
  const client: NovitaClient = {
    listInstances: async () => ({ instances: listed }),
    getInstance: async (id) => {
      asked.push(id);
      const answer = truth[id];
      if (answer instanceof Error) throw answer;
      return answer ?? null;
    },
  };
  return { client, asked };
}

async function run(records: InstanceRecord[], client: NovitaClient, policy: SyncPolicyInput = {}) {
  const store = countingStore(createMemoryStore({ records }));
  const events: ReconcilerEvent[] = [];
  const logs: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (_fields: unknown, message: string) => void logs.push({ level, message });
  const reconciler = createReconciler({
    store,
    novitaClient: client,
    policy,
    clock: () => NOW,
    onEvent: (event) => events.push(event),
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  });
  const report = await reconciler.sync();
  expectConsistentReport(report);
  return { report, store, events, logs, get: (id: string) => store.get(id) };
}

describe('a run on an unproven listing', () => {
  it('confirms every absent record one by one: gone ones are terminated with the proof, alive ones refreshed, failures left unverified', async () => {
    const { client, asked } = unprovenClient([instance('nv-listed', 'exited')], {
      'nv-alive': instance('nv-alive', 'running'),
      'nv-deleting': instance('nv-deleting', 'removing'),
      'nv-error': new Error('Novita answered 503'),
    });
    const { report, get, events, logs } = await run(
      [
        record('listed'),
        record('alive', { status: 'stopped', novitaStatus: 'exited' }),
        record('gone'),
        record('deleting'),
        record('error'),
      ],
      client,
    );
    expect(report.listing).toEqual({ complete: false, reason: 'the listing announced no total', walks: 1, total: null });
    expect(report.listingWalks).toBe(1);
    expect(asked.sort()).toEqual(['nv-alive', 'nv-deleting', 'nv-error', 'nv-gone']);
    expect(await get('listed')).toMatchObject({ status: 'stopped', novitaStatus: 'exited' });
    expect(await get('alive')).toMatchObject({ status: 'running', novitaStatus: 'running' });
    expect(await get('gone')).toMatchObject({
      status: 'terminated',
      terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-gone' },
    });
    expect(await get('deleting')).toMatchObject({ status: 'terminated', terminationProof: { by: 'novita-deleting' } });
    expect(await get('error')).toMatchObject({ status: 'running' });
    expect(report).toMatchObject({ markedTerminated: 2, updated: 2, unverified: 1 });
    expect(events.filter((event) => event.type === 'listing-unproven')).toEqual([
      { type: 'listing-unproven', runId: report.runId, reason: 'the listing announced no total', walks: 1, total: null, instances: 1 },
    ]);
    expect(logs).toContainEqual({
      level: 'warn',
      message: 'Novita listing unproven: absence from it is acted on only with a proof per record',
    });
  });

  it('with confirmObsolete false holds back every absence-based action, with the reason in the report; status refreshes still apply', async () => {
    const { client, asked } = unprovenClient([instance('nv-listed', 'exited')], {});
    const records = [
      record('listed'),
      record('absent'),
      record('old-terminated', { status: 'terminated', timestamps: { created: daysAgo(30), terminated: daysAgo(20) } }),
    ];
    const { report, store, get } = await run(records, client, { confirmObsolete: false });
    expect(asked).toEqual([]);
    expect(report.skipped.unproven).toBe(2);
    expect(report.listing.complete).toBe(false);
    expect(await get('absent')).toMatchObject({ status: 'running' });
    expect(await get('old-terminated')).toMatchObject({ status: 'terminated' });
    expect(await get('listed')).toMatchObject({ status: 'stopped' });
    expect(store.writes).toBe(1);
  });

  it('a complete listing with confirmObsolete false still acts on absence, as before', async () => {
    const client: NovitaClient = { listInstances: async () => ({ instances: [], total: 0 }), getInstance: async () => null };
    const { report, get } = await run([record('absent')], client, { confirmObsolete: false });
    expect(report.listing.complete).toBe(true);
    expect(await get('absent')).toMatchObject({ status: 'terminated' });
  });

  it('retention: a record terminated on proof is removed without a second question; one without a proof is held back when confirmations are off', async () => {
    const { client, asked } = unprovenClient([], {});
    const terminated = { status: 'terminated', timestamps: { created: daysAgo(30), terminated: daysAgo(20) } };
    const { get } = await run(
      [
        record('proven', { ...terminated, terminationProof: { by: 'novita-not-found', novitaInstanceId: 'nv-proven' } }),
        record('unproven', terminated),
      ],
      client,
      { confirmObsolete: false },
    );
    expect(asked).toEqual([]);
    expect(await get('proven')).toBeNull();
    expect(await get('unproven')).not.toBeNull();
  });

  it('a never-started record without a Novita id rests on no listing: decided as today', async () => {
    const { client } = unprovenClient([], {});
    const { get } = await run(
      [record('abandoned', { novitaInstanceId: undefined, status: 'creating', timestamps: { created: daysAgo(1), started: undefined } })],
      client,
      { confirmObsolete: false },
    );
    expect(await get('abandoned')).toBeNull();
  });

  it('the safety limit is counted before the confirmations, as on a complete listing', async () => {
    const records = Array.from({ length: 12 }, (_, index) => record(`r${index}`));
    const { client, asked } = unprovenClient([instance('nv-r0', 'running')], {});
    const { report } = await run(records, client);
    expect(report.safety).toMatchObject({ tripped: true, candidates: 11, eligible: 12 });
    expect(asked).toEqual([]);
    expect(report.skipped.safety).toBe(11);
    expect(report.markedTerminated).toBe(0);
  });

  it('Novita-only instances read from an unproven listing are reported, and adopted under novitaOnly adopt', async () => {
    const { client } = unprovenClient([instance('nv-new', 'running', { createdAt: daysAgo(1) })], {});
    const reported = await run([], client);
    expect(reported.report.novitaOnly).toEqual([
      { novitaInstanceId: 'nv-new', name: 'name-nv-new', status: 'running', ageMinutes: 1440, owned: true, costPerHour: null },
    ]);
    expect(reported.report.orphans.count).toBe(1);
    const adopted = await run([], client, { novitaOnly: 'adopt' });
    expect(adopted.report.adopted).toBe(1);
  });
});
