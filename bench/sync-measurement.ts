/**
 * One measured `sync()` as a user runs it: the Redis store on an ioredis connection, the built-in
 * Novita client over HTTP to the fake, `createReconciler` with default options (only
 * `maxConcurrency` varied, on the client). A fresh client and reconciler per measurement, as a
 * process started by cron has; the Redis connection is already open, as an app's is.
 */
import type { Redis } from 'ioredis';
import { createReconciler, type SyncReport } from '../src/index.js';
import { createNovitaClient } from '../src/novita/index.js';
import type { RedisStore } from '../src/redis/index.js';
import type { Helper } from './child-rpc.js';
import type { FakeNovitaHandlers, NovitaTraffic } from './fake-novita-process.js';
import type { FleetShape } from './fleet.js';
import type { LatencyProxyHandlers } from './latency-proxy-process.js';
import type { ProxyTraffic } from './latency-proxy.js';
import { measureProcess, type ProcessCost } from './process-sampler.js';
import { keyChanges } from './redis-fixture.js';

/** The pieces every measurement of one size uses. */
export interface Rig {
  fake: Helper<FakeNovitaHandlers>;
  proxy: Helper<LatencyProxyHandlers>;
  novitaUrl: string;
  apiKey: string;
  /** A direct connection for seeding and `INFO`, never counted. */
  admin: Redis;
  /** The store on the connection through the latency proxy. */
  proxiedStore: RedisStore;
  /** The store on a direct connection (the zero-latency CPU runs). */
  directStore: RedisStore;
  shape: FleetShape;
}

/** The report's counts, without the per-action list. */
export interface ReportCounts {
  updated: number;
  markedTerminated: number;
  removed: number;
  unchanged: number;
  conflicts: number;
  unverified: number;
  skipped: number;
  novitaOnly: number;
  actions: number;
  /** Actions whose write was applied: the records written. */
  applied: number;
}

/** One run, seen from every side. */
export interface RunObservation {
  cost: ProcessCost;
  novita: NovitaTraffic;
  /** Counted at the proxy; zeros for a run on the direct connection. */
  redis: ProxyTraffic;
  /** Redis's own count of key changes during the run. */
  keyChanges: number;
  report: ReportCounts;
}

/** A first run on a freshly seeded fleet, and the second run right after it. */
export interface SyncMeasurement {
  first: RunObservation;
  second: RunObservation;
  /** What differs from what a correct run does to this fleet (empty when all is as expected). */
  anomalies: string[];
}

/** How to run the measured sync. */
export interface SyncSetup {
  /** Through the latency proxy, or straight to Redis. */
  via: 'proxy' | 'direct';
  /** The client's `maxConcurrency`; the client's default when omitted. */
  maxConcurrency?: number;
  /** Also run and observe the immediate second run. @default true */
  second?: boolean;
}

function counts(report: SyncReport): ReportCounts {
  const skipped = Object.values(report.skipped).reduce((sum, n) => sum + n, 0);
  return {
    updated: report.updated,
    markedTerminated: report.markedTerminated,
    removed: report.removed,
    unchanged: report.unchanged,
    conflicts: report.conflicts,
    unverified: report.unverified,
    skipped,
    novitaOnly: report.novitaOnly.length,
    actions: report.actions.length,
    applied: report.actions.filter((action) => action.outcome === 'applied').length,
  };
}

async function observe(rig: Rig, run: () => Promise<SyncReport>): Promise<RunObservation> {
  await rig.fake.call('takeTraffic');
  await rig.proxy.call('takeTraffic');
  const changesBefore = await keyChanges(rig.admin);
  const { value: report, cost } = await measureProcess(run);
  const [novita, redis, changesAfter] = await Promise.all([
    rig.fake.call('takeTraffic'),
    rig.proxy.call('takeTraffic'),
    keyChanges(rig.admin),
  ]);
  return { cost, novita, redis, keyChanges: changesAfter - changesBefore, report: counts(report) };
}

/** Runs `sync()` on the seeded fleet, then again. The caller reseeds before. */
export async function measureSync(rig: Rig, setup: SyncSetup): Promise<SyncMeasurement> {
  const novitaClient = createNovitaClient({
    apiKey: rig.apiKey,
    baseUrl: rig.novitaUrl,
    ...(setup.maxConcurrency === undefined ? {} : { maxConcurrency: setup.maxConcurrency }),
  });
  const reconciler = createReconciler({ store: setup.via === 'proxy' ? rig.proxiedStore : rig.directStore, novitaClient });
  const first = await observe(rig, () => reconciler.sync());
  const second = setup.second === false ? first : await observe(rig, () => reconciler.sync());

  const anomalies: string[] = [];
  const { expected } = rig.shape;
  const check = (what: string, got: number, want: number): void => {
    if (got !== want) anomalies.push(`${what}: ${got}, expected ${want}`);
  };
  check('first run updated', first.report.updated, expected.refreshed);
  check('first run marked terminated', first.report.markedTerminated, expected.markedTerminated);
  check('first run removed', first.report.removed, expected.removed);
  check('first run conflicts', first.report.conflicts, 0);
  check('first run unverified', first.report.unverified, 0);
  check('first run Novita-only', first.report.novitaOnly, rig.shape.byKind.novitaOnly);
  const errors = Object.entries(first.novita.byStatus).filter(([status]) => status !== '200' && status !== '400');
  if (errors.length > 0) anomalies.push(`first run: Novita answered ${errors.map(([status, n]) => `${n} x ${status}`).join(', ')}`);
  if (setup.second !== false) {
    check('second run actions', second.report.actions, 0);
    check('second run key changes', second.keyChanges, 0);
  }
  return { first, second, anomalies };
}
