import { describe, expect, it } from 'vitest';
import type { ListingProgress, ListingRestart } from '../../src/core/ports/novita-client.js';
import type { FakeFleetControl, FakeNovita } from '../../src/testing/fake-novita/index.js';
import { clientFor, fakeNovita, idsOf, recordingLogger, rejectionOf } from '../support/novita-test-kit.js';

const DAY_ONE = Date.UTC(2025, 0, 1);

/** A fleet of `count` instances, created a second apart, so the listing order is fixed. */
async function fleetOf(count: number, order: 'newest-first' | 'oldest-first' = 'newest-first'): Promise<FakeNovita> {
  const fake = await fakeNovita({ order });
  fake.addInstances(count, (index) => ({ createdAtMs: DAY_ONE + index * 1000 }));
  return fake;
}

let created = 0;
/** An instance created now, elsewhere: newest of all, so it lands on the first page and shifts every later one. */
const createOne = (fake: FakeFleetControl): void => void fake.addInstance({ createdAtMs: DAY_ONE + 10_000_000 + (created += 1) });
/** The oldest instance gone at once (not the gradual delete): every page after its position shifts. */
const deleteOldest = (fake: FakeFleetControl): void => {
  const all = fake.listInstances();
  const oldest = all[all.length - 1];
  if (oldest) fake.removeInstance(oldest.id);
};
const listRequests = (fake: FakeNovita) => fake.requests.filter((request) => request.endpoint === 'list');

