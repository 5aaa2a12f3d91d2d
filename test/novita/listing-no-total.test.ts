import { describe, expect, it } from 'vitest';
import type { FakeFleetControl, FakeNovita } from '../../src/testing/fake-novita/index.js';
import { clientFor, fakeNovita, idsOf, rejectionOf } from '../support/novita-test-kit.js';

const DAY_ONE = Date.UTC(2025, 0, 1);

/** A fake answering `{"instances": [...]}` only (Novita's current reference), with `count` instances a second apart. */
async function noTotalFleet(
  count: number,
  order: 'newest-first' | 'oldest-first' = 'newest-first',
  maxPageSize = 100,
): Promise<FakeNovita> {
  const fake = await fakeNovita({ listingTotal: false, order, maxPageSize });
  fake.addInstances(count, (index) => ({ createdAtMs: DAY_ONE + index * 1000 }));
  return fake;
}
const listRequests = (fake: FakeNovita) => fake.requests.filter((request) => request.endpoint === 'list');

describe('listInstances without a total: read to the end, never proven', () => {
  it('reads every page until one is shorter than the first, and resolves it unproven', async () => {
    const fake = await noTotalFleet(22);
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances();
    expect(listing).toMatchObject({ complete: false, walks: 1, reason: expect.stringContaining('Novita announced no total') });
    expect(listing.total).toBeUndefined();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(listRequests(fake)).toHaveLength(5);
  });

  it('reads one page past an exactly full one', async () => {
    const fake = await noTotalFleet(20);
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(listRequests(fake).map((request) => request.page)).toEqual([1, 2, 3, 4, 5]);
  });

  it('counts pages from the size the first page served when the page size is capped', async () => {
    const fake = await noTotalFleet(18, 'newest-first', 4);
    const listing = await clientFor(fake, { pageSize: 50, firstPageNum: 1, maxConcurrency: 1 }).listInstances();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(listRequests(fake)).toHaveLength(5);
  });

  it('detects the page numbering without a total, both ways', async () => {
    for (const firstPageNum of [0, 1] as const) {
      const fake = await fakeNovita({ listingTotal: false, firstPageNum });
      fake.addInstances(12);
      const client = clientFor(fake, { pageSize: 5 });
      const listing = await client.listInstances();
      expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
      expect(client.firstPageNum).toBe(firstPageNum);
    }
  });

  it('ends the walk at a page identical to the one before it (an API answering past the end with the last page again)', async () => {
    const fake = await noTotalFleet(10);
    fake.fault({ endpoint: 'list', page: 3, kind: 'repeat-page', servePage: 2, times: Infinity });
    const listing = await clientFor(fake, {
      pageSize: 5,
      firstPageNum: 1,
      maxConcurrency: 1,
      listing: { restartDelayMs: 1 },
    }).listInstances();
    expect(listing).toMatchObject({ complete: false, walks: 1 });
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(listRequests(fake)).toHaveLength(3);
  });

  it('resolves an empty account as an empty unproven listing', async () => {
    const fake = await fakeNovita({ listingTotal: false });
    for (const firstPageNum of ['auto', 1] as const) {
      const listing = await clientFor(fake, { firstPageNum }).listInstances();
      expect(listing).toEqual({ instances: [], walks: 1, complete: false, reason: expect.stringContaining('without a total') });
    }
  });

  it('an id seen on two different pages is a shift: the walk is read again, and the listing resolves the union of the walks', async () => {
    const fake = await noTotalFleet(20);
    // Created while page 2 is read, newest first: every later page shifts by one, so page 2 repeats page 1's last instance.
    let createdId = '';
    fake.fault({
      endpoint: 'list',
      page: 2,
      kind: 'mutate',
      run: (self: FakeFleetControl) => void (createdId = self.addInstance({ createdAtMs: DAY_ONE + 10_000_000 }).id),
    });
    const restarts: Array<{ walk: number; reason: string }> = [];
    const listing = await clientFor(fake, {
      pageSize: 5,
      firstPageNum: 1,
      maxConcurrency: 1,
      listing: { restartDelayMs: 1 },
    }).listInstances({
      onRestart: (restart) => restarts.push(restart),
    });
    expect(restarts).toEqual([{ walk: 1, reason: expect.stringContaining('an instance of page 2 was already on page 1') }]);
    expect(listing).toMatchObject({ complete: false, walks: 2, reason: expect.stringContaining('after 1 walk that shifted') });
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
    expect(idsOf(listing.instances)).toContain(createdId);
  });

  it('an instance pushed out of the pages by a shift is missing from the unproven listing (the reconciler must confirm it, never end it)', async () => {
    const fake = await noTotalFleet(12, 'oldest-first');
    const [first] = fake.listInstances();
    // The oldest instance gone while page 2 is read: page 2 starts one later, so the instance that was 6th is never seen.
    fake.fault({ endpoint: 'list', page: 2, kind: 'mutate', run: (self) => self.removeInstance(first?.id ?? '') });
    const pushedOut = fake.listInstances()[5]?.id;
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances();
    expect(listing.complete).toBe(false);
    expect(fake.getInstance(pushedOut ?? '')).toBeDefined();
    expect(idsOf(listing.instances)).not.toContain(pushedOut);
  });

  it('on every walk shifting, the last walk reads to the end and the union of the walks is resolved, unproven', async () => {
    const fake = await noTotalFleet(20);
    let created = 0;
    fake.fault({
      endpoint: 'list',
      page: 2,
      kind: 'mutate',
      times: Infinity,
      run: (self) => void self.addInstance({ createdAtMs: DAY_ONE + 10_000_000 + (created += 1) }),
    });
    const listing = await clientFor(fake, {
      pageSize: 5,
      firstPageNum: 1,
      maxConcurrency: 1,
      listing: { maxWalks: 3, restartDelayMs: 1 },
    }).listInstances();
    expect(listing).toMatchObject({ complete: false, walks: 3 });
    expect(listing.reason).toMatch(/^the listing shifted during each of 3 walks; .*an instance of page 2 was already on page 1/);
    // Only the instance created during the last walk's page 2 (it landed on page 1, already read) is missing.
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances().slice(1)));
  });

  it('ignores a failure of a page requested past an end already found', async () => {
    const fake = await noTotalFleet(7);
    fake.fault({ endpoint: 'list', page: 4, kind: 'error', status: 503, times: Infinity });
    const listing = await clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 4 }).listInstances();
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });

  const rejections = [
    { name: 'a page that keeps failing', fault: { kind: 'error', status: 503 } as const, code: 'NOVITA_INCOMPLETE_LISTING' },
    { name: 'a gateway HTML 502', fault: { kind: 'html' } as const, code: 'NOVITA_INCOMPLETE_LISTING' },
    { name: 'a refused key', fault: { kind: 'error', status: 403, reason: 'INVALID_API_KEY' } as const, code: 'NOVITA_AUTH' },
    { name: 'a malformed page', fault: { kind: 'malformed-json' } as const, code: 'NOVITA_INCOMPLETE_LISTING' },
    {
      name: 'a rate limit that outlasts its retries',
      fault: { kind: 'rate-limit', retryAfter: 0 } as const,
      code: 'NOVITA_INCOMPLETE_LISTING',
    },
  ];
  for (const { name, fault, code } of rejections) {
    it(`${name} on page 3 still rejects (${code}): it proves nothing either way`, async () => {
      const fake = await noTotalFleet(22);
      fake.fault({ endpoint: 'list', page: 3, times: Infinity, ...fault });
      const error = await rejectionOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances());
      expect(error.code).toBe(code);
    });
  }

  it('the page after an exactly full last one failing rejects: the end was never seen', async () => {
    const fake = await noTotalFleet(10);
    fake.fault({ endpoint: 'list', page: 3, kind: 'error', status: 503, times: Infinity });
    const error = await rejectionOf(clientFor(fake, { pageSize: 5, firstPageNum: 1, maxConcurrency: 1 }).listInstances());
    expect(error.code).toBe('NOVITA_INCOMPLETE_LISTING');
    expect(error.message).toContain('could not be read to find the end');
  });
});
