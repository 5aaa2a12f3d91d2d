/**
 * Issue 7.3, over real HTTP: when Novita's get-one endpoint hangs, confirmations no longer cost
 * 4 x timeoutMs each without limit (229 s for 150 candidates at a 1.5 s timeout before): the circuit
 * breaker stops the step after a few failures in a row, every candidate stays unverified, the run
 * resolves and nothing is terminated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceRecord } from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const DAY = 86_400_000;

describe('confirmations against a get endpoint that hangs', () => {
  it('150 candidates: the breaker stops after a few timeouts, all stay unverified, the run resolves', async () => {
    const fake = await startFakeNovita({ defaultPageSize: 50, maxPageSize: 50 });
    fakes.push(fake);
    fake.addInstances(10, (index) => ({
      id: `bb${index.toString(16).padStart(14, '0')}`,
      status: 'running',
      createdAtMs: Date.now() - DAY,
    }));
    fake.fault({ endpoint: 'get', kind: 'hang', times: Number.POSITIVE_INFINITY });
    const records: InstanceRecord[] = Array.from({ length: 150 }, (_, index) => ({
      id: `rec-${index}`,
      novitaInstanceId: `cc${index.toString(16).padStart(14, '0')}`,
      status: 'running',
      timestamps: { created: new Date(Date.now() - DAY).toISOString(), started: new Date(Date.now() - DAY).toISOString() },
    }));
    const store = createMemoryStore({ records });
    const timeoutMs = 300;
    const novitaClient = createNovitaClient({
      apiKey: fake.apiKey,
      baseUrl: fake.url,
      pageSize: 50,
      timeoutMs,
      retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const reconciler = createReconciler({ store, novitaClient, policy: { safetyMinRecords: 1_000 } });

    const started = Date.now();
    const report = await reconciler.sync();
    const elapsed = Date.now() - started;

    expect(report.unverified).toBe(150);
    expect(report.markedTerminated + report.removed).toBe(0);
    expect(report.confirmations).toMatchObject({ requested: 150, stoppedBy: 'circuit-breaker', gone: 0, alive: 0 });
    expect(report.confirmations.failed).toBeGreaterThanOrEqual(3);
    expect((await store.list()).every((record) => record.status === 'running')).toBe(true);
    // Far fewer get requests than 150 x 4 attempts: the breaker stopped asking.
    const gets = fake.requests.filter((request) => request.path.endsWith('/gpu/instance')).length;
    expect(gets).toBeLessThan(60);
    // Liveness, not speed: before the breaker this took 150 x 4 x timeoutMs / 4 in flight = 45 s.
    expect(elapsed).toBeLessThan(20 * timeoutMs * 4);
  });
});