describe('listInstances on a churning account: a shifted walk is read again', () => {
  it('an instance deleted during one walk and another created during the next: resolves on the third walk with exactly the fleet as it is now', async () => {
    const fake = await fleetOf(40);
    // Gone at once while page 3 is first read (walk 1 stops there); created while page 6 is first read (walk 2).
    fake.fault({ endpoint: 'list', page: 3, kind: 'mutate', run: deleteOldest });
    fake.fault({ endpoint: 'list', page: 6, kind: 'mutate', run: createOne });
    const restarts: ListingRestart[] = [];
    const progress: ListingProgress[] = [];
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { restartDelayMs: 1 } });
    const listing = await client.listInstances({
      onRestart: (restart) => restarts.push(restart),
      onProgress: (step) => progress.push(step),
    });

    expect(listing.walks).toBe(3);
    expect(listing.total).toBe(40);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(new Set(idsOf(listing.instances)).size).toBe(listing.instances.length);
    expect(restarts).toEqual([
      { walk: 1, reason: expect.stringContaining("Novita's total changed from 40 to 39 at page 3") },
      { walk: 2, reason: expect.stringContaining("Novita's total changed from 39 to 40 at page 6") },
    ]);
    // A walk stops at the page that showed the shift; the last one read every page and the page past the full last one.
    expect(progress.filter((step) => step.walk === 1).map((step) => step.pagesRead)).toEqual([1, 2]);
    expect(progress.filter((step) => step.walk === 2)).toEqual(
      Array.from({ length: 5 }, (_, index) => ({ pagesRead: index + 1, pagesTotal: 8, walk: 2 })),
    );
    expect(progress.filter((step) => step.walk === 3)).toEqual(
      Array.from({ length: 9 }, (_, index) => ({ pagesRead: index + 1, pagesTotal: 9, walk: 3 })),
    );
    expect(listRequests(fake)).toHaveLength(3 + 6 + 9);
  });

  it('a delete and a create in the same page read (the total unchanged) leave the pages one instance short: read again, never merged', async () => {
    const fake = await fleetOf(40);
    fake.fault({
      endpoint: 'list',
      page: 3,
      kind: 'mutate',
      run: (self) => {
        deleteOldest(self);
        createOne(self);
      },
    });
    const restarts: ListingRestart[] = [];
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { restartDelayMs: 1 } });
    const listing = await client.listInstances({ onRestart: (restart) => restarts.push(restart) });
    expect(restarts).toEqual([{ walk: 1, reason: expect.stringContaining('the pages held 39 distinct instances, not the 40') }]);
    expect(listing.walks).toBe(2);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(listing.instances).toHaveLength(40);
  });

  it('a page served twice once (Novita answered page 1 for page 2) is read again and resolves', async () => {
    const fake = await fleetOf(23);
    fake.fault({ endpoint: 'list', page: 2, kind: 'repeat-page', servePage: 1 });
    const restarts: ListingRestart[] = [];
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances({
      onRestart: (restart) => restarts.push(restart),
    });
    expect(restarts).toEqual([{ walk: 1, reason: expect.stringContaining('page 2 repeated page 1') }]);
    expect(listing.walks).toBe(2);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('a shift seen while probing the pageNum convention restarts the probe, which then detects the numbering', async () => {
    const fake = await fakeNovita({ firstPageNum: 0 });
    fake.addInstances(12, (index) => ({ createdAtMs: DAY_ONE + index * 1000 }));
    // Page 1 is answered at once; the instance created right after it is in page 2's answer, 20 ms later.
    fake.fault({ endpoint: 'list', page: 1, kind: 'mutate', run: (self) => void setTimeout(() => createOne(self), 0) });
    fake.fault({ endpoint: 'list', page: 2, kind: 'latency', ms: 20 });
    const restarts: ListingRestart[] = [];
    const client = clientFor(fake, { pageSize: 5, listing: { restartDelayMs: 1 } });
    const listing = await client.listInstances({ onRestart: (restart) => restarts.push(restart) });
    expect(restarts).toEqual([{ walk: 1, reason: expect.stringContaining('could not tell whether pages count from 0 or 1') }]);
    expect(listing.walks).toBe(2);
    expect(client.firstPageNum).toBe(0);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('a status change between page reads is not a shift: one walk', async () => {
    const fake = await fleetOf(20);
    fake.fault({ endpoint: 'list', page: 3, kind: 'mutate', run: (self) => self.setStatus(self.listInstances()[0]?.id ?? '', 'exited') });
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1 }).listInstances();
    expect(listing.walks).toBe(1);
  });

  it('churn on every walk: after listing.maxWalks walks, the last one read to the end, resolves the union of the walks as unproven, naming the walks', async () => {
    const fake = await fleetOf(30);
    fake.fault({ endpoint: 'list', page: 4, kind: 'mutate', times: Infinity, run: createOne });
    const restarts: ListingRestart[] = [];
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { maxWalks: 4, restartDelayMs: 1 } });
    const listing = await client.listInstances({ onRestart: (restart) => restarts.push(restart) });
    expect(listing).toMatchObject({ complete: false, walks: 4, total: 33 });
    expect(listing.reason).toMatch(
      /^the listing shifted during each of 4 walks; the last read \d+ of 33 instances after 7 of 7 pages to the end: Novita's total changed from 33 to 34 at page 4/,
    );
    expect(restarts.map((restart) => restart.walk)).toEqual([1, 2, 3]);
    expect(listRequests(fake).filter((request) => request.page === 1)).toHaveLength(4);
    // Three walks stopped at page 4; the last read all 7 pages.
    expect(listRequests(fake)).toHaveLength(3 * 4 + 7);
    // Only the instance created while the last walk read page 4 (it landed on page 1, already read) is missing.
    const truth = idsOf(fake.listInstances());
    expect(truth).toHaveLength(34);
    expect(idsOf(listing.instances)).toEqual(truth.filter((id) => id !== fake.listInstances()[0]?.id));
  });

  it('with listing.maxWalks 1 a shifted walk is read to the end and resolves unproven, saying restarts are off', async () => {
    const fake = await fleetOf(30);
    fake.fault({ endpoint: 'list', page: 4, kind: 'mutate', run: createOne });
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { maxWalks: 1 } }).listInstances();
    expect(listing).toMatchObject({ complete: false, walks: 1 });
    expect(listing.reason).toContain('the only walk allowed (listing.maxWalks 1)');
    // 30 instances at 5 a page announced 6 full pages and one past them; the shift left page 7 full-sized by one: read to 7.
    expect(listRequests(fake)).toHaveLength(7);
    expect(listing.instances).toHaveLength(30);
  });

  it('a throwing onRestart or onProgress is ignored (and logged): the listing still resolves', async () => {
    const fake = await fleetOf(20);
    fake.fault({ endpoint: 'list', page: 2, kind: 'mutate', run: createOne });
    const logger = recordingLogger();
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, logger, listing: { restartDelayMs: 1 } });
    const listing = await client.listInstances({
      onRestart: () => {
        throw new Error('restart listener broke');
      },
      onProgress: async () => {
        throw new Error('progress listener broke');
      },
    });
    expect(listing.walks).toBe(2);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(logger.lines.filter((line) => line.message.endsWith('threw; ignored')).map((line) => line.fields.callback)).toContain(
      'onRestart',
    );
    expect(logger.lines.some((line) => line.fields.callback === 'onProgress')).toBe(true);
  });

  it('the caller signal ends the wait between walks at once', async () => {
    const fake = await fleetOf(20);
    fake.fault({ endpoint: 'list', page: 2, kind: 'mutate', run: createOne });
    const controller = new AbortController();
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { restartDelayMs: 60_000 } });
    const started = Date.now();
    const error = await rejectionOf(
      client.listInstances({ signal: controller.signal, onRestart: () => setTimeout(() => controller.abort(), 10) }),
    );
    expect(error.code).toBe('ABORTED');
    // The wait before walk 2 is at least 30 s; the abort ended it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(listRequests(fake)).toHaveLength(2);
  });

  it('refuses a listing option that is not one, naming it', () => {
    const fake = { apiKey: 'sk_fake', url: 'http://127.0.0.1:1/v1' } as FakeNovita;
    expect(() => clientFor(fake, { listing: { maxWalks: 0 } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'listing.maxWalks' }),
    );
    expect(() => clientFor(fake, { listing: { restartDelay: 5 } as never })).toThrow(
      expect.objectContaining({ field: 'listing.restartDelay', suggestion: 'restartDelayMs' }),
    );
  });
});

