import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientFor, fakeNovita } from '../support/novita-test-kit.js';

// Node prints MaxListenersExceededWarning once a signal holds 11 abort listeners. Every wait of the
// client (gate queue, retry sleep, attempt timeout, listing walk) shares one listener per signal, so
// the caller's signal holds at most one from the client at any moment, and none once a call settled.
const MOST_LISTENERS_WHILE_RUNNING = 1;

let warnings: Error[] = [];
const recordWarning = (warning: Error): void => {
  warnings.push(warning);
};

beforeEach(() => {
  warnings = [];
  process.on('warning', recordWarning);
});

afterEach(() => {
  process.off('warning', recordWarning);
});

/** Lets a warning emitted on the last tick reach `process.on('warning')`. */
const settleWarnings = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

const listenerWarnings = (): Error[] => warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning');

describe('abort listeners: a long listing or many calls never pile listeners on a signal', () => {
  for (const maxConcurrency of [4, 32]) {
    it(`a 60-page listing with a caller signal adds at most one abort listener to it (maxConcurrency ${maxConcurrency}) and none stays`, async () => {
      const fake = await fakeNovita();
      fake.addInstances(300);
      const controller = new AbortController();
      const counts: number[] = [];
      // The fake runs in this process: sample the caller's signal as each page request arrives.
      fake.fault({
        endpoint: 'list',
        kind: 'mutate',
        times: Infinity,
        run: () => counts.push(getEventListeners(controller.signal, 'abort').length),
      });
      fake.fault({ endpoint: 'list', kind: 'latency', ms: 2, times: Infinity });
      const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency });
      const listing = await client.listInstances({ signal: controller.signal });
      expect(listing.instances).toHaveLength(300);
      expect(counts.length).toBeGreaterThanOrEqual(60);
      expect(Math.max(...counts)).toBeLessThanOrEqual(MOST_LISTENERS_WHILE_RUNNING);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await settleWarnings();
      expect(listenerWarnings()).toEqual([]);
    });
  }

  it('a 60-page listing whose pages hit 503s and a 429 (retry sleeps, a gate pause) still adds at most one listener', async () => {
    const fake = await fakeNovita();
    fake.addInstances(300);
    const controller = new AbortController();
    const counts: number[] = [];
    fake.fault({
      endpoint: 'list',
      kind: 'mutate',
      times: Infinity,
      run: () => counts.push(getEventListeners(controller.signal, 'abort').length),
    });
    for (const page of [7, 19, 33, 48]) fake.fault({ endpoint: 'list', page, kind: 'error', status: 503, times: 2 });
    fake.fault({ endpoint: 'list', page: 25, kind: 'rate-limit', retryAfter: 0 });
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 8 });
    const listing = await client.listInstances({ signal: controller.signal });
    expect(listing.instances).toHaveLength(300);
    expect(Math.max(...counts)).toBeLessThanOrEqual(MOST_LISTENERS_WHILE_RUNNING);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settleWarnings();
    expect(listenerWarnings()).toEqual([]);
  });

  it('200 getInstance calls in parallel under one caller signal add at most one listener to it, with retries and a 429 pause among them', async () => {
    const fake = await fakeNovita();
    const instances = fake.addInstances(200);
    const controller = new AbortController();
    const counts: number[] = [];
    fake.fault({
      endpoint: 'get',
      kind: 'mutate',
      times: Infinity,
      run: () => counts.push(getEventListeners(controller.signal, 'abort').length),
    });
    fake.fault({ endpoint: 'get', kind: 'latency', ms: 2, times: Infinity });
    fake.fault({ endpoint: 'get', kind: 'error', status: 503, times: 20, after: 30 });
    fake.fault({ endpoint: 'get', kind: 'rate-limit', retryAfter: 0, after: 100 });
    const client = clientFor(fake, { maxConcurrency: 16 });
    const found = await Promise.all(instances.map((instance) => client.getInstance(instance.id, { signal: controller.signal })));
    expect(found.map((instance) => instance?.id)).toEqual(instances.map((instance) => instance.id));
    expect(counts.length).toBeGreaterThanOrEqual(200);
    expect(Math.max(...counts)).toBeLessThanOrEqual(MOST_LISTENERS_WHILE_RUNNING);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settleWarnings();
    expect(listenerWarnings()).toEqual([]);
  });

  it('aborting a 60-page listing mid-walk rejects with ABORTED and leaves no listener behind', async () => {
    const fake = await fakeNovita();
    fake.addInstances(300);
    const controller = new AbortController();
    fake.fault({ endpoint: 'list', kind: 'latency', ms: 5, times: Infinity });
    fake.fault({ endpoint: 'list', page: 30, kind: 'mutate', run: () => controller.abort() });
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 4 });
    await expect(client.listInstances({ signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settleWarnings();
    expect(listenerWarnings()).toEqual([]);
  });
});
