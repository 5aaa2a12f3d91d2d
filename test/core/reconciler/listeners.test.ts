/**
 * Quiet logs (issue 8.4) through the whole run, not only the client: a sync at maxConcurrency 16 with
 * a 40-page listing and 200 confirmations over real HTTP never holds more than a handful of abort
 * listeners on any signal, and Node never prints MaxListenersExceededWarning.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceRecord } from '../../../src/index.js';
import { createNovitaClient } from '../../../src/novita/index.js';
import { startFakeNovita, type FakeNovita } from '../../../src/testing/fake-novita/index.js';

const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

describe('abort listeners during a whole run', () => {
  it('stay at a handful on the caller signal; no MaxListenersExceededWarning', async () => {
    const fake = await startFakeNovita({ defaultPageSize: 50, maxPageSize: 50 });
    fakes.push(fake);
    const DAY = 86_400_000;
    const listed = fake.addInstances(2_000, (index) => ({
      id: `dd${index.toString(16).padStart(14, '0')}`,
      status: 'running',
      createdAtMs: Date.now() - DAY,
    }));
    fake.fault({ endpoint: 'any', kind: 'latency', ms: 5, times: Number.POSITIVE_INFINITY });
    const records: InstanceRecord[] = [
      ...listed.map((instance, index) => ({
        id: `rec-${index}`,
        novitaInstanceId: instance.id,
        status: 'running',
        timestamps: { created: new Date(Date.now() - DAY).toISOString() },
      })),
      ...Array.from({ length: 200 }, (_, index) => ({
        id: `gone-${index}`,
        novitaInstanceId: `ee${index.toString(16).padStart(14, '0')}`,
        status: 'running',
        timestamps: { created: new Date(Date.now() - DAY).toISOString(), started: new Date(Date.now() - DAY).toISOString() },
      })),
    ];
    const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, pageSize: 50, maxConcurrency: 16 });
    const reconciler = createReconciler({ store: createMemoryStore({ records }), novitaClient, policy: { safetyMinRecords: 100_000 } });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    const controller = new AbortController();
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, getEventListeners(controller.signal, 'abort').length);
    }, 1);
    try {
      const report = await reconciler.sync({ signal: controller.signal });
      expect(report.confirmations).toMatchObject({ requested: 200, gone: 200 });
      expect(report.markedTerminated).toBe(200);
    } finally {
      clearInterval(sampler);
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    expect(peak).toBeLessThanOrEqual(4);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
