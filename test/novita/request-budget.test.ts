/**
 * The request budget (issue 9): a token bucket caps everything the client sends, so a reconcile run
 * sharing one API key with the app never sends more than the budget allows. Over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { clientFor, fakeNovita } from '../support/novita-test-kit.js';

describe('request budget', () => {
  it('a listing of 10 pages at 20 requests per second, burst 1, is spread over at least 450 ms at the fake', async () => {
    const fake = await fakeNovita({ defaultPageSize: 10, maxPageSize: 10 });
    fake.addInstances(100);
    const client = clientFor(fake, {
      pageSize: 10,
      firstPageNum: 1,
      maxConcurrency: 8,
      requestBudget: { requestsPerSecond: 20, burst: 1 },
    });
    const listing = await client.listInstances();
    expect(listing.total).toBe(100);
    const times = fake.requests.map((request) => request.at).sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(10);
    // Each request after the first waited for its token: at most one every 50 ms.
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual((times.length - 1) * 50 - 20);
    for (let i = 1; i < times.length; i += 1) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(30);
  });

  it('refuses a budget without requestsPerSecond or with an unknown key, naming the field', () => {
    expect(() => clientFor({ apiKey: 'sk_x', url: 'http://127.0.0.1:1' } as never, { requestBudget: {} as never })).toThrow(
      /requestBudget.requestsPerSecond/,
    );
    expect(() =>
      clientFor({ apiKey: 'sk_x', url: 'http://127.0.0.1:1' } as never, { requestBudget: { requestsPerSecond: 2, brust: 3 } as never }),
    ).toThrow(/requestBudget.brust.*did you mean "burst"/);
  });
});
