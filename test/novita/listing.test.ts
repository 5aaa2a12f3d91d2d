import { describe, expect, it } from 'vitest';
import type { NovitaInstanceListing } from '../../src/novita/index.js';
import { clientFor, fakeNovita, idsOf, rejectionOf } from '../support/novita-test-kit.js';

/** The listing `promise` resolves, checked to be graded unproven (with a reason and one entry per id). */
async function unprovenOf(promise: Promise<NovitaInstanceListing>): Promise<NovitaInstanceListing & { reason: string }> {
  const listing = await promise;
  expect(listing.complete).toBe(false);
  expect(listing.reason).toEqual(expect.any(String));
  expect(new Set(idsOf(listing.instances)).size).toBe(listing.instances.length);
  return listing as NovitaInstanceListing & { reason: string };
}

describe('listInstances: pagination', () => {
  it('reads a one-page account completely', async () => {
    const fake = await fakeNovita();
    fake.addInstances(3);
    const listing = await clientFor(fake, { pageSize: 10 }).listInstances();
    expect(listing.total).toBe(3);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('reads every instance of a two-page account', async () => {
    const fake = await fakeNovita();
    fake.addInstances(15);
    const listing = await clientFor(fake, { pageSize: 10 }).listInstances();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('reads every instance of a many-page account, sending pageSize and pageNum (never page/page_size)', async () => {
    const fake = await fakeNovita();
    fake.addInstances(95);
    const listing = await clientFor(fake, { pageSize: 7, firstPageNum: 1 }).listInstances();
    expect(listing.instances).toHaveLength(95);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    const listRequests = fake.requests.filter((request) => request.endpoint === 'list');
    expect(listRequests).toHaveLength(14);
    for (const request of listRequests) {
      expect(Object.keys(request.query).sort()).toEqual(['pageNum', 'pageSize']);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBe('Bearer [redacted]');
    }
  });

  it('counts pages from the page size Novita served when it serves fewer than asked', async () => {
    const fake = await fakeNovita({ maxPageSize: 4 });
    fake.addInstances(18);
    const listing = await clientFor(fake, { pageSize: 50, firstPageNum: 1 }).listInstances();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(fake.requests.filter((request) => request.endpoint === 'list')).toHaveLength(5);
  });

  it('resolves an empty account as an empty listing', async () => {
    const fake = await fakeNovita();
    await expect(clientFor(fake).listInstances()).resolves.toEqual({ instances: [], total: 0, walks: 1, complete: true });
  });

  it('passes an unknown status through as an instance, not as gone', async () => {
    const fake = await fakeNovita();
    const [instance] = fake.addInstances(1, () => ({ status: 'hibernating' }));
    const listing = await clientFor(fake).listInstances();
    expect(listing.instances).toMatchObject([{ id: instance?.id, status: 'hibernating' }]);
  });

  it('normalises the string numbers and Unix-second strings the fake sends like Novita', async () => {
    const fake = await fakeNovita();
    const createdAtMs = Date.UTC(2024, 10, 28, 8, 0, 0);
    fake.addInstance({
      id: 'aaaa000000000001',
      status: 'exited',
      gpuNum: 2,
      createdAtMs,
      lastStartedAtMs: createdAtMs + 60_000,
      lastStoppedAtMs: createdAtMs + 120_000,
    });
    expect(fake.getInstance('aaaa000000000001')).toMatchObject({ gpuNum: '2', createdAt: String(createdAtMs / 1000) });
    const [instance] = (await clientFor(fake).listInstances()).instances;
    expect(instance).toMatchObject({
      gpuNum: 2,
      cpuNum: 32,
      createdAt: '2024-11-28T08:00:00.000Z',
      lastStartedAt: '2024-11-28T08:01:00.000Z',
      lastStoppedAt: '2024-11-28T08:02:00.000Z',
    });
  });
});

describe('listInstances: pageNum convention', () => {
  for (const firstPageNum of [0, 1] as const) {
    it(`detects a server whose pages count from ${firstPageNum} and reads everything`, async () => {
      const fake = await fakeNovita({ firstPageNum });
      fake.addInstances(25);
      const client = clientFor(fake, { pageSize: 10 });
      const listing = await client.listInstances();
      expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
      expect(client.firstPageNum).toBe(firstPageNum);
    });

    it(`probes only once for a server counting from ${firstPageNum}, then remembers`, async () => {
      const fake = await fakeNovita({ firstPageNum });
      fake.addInstances(25);
      const client = clientFor(fake, { pageSize: 10 });
      await client.listInstances();
      fake.clearRequests();
      const listing = await client.listInstances();
      expect(listing.instances).toHaveLength(25);
      expect(fake.requests.map((request) => Number(request.query.pageNum)).sort()).toEqual([0, 1, 2].map((n) => n + firstPageNum));
    });

    it(`reads everything with firstPageNum set to ${firstPageNum} explicitly`, async () => {
      const fake = await fakeNovita({ firstPageNum });
      fake.addInstances(21);
      const listing = await clientFor(fake, { pageSize: 10, firstPageNum }).listInstances();
      expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    });
  }

  for (const belowFirstPage of ['empty', 'error'] as const) {
    it(`detects 1-based paging when pageNum 0 answers ${belowFirstPage === 'empty' ? 'an empty page' : 'a 400'}`, async () => {
      const fake = await fakeNovita({ firstPageNum: 1, belowFirstPage });
      fake.addInstances(12);
      const client = clientFor(fake, { pageSize: 5 });
      expect(idsOf((await client.listInstances()).instances)).toEqual(idsOf(fake.listInstances()));
      expect(client.firstPageNum).toBe(1);
    });
  }

  it('never takes a walk with the wrong base as complete: base 1 against a 0-based server is unproven', async () => {
    const fake = await fakeNovita({ firstPageNum: 0 });
    fake.addInstances(12);
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing.walks).toBe(3);
  });
});

describe('listInstances: never a partial listing passed off as complete', () => {
  it('grades unproven when the total is larger than what the pages deliver, saying how far it got', async () => {
    const fake = await fakeNovita();
    fake.addInstances(12);
    fake.fault({ endpoint: 'list', kind: 'total', total: 15, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing).toMatchObject({ total: 15, walks: 3 });
    expect(listing.reason).toMatch(/shifted during each of 3 walks; the last read \d+ of 15 instances after \d+ of 3 pages/);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('grades unproven when one page announces a different total on every walk', async () => {
    const fake = await fakeNovita();
    fake.addInstances(12);
    fake.fault({ endpoint: 'list', page: 3, kind: 'total', total: 11, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing.reason).toContain('total changed from 12 to 11');
    // The last walk read every page whatever shifted.
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('grades unproven when a page leaves an instance out (a lagging listing) on every walk: the instance is missing, never proven gone', async () => {
    const fake = await fakeNovita();
    const all = fake.addInstances(12);
    fake.fault({ endpoint: 'list', page: 2, kind: 'omit-item', index: 2, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing).toMatchObject({ total: 12, walks: 3 });
    expect(listing.instances).toHaveLength(11);
    expect(idsOf(listing.instances).every((id) => all.some((instance) => instance.id === id))).toBe(true);
  });

  it('grades unproven when the last page leaves an instance out on every walk', async () => {
    const fake = await fakeNovita();
    fake.addInstances(12);
    fake.fault({ endpoint: 'list', page: 3, kind: 'omit-item', times: Infinity });
    await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
  });

  it('rejects when page 3 keeps failing after its retries, and says how far it got', async () => {
    const fake = await fakeNovita();
    fake.addInstances(25);
    fake.fault({ endpoint: 'list', page: 3, kind: 'error', status: 503, times: Infinity });
    const error = await rejectionOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances());
    expect(error).toMatchObject({ code: 'NOVITA_INCOMPLETE_LISTING', expected: 25 });
    expect(error.message).toMatch(/Novita listing incomplete: \d+ of 25 instances after \d+ of 5 pages: a page failed: .*HTTP 503/);
    expect((error.cause as { code?: string }).code).toBe('NOVITA_API');
    expect(fake.requests.filter((request) => request.page === 3)).toHaveLength(4);
  });

  it('grades unproven, rather than loops, when Novita ignores pageNum and repeats a page', async () => {
    const fake = await fakeNovita();
    fake.addInstances(12);
    fake.fault({ endpoint: 'list', page: 2, kind: 'repeat-page', servePage: 1, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing.reason).toContain('page 2 repeated page 1');
    expect(listing.reason).toContain('each of 3 walks');
  });

  it('grades unproven when an instance disappears while the pages are read, on every walk (the pages shift)', async () => {
    const fake = await fakeNovita({ order: 'oldest-first' });
    fake.addInstances(30, (index) => ({ createdAtMs: Date.UTC(2025, 0, 1) + index * 1000 }));
    fake.fault({
      endpoint: 'list',
      page: 2,
      kind: 'mutate',
      times: Infinity,
      run: (self) => self.removeInstance(self.listInstances()[0]?.id ?? ''),
    });
    await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { restartDelayMs: 1 } }).listInstances());
  });

  it('grades unproven when an instance is created at the front while the pages are read, on every walk (a duplicate shows up)', async () => {
    const fake = await fakeNovita({ order: 'newest-first' });
    fake.addInstances(12, (index) => ({ createdAtMs: Date.UTC(2025, 0, 1) + index * 1000 }));
    let created = 0;
    fake.fault({
      endpoint: 'list',
      page: 2,
      kind: 'mutate',
      times: Infinity,
      run: (self) => void self.addInstance({ createdAtMs: Date.UTC(2026, 0, 1) + (created += 1) }),
    });
    const listing = await unprovenOf(
      clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1, listing: { restartDelayMs: 1 } }).listInstances(),
    );
    // Every instance that existed before the walks is there: the union of the walks lost none to the shifts.
    expect(listing.instances.length).toBeGreaterThanOrEqual(12);
  });

  it('refuses an implausible total that would need more than maxPages pages', async () => {
    const fake = await fakeNovita();
    fake.addInstances(3);
    fake.fault({ endpoint: 'list', kind: 'total', total: 5_000_000, times: Infinity });
    const error = await rejectionOf(clientFor(fake, { pageSize: 3, firstPageNum: 1, maxPages: 100 }).listInstances());
    expect(error.code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(error.message).toContain('more than maxPages');
    expect(fake.requests).toHaveLength(1);
  });

  it('rejects an empty first page when Novita announces instances', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'list', kind: 'total', total: 4, times: Infinity });
    expect((await rejectionOf(clientFor(fake, { firstPageNum: 1 }).listInstances())).code).toBe('NOVITA_INCOMPLETE_LISTING');
  });

  it('rejects a listing whose page is not JSON with NOVITA_INVALID_RESPONSE on the first page', async () => {
    const fake = await fakeNovita();
    fake.addInstances(3);
    fake.fault({ endpoint: 'list', kind: 'malformed-json' });
    expect((await rejectionOf(clientFor(fake, { firstPageNum: 1 }).listInstances())).code).toBe('NOVITA_INVALID_RESPONSE');
  });

  it('takes 400 RESOURCE_NOT_FOUND on the listing as an error by default, saying what it may mean, and as an unproven empty listing only when told to', async () => {
    const fake = await fakeNovita({ emptyListingIsNotFound: true });
    for (const firstPageNum of ['auto', 1] as const) {
      const error = await rejectionOf(clientFor(fake, { firstPageNum }).listInstances());
      expect(error).toMatchObject({ code: 'NOVITA_API', status: 400, reason: 'RESOURCE_NOT_FOUND' });
      expect(error.message).toContain('this is how Novita may answer an account with no instances');
      expect(error.message).toContain('notFoundListingIsEmpty: true');
      const listing = await unprovenOf(clientFor(fake, { notFoundListingIsEmpty: true, firstPageNum }).listInstances());
      expect(listing).toEqual({ instances: [], walks: 1, complete: false, reason: expect.stringContaining('notFoundListingIsEmpty') });
    }
  });

  it('never takes a route-style 404 on the listing for an empty account, even with notFoundListingIsEmpty', async () => {
    const fake = await fakeNovita();
    fake.addInstances(5);
    fake.fault({ endpoint: 'list', kind: 'route-404', times: Number.POSITIVE_INFINITY });
    for (const firstPageNum of ['auto', 1, 0] as const) {
      const error = await rejectionOf(clientFor(fake, { notFoundListingIsEmpty: true, firstPageNum }).listInstances());
      expect(error).toMatchObject({ code: 'NOVITA_API', status: 404 });
    }
  });

  it('rejects with ABORTED when the caller aborts mid-listing', async () => {
    const fake = await fakeNovita();
    fake.addInstances(20);
    fake.fault({ endpoint: 'list', page: 2, kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await rejectionOf(clientFor(fake, { pageSize: 5, firstPageNum: 1 }).listInstances({ signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
  });
});

describe('listInstances: speed without abuse', () => {
  it('fetches the pages after the first concurrently but never more than maxConcurrency at once', async () => {
    const fake = await fakeNovita();
    fake.addInstances(60);
    fake.fault({ endpoint: 'list', kind: 'latency', ms: 30, times: Infinity });
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 3 });
    expect(client.maxConcurrency).toBe(3);
    const started = Date.now();
    const listing = await client.listInstances();
    expect(listing.instances).toHaveLength(60);
    expect(fake.concurrency.maxInFlight).toBe(3);
    // 12 pages one at a time would take 360 ms; three at a time about 150 ms.
    expect(Date.now() - started).toBeLessThan(330);
  });

  it('shares the bound between a listing and concurrent getInstance calls', async () => {
    const fake = await fakeNovita();
    const instances = fake.addInstances(20);
    fake.fault({ kind: 'latency', ms: 20, times: Infinity });
    const client = clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 2 });
    await Promise.all([client.listInstances(), ...instances.slice(0, 6).map((instance) => client.getInstance(instance.id))]);
    expect(fake.concurrency.maxInFlight).toBe(2);
  });
});

describe('listInstances: an understated total', () => {
  it('grades unproven when the total is smaller than the account and the last page is exactly full, and the last walk reads on to the end', async () => {
    const fake = await fakeNovita();
    fake.addInstances(17);
    fake.fault({ endpoint: 'list', kind: 'total', total: 10, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(listing.reason).toContain('past the announced end, held 5 more instances');
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  it('grades unproven when the total is smaller than the account and the last page holds more than due', async () => {
    const fake = await fakeNovita();
    fake.addInstances(13);
    fake.fault({ endpoint: 'list', kind: 'total', total: 12, times: Infinity });
    const listing = await unprovenOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, listing: { restartDelayMs: 1 } }).listInstances());
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });
});
