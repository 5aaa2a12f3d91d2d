/** A Novita listing that is not the truth never changes a record; confirmations keep to their bound. */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, NovitaApiError, type NovitaClient, type ReconcilerEvent } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { countingStore, fleetOf, instance, rejection } from '../../support/reconcile-fixtures.js';

describe('a Novita listing that is not the truth', () => {
  it('a failed listing rejects the run and not one record changes', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(5) }));
    const before = JSON.stringify(await store.list());
    const novita = createScriptedNovitaClient();
    novita.failListing(new NovitaApiError('Novita answered 503 after 4 attempts', { status: 503, retryable: true }));
    const events: ReconcilerEvent[] = [];
    const reconciler = createReconciler({ store, novitaClient: novita, onEvent: (event) => events.push(event) });
    const error = await rejection(reconciler.sync());
    expect(error.code).toBe('NOVITA_API');
    expect(store.writes).toBe(0);
    expect(JSON.stringify(await store.list())).toBe(before);
    expect(events.map((event) => event.type).filter((type) => type !== 'progress')).toEqual(['run-started', 'run-failed']);
  });

  it('grades a listing whose distinct ids do not match total unproven (a custom client that cut it short), and ends no record without a proof', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(3) }));
    const asked: string[] = [];
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [instance('nv-r0', 'running')], total: 3 }),
      // Alive: the listing was short, the instances are not gone.
      getInstance: async (id) => {
        asked.push(id);
        return instance(id, 'running');
      },
    };
    const report = await createReconciler({ store, novitaClient: client }).sync();
    expect(report.listing).toEqual({
      complete: false,
      reason: '1 distinct instances where the listing announced a total of 3',
      walks: 1,
      total: 3,
    });
    expect(asked.sort()).toEqual(['nv-r1', 'nv-r2']);
    expect(report.markedTerminated + report.removed).toBe(0);
    expect(store.writes).toBe(0);
  });

  it('rejects a client that calls a listing complete while its ids disagree with its total', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(3) }));
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [instance('nv-r0', 'running')], total: 3, complete: true }),
      getInstance: async () => null,
    };
    const error = await rejection(createReconciler({ store, novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(error.message).toMatch(/called it complete with 1 distinct instances but total 3/);
    expect(store.writes).toBe(0);
  });

  it('rejects a listing with repeated ids even when the count matches total', async () => {
    const store = countingStore(createMemoryStore({ records: fleetOf(2) }));
    const client: NovitaClient = {
      listInstances: async () => ({ instances: [instance('nv-r0', 'running'), instance('nv-r0', 'running')], total: 2 }),
      getInstance: async () => null,
    };
    expect((await rejection(createReconciler({ store, novitaClient: client }).sync())).code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(store.writes).toBe(0);
  });

  it('rejects a malformed listing, naming the field', async () => {
    const client = {
      listInstances: async () => ({ instances: [{ id: 'x', status: 'running' }, { id: 'y' }], total: 2 }),
      getInstance: async () => null,
    } as unknown as NovitaClient;
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_INVALID_RESPONSE');
    expect(error.message).toMatch(/instances\[1\]\.status/);
  });

  it('wraps a plain error from a custom client as NOVITA_API, keeping the cause', async () => {
    const cause = new Error('socket hang up');
    const client: NovitaClient = { listInstances: async () => Promise.reject(cause), getInstance: async () => null };
    const error = await rejection(createReconciler({ store: createMemoryStore(), novitaClient: client }).sync());
    expect(error.code).toBe('NOVITA_API');
    expect(error.cause).toBe(cause);
  });
});

describe('confirmation with getInstance', () => {
  it('runs confirmations in parallel but never above the client bound', async () => {
    const novita = createScriptedNovitaClient({ maxConcurrency: 3, latencyMs: 15 });
    const reconciler = createReconciler({
      store: createMemoryStore({ records: fleetOf(20) }),
      novitaClient: novita,
      policy: { safetyMinRecords: 100 },
    });
    const report = await reconciler.sync();
    expect(novita.calls.filter((call) => call.method === 'getInstance')).toHaveLength(20);
    expect(novita.maxInFlight).toBe(3);
    expect(report.markedTerminated).toBe(20);
  });

  it('confirmConcurrency overrides the client bound', async () => {
    const novita = createScriptedNovitaClient({ maxConcurrency: 8, latencyMs: 10 });
    await createReconciler({
      store: createMemoryStore({ records: fleetOf(12) }),
      novitaClient: novita,
      policy: { safetyMinRecords: 100 },
      confirmConcurrency: 2,
    }).sync();
    expect(novita.maxInFlight).toBe(2);
  });
});