describe('listInstances: only a shift restarts a walk', () => {
  // Counting requests shows that no second walk started: the first page is asked for once.
  const cases = [
    {
      name: 'a page that keeps failing (503) after its retries',
      fault: { kind: 'error', status: 503 } as const,
      code: 'NOVITA_INCOMPLETE_LISTING',
      pageRequests: 4,
    },
    {
      name: 'a 401 on a later page',
      fault: { kind: 'error', status: 401, reason: 'UNAUTHORIZED' } as const,
      code: 'NOVITA_AUTH',
      pageRequests: 1,
    },
    {
      name: 'a 403 on a later page',
      fault: { kind: 'error', status: 403, reason: 'FORBIDDEN' } as const,
      code: 'NOVITA_AUTH',
      pageRequests: 1,
    },
    {
      name: 'a 429 that outlasts its retries',
      fault: { kind: 'rate-limit', retryAfter: 0 } as const,
      code: 'NOVITA_INCOMPLETE_LISTING',
      pageRequests: 4,
    },
    { name: 'a malformed page', fault: { kind: 'malformed-json' } as const, code: 'NOVITA_INCOMPLETE_LISTING', pageRequests: 1 },
  ];
  for (const { name, fault, code, pageRequests } of cases) {
    it(`${name} rejects at once, without another walk`, async () => {
      const fake = await fleetOf(30);
      fake.fault({ endpoint: 'list', page: 3, times: Infinity, ...fault });
      const restarts: ListingRestart[] = [];
      const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { maxWalks: 5, restartDelayMs: 1 } });
      const error = await rejectionOf(client.listInstances({ onRestart: (restart) => restarts.push(restart) }));
      expect(error.code).toBe(code);
      expect(restarts).toEqual([]);
      expect(listRequests(fake).filter((request) => request.page === 1)).toHaveLength(1);
      expect(listRequests(fake).filter((request) => request.page === 3)).toHaveLength(pageRequests);
      expect(listRequests(fake)).toHaveLength(2 + pageRequests);
    });
  }

  it('a 401 on the first page rejects with NOVITA_AUTH after one request', async () => {
    const fake = await fleetOf(30);
    const client = clientFor(fake, { apiKey: 'sk_wrong_key', pageSize: 5, firstPageNum: 1, listing: { maxWalks: 5, restartDelayMs: 1 } });
    expect((await rejectionOf(client.listInstances())).code).toBe('NOVITA_AUTH');
    expect(listRequests(fake)).toHaveLength(1);
  });

  it('a page that fails while another page shows a shift: no walk after the failure', async () => {
    const fake = await fleetOf(30);
    fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 500, times: Infinity });
    fake.fault({ endpoint: 'list', page: 2, kind: 'mutate', times: Infinity, run: createOne });
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { maxWalks: 5, restartDelayMs: 1 } });
    const error = await rejectionOf(client.listInstances());
    expect(error.code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(error.message).toContain('a page failed');
    expect(listRequests(fake).filter((request) => request.page === 1)).toHaveLength(1);
  });
});
