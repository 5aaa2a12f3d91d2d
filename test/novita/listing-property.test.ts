import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FakeFault, FakeFleetControl } from '../../src/testing/fake-novita/index.js';
import { clientFor, fakeNovita, idsOf } from '../support/novita-test-kit.js';

const faultArbitrary: fc.Arbitrary<FakeFault> = fc
  .record({
    page: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    times: fc.oneof(fc.constant(1), fc.constant(2), fc.constant(Infinity)),
    effect: fc.oneof(
      fc.record({ kind: fc.constant('error' as const), status: fc.constantFrom(500, 502, 503, 400, 404) }),
      fc.record({ kind: fc.constant('rate-limit' as const) }),
      fc.record({ kind: fc.constant('drop' as const) }),
      fc.record({ kind: fc.constant('malformed-json' as const) }),
      fc.record({ kind: fc.constant('omit-item' as const), index: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('total' as const), total: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ kind: fc.constant('repeat-page' as const), servePage: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant('latency' as const), ms: fc.integer({ min: 0, max: 5 }) }),
    ),
  })
  .map(({ page, times, effect }) => ({ endpoint: 'list', ...(page === undefined ? {} : { page }), times, ...effect }) as FakeFault);

// Instances created or deleted while the pages are read, all in one direction per run: a delete and a
// create inside one page read can move an instance past the reader with every check passing (the
// documented residual risk of offset paging, which the reconciler's confirmations cover).
type Churn = { direction: 'create' | 'delete'; page: number | undefined; times: number; seed: number };
const churnArbitrary: fc.Arbitrary<Churn | undefined> = fc.option(
  fc.record({
    direction: fc.constantFrom('create' as const, 'delete' as const),
    page: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    times: fc.oneof(fc.constant(1), fc.constant(2), fc.constant(Infinity)),
    seed: fc.nat(),
  }),
  { nil: undefined },
);

function churnFault(churn: Churn, everExisted: Set<string>): FakeFault {
  let step = churn.seed;
  const run = (fake: FakeFleetControl): void => {
    step += 1;
    if (churn.direction === 'create') {
      everExisted.add(fake.addInstance({ createdAtMs: Date.UTC(2030, 0, 1) + step }).id);
      return;
    }
    const all = fake.listInstances();
    const victim = all[step % Math.max(1, all.length)];
    if (victim) fake.removeInstance(victim.id);
  };
  return { endpoint: 'list', ...(churn.page === undefined ? {} : { page: churn.page }), times: churn.times, kind: 'mutate', run };
}

describe('listInstances under arbitrary faults', () => {
  it('resolves exactly the true fleet as complete, or an unproven listing of instances that existed, or rejects: never a partial listing passed off as complete', async () => {
    let unproven = 0;
    let resolved = 0;
    let rejected = 0;
    let restarted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(0 as const, 1 as const),
        fc.constantFrom('first-page' as const, 'empty' as const, 'error' as const),
        fc.array(faultArbitrary, { maxLength: 4 }),
        churnArbitrary,
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (fleetSize, pageSize, maxPageSize, firstPageNum, belowFirstPage, faults, churn, maxWalks, listingTotal) => {
          const fake = await fakeNovita({ firstPageNum, belowFirstPage, maxPageSize, listingTotal });
          const everExisted = new Set(idsOf(fake.addInstances(fleetSize)));
          for (const fault of faults) fake.fault(fault);
          if (churn) fake.fault(churnFault(churn, everExisted));
          const client = clientFor(fake, {
            pageSize,
            maxConcurrency: 3,
            retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 },
            listing: { maxWalks, restartDelayMs: 0 },
          });
          try {
            const outcome = await client.listInstances().then(
              (listing) => ({ listing }),
              (error: unknown) => ({ error: error as { code?: string } }),
            );
            // The truth is the fleet once the listing settled: churn only happens while pages are read.
            const truth = idsOf(fake.listInstances());
            if ('listing' in outcome && !outcome.listing.complete) {
              // Unproven: what was read, one per id, nothing invented; the reconciler proves each absence itself.
              const ids = idsOf(outcome.listing.instances);
              expect(new Set(ids).size).toBe(ids.length);
              for (const id of ids) expect(everExisted.has(id)).toBe(true);
              expect(outcome.listing.reason).toEqual(expect.any(String));
              expect(outcome.listing.walks).toBeLessThanOrEqual(maxWalks);
              unproven += 1;
            } else if ('listing' in outcome) {
              // Only a listing with a total can be proven complete.
              expect(listingTotal).toBe(true);
              expect(outcome.listing.reason).toBeUndefined();
              expect(idsOf(outcome.listing.instances)).toEqual(truth);
              expect(outcome.listing.total).toBe(truth.length);
              expect(outcome.listing.walks).toBeGreaterThanOrEqual(1);
              expect(outcome.listing.walks).toBeLessThanOrEqual(maxWalks);
              if (outcome.listing.walks > 1) restarted += 1;
              resolved += 1;
            } else {
              expect(outcome.error.code).toMatch(/^NOVITA_(API|INCOMPLETE_LISTING|INVALID_RESPONSE)$/);
              rejected += 1;
            }
          } finally {
            await fake.close();
          }
        },
      ),
      { numRuns: Number(process.env.NOVITA_PROPERTY_RUNS ?? 120) },
    );
    // Every outcome must occur, or the property says nothing.
    expect(resolved).toBeGreaterThan(0);
    expect(unproven).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    expect(restarted).toBeGreaterThan(0);
  }, 120_000);
});
