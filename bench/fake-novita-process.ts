/**
 * Helper process: the fake Novita (`startFakeNovita` from `novita-reconciler/testing`, default options:
 * pages of at most 100, pages counted from 1, not-found as 400 `RESOURCE_NOT_FOUND`) seeded with the
 * bench fleet, with the same latency added to every request through the fake's own `latency` fault.
 */
import { startFakeNovita, type FakeRequest } from '../src/testing/index.js';
import { serveParent } from './child-rpc.js';
import { fleetInstances } from './fleet.js';

/** Requests the fake received since the last reset or `takeTraffic`. */
export interface NovitaTraffic {
  /** Listing page requests. */
  list: number;
  /** `getInstance` requests. */
  get: number;
  /** Any other request (none is expected). */
  other: number;
  /** Answers per HTTP status, for example `{ "200": 95, "400": 400 }`. */
  byStatus: Record<string, number>;
  /** The most requests in flight at once. */
  maxInFlight: number;
}

const fake = await startFakeNovita();

function summarise(requests: readonly FakeRequest[]): NovitaTraffic {
  const traffic: NovitaTraffic = { list: 0, get: 0, other: 0, byStatus: {}, maxInFlight: fake.concurrency.maxInFlight };
  for (const request of requests) {
    if (request.endpoint === 'list') traffic.list += 1;
    else if (request.endpoint === 'get') traffic.get += 1;
    else traffic.other += 1;
    const status = String(request.status ?? 'none');
    traffic.byStatus[status] = (traffic.byStatus[status] ?? 0) + 1;
  }
  return traffic;
}

const handlers = {
  info: () => ({ url: fake.url, apiKey: fake.apiKey }),
  /** Reseeds the fleet of `size` entries created relative to `now`, and clears the request log. */
  reset(size: number, now: number) {
    fake.clearInstances();
    for (const seed of fleetInstances(size, now)) fake.addInstance(seed);
    fake.clearRequests();
  },
  /** Every request from now on waits `ms` before it is answered. */
  setLatency(ms: number) {
    fake.clearFaults();
    if (ms > 0) fake.fault({ endpoint: 'any', kind: 'latency', ms, times: Infinity });
  },
  /** The traffic since the last call (or reset), and a fresh log. */
  takeTraffic(): NovitaTraffic {
    const traffic = summarise(fake.requests);
    fake.clearRequests();
    return traffic;
  },
  close: () => fake.close(),
};
export type FakeNovitaHandlers = typeof handlers;

serveParent(handlers);
