/**
 * Helper process: every measurement of one fleet size, in one process (started with `--expose-gc`),
 * so the sizes never share a heap and each one's RSS growth starts from a clean process.
 *
 * Per run the fleet is reseeded (Redis and the fake), so every run starts from the same state.
 */
import { Redis } from 'ioredis';
import { createMemoryStore, createReconciler, type InstanceRecord, type NovitaInstance } from '../src/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { createScriptedNovitaClient } from '../src/testing/index.js';
import { naiveLoop, sequentialFloor, type BaselineResult } from './baselines.js';
import { serveParent, startHelper } from './child-rpc.js';
import type { FakeNovitaHandlers } from './fake-novita-process.js';
import { fleetInstances, fleetRecords, fleetShape, type FleetShape, type FleetVariant } from './fleet.js';
import type { LatencyProxyHandlers } from './latency-proxy-process.js';
import { measureProcess } from './process-sampler.js';
import { clearStoreKeys, pingRoundTripMs, seedRecords } from './redis-fixture.js';
import { median, samples, type Samples } from './stats.js';
import { measureSync, type Rig, type SyncMeasurement } from './sync-measurement.js';

/** What to measure for one size. */
export interface SizePlan {
  size: number;
  /** The fleets to measure `sync()` on; the first one also gets the CPU runs, the naive loop and the core-only run. */
  fleets: FleetVariant[];
  runs: number;
  redisUrl: string;
  novitaLatencyMs: number;
  redisDelayMs: number;
  /** Extra `maxConcurrency` values to measure (the default is always measured). */
  concurrencies: number[];
  /** Measure the naive loop (one run). */
  naive: boolean;
}

/** `sync()` on one fleet at one concurrency: medians of the runs. */
export interface SyncSummary {
  fleet: FleetVariant;
  maxConcurrency: number;
  wallMs: Samples;
  /** Novita requests per run (listing pages and `getInstance`). */
  novitaRequests: Samples;
  listRequests: Samples;
  getRequests: Samples;
  novitaMaxInFlight: number;
  /** Request bursts at the Redis proxy per run. */
  redisRoundTrips: Samples;
  /** Redis commands sent per run (`null` when the proxy could not parse them). */
  redisCommands: Samples | null;
  /** Records written (the report's applied actions). */
  recordWrites: Samples;
  /** Redis's count of key changes (a removal changes two keys: the record and the index). */
  keyChanges: Samples;
  rssGrowthMB: Samples;
  /** The concurrent floor at this concurrency, ms. */
  concurrentFloorMs: number;
  /** The sequential floor on this fleet (the same for every concurrency), ms. */
  sequentialFloorMs: Samples;
  second: { wallMs: Samples; keyChanges: Samples; actions: Samples; redisRoundTrips: Samples; novitaRequests: Samples };
}

/** Everything measured for one size. */
export interface SizeResult {
  /** The shape of the first fleet (the others differ only in the writes they need). */
  shape: FleetShape;
  runs: number;
  calibration: { redisRoundTripMs: number; redisDirectRoundTripMs: number; novitaRequestMs: number };
  /** Per fleet, default options first, then each extra concurrency. */
  syncs: SyncSummary[];
  /** The zero-latency runs on the first fleet: no proxy, no Novita latency. */
  cpu: { wallMs: Samples; cpuMs: Samples; cpuMsPer1kRecords: Samples; rssGrowthMB: Samples };
  naive: { wallMs: number; result: BaselineResult } | null;
  /** `sync()` on the memory store with the in-process scripted client: the library's core alone. */
  core: { wallMs: Samples; cpuMs: Samples };
  /** Novita requests a run needs: the listing pages and the confirmations that cannot be skipped. */
  necessaryNovitaRequests: number;
  anomalies: string[];
}

const MB = 1024 * 1024;

async function measureSize(plan: SizePlan): Promise<SizeResult> {
  const shape = fleetShape(plan.size, plan.fleets[0]);
  const log = (message: string): void => console.error(`  [${plan.size}] ${message}`);
  const redisUrl = new URL(plan.redisUrl);
  const fake = await startHelper<FakeNovitaHandlers>('./fake-novita-process.ts');
  const proxy = await startHelper<LatencyProxyHandlers>('./latency-proxy-process.ts');
  const admin = new Redis(plan.redisUrl);
  const direct = new Redis(plan.redisUrl);
  const proxiedUrl = new URL(plan.redisUrl);
  proxiedUrl.hostname = '127.0.0.1';
  proxiedUrl.port = String(await proxy.call('start', redisUrl.hostname, Number(redisUrl.port || 6379), plan.redisDelayMs));
  const proxied = new Redis(proxiedUrl.href);
  const prefix = `novita-bench-${process.pid}`;
  const proxiedStore = createRedisStore({ redis: proxied, prefix });
  const directStore = createRedisStore({ redis: direct, prefix });
  try {
    const { url: novitaUrl, apiKey } = await fake.call('info');
    const rig: Rig = { fake, proxy, novitaUrl, apiKey, admin, proxiedStore, directStore, shape };
    const anomalies: string[] = [];
    let now = Date.now();
    const reseed = async (fleet: FleetVariant): Promise<void> => {
      now = Date.now();
      rig.shape = fleetShape(plan.size, fleet);
      await fake.call('reset', plan.size, now);
      await seedRecords(admin, proxiedStore.keys, plan.size, now, fleet);
    };

    // Instruments first: the proxy must count a pipeline as one round trip and each of its commands.
    await proxied.ping();
    await proxy.call('takeTraffic');
    await proxied.pipeline().ping().ping().ping().exec();
    const probe = await proxy.call('takeTraffic');
    if (probe.roundTrips !== 1 || probe.commands !== 3)
      throw new Error(`the latency proxy miscounts: a pipeline of 3 PINGs gave ${JSON.stringify(probe)}`);
    await fake.call('setLatency', plan.novitaLatencyMs);
    const novitaTimes: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const requestStarted = performance.now();
      await fetch(`${novitaUrl}/gpu/instance?instanceId=calibration`, { headers: { authorization: `Bearer ${apiKey}` } }).then((response) =>
        response.arrayBuffer(),
      );
      // The first request pays for loading fetch and opening the connection.
      if (i > 0) novitaTimes.push(performance.now() - requestStarted);
    }
    const calibration = {
      redisRoundTripMs: Number((await pingRoundTripMs(proxied)).toFixed(2)),
      redisDirectRoundTripMs: Number((await pingRoundTripMs(direct)).toFixed(3)),
      novitaRequestMs: Number(median(novitaTimes).toFixed(1)),
    };
    log(
      `Redis round trip through the proxy ${calibration.redisRoundTripMs} ms (direct ${calibration.redisDirectRoundTripMs} ms), one Novita request ${calibration.novitaRequestMs} ms`,
    );

    const syncs: SyncSummary[] = [];
    for (const fleet of plan.fleets) {
      const measuredByConcurrency: Array<[number, SyncMeasurement[]]> = [];
      for (const maxConcurrency of [4, ...plan.concurrencies]) {
        const measured: SyncMeasurement[] = [];
        for (let run = 1; run <= plan.runs; run += 1) {
          await reseed(fleet);
          const measurement = await measureSync(rig, { via: 'proxy', ...(maxConcurrency === 4 ? {} : { maxConcurrency }) });
          measured.push(measurement);
          anomalies.push(
            ...measurement.anomalies.map((anomaly) => `${fleet} fleet, maxConcurrency ${maxConcurrency}, run ${run}: ${anomaly}`),
          );
          log(
            `${fleet} fleet, sync (maxConcurrency ${maxConcurrency}) run ${run}/${plan.runs}: ${(measurement.first.cost.wallMs / 1000).toFixed(2)} s, second run ${(measurement.second.cost.wallMs / 1000).toFixed(2)} s`,
          );
        }
        measuredByConcurrency.push([maxConcurrency, measured]);
      }
      // Floors vary by a few percent between runs: half as many runs as the syncs get.
      const floorRuns: number[] = [];
      for (let run = 1; run <= Math.ceil(plan.runs / 2); run += 1) {
        await reseed(fleet);
        const started = performance.now();
        const result = await sequentialFloor({ novitaUrl, apiKey, redis: proxied, keys: proxiedStore.keys, now });
        floorRuns.push(performance.now() - started);
        const traffic = await fake.call('takeTraffic');
        if (result.pages !== shape.pages || traffic.list !== shape.pages)
          anomalies.push(`${fleet} fleet: sequential floor read ${result.pages} pages (${traffic.list} requests), expected ${shape.pages}`);
      }
      log(`${fleet} fleet, sequential floor: ${floorRuns.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);
      for (const [maxConcurrency, measured] of measuredByConcurrency) {
        syncs.push(summarise(fleet, maxConcurrency, measured, plan.novitaLatencyMs, shape, samples(floorRuns, 0)));
      }
    }

    const main = plan.fleets[0] ?? 'steady';
    await fake.call('setLatency', 0);
    const cpuRuns: SyncMeasurement[] = [];
    for (let run = 1; run <= plan.runs; run += 1) {
      await reseed(main);
      const measurement = await measureSync(rig, { via: 'direct', second: false });
      cpuRuns.push(measurement);
      anomalies.push(...measurement.anomalies.map((anomaly) => `zero latency, run ${run}: ${anomaly}`));
    }
    log(`zero-latency runs: ${cpuRuns.map((m) => `${m.first.cost.cpuMs.toFixed(0)} ms CPU`).join(', ')}`);
    const cpu = {
      wallMs: samples(
        cpuRuns.map((m) => m.first.cost.wallMs),
        0,
      ),
      cpuMs: samples(
        cpuRuns.map((m) => m.first.cost.cpuMs),
        0,
      ),
      cpuMsPer1kRecords: samples(cpuRuns.map((m) => m.first.cost.cpuMs / (shape.records / 1000))),
      rssGrowthMB: samples(cpuRuns.map((m) => m.first.cost.rssGrowthBytes / MB)),
    };

    await fake.call('setLatency', plan.novitaLatencyMs);
    let naive: SizeResult['naive'] = null;
    if (plan.naive) {
      await reseed(main);
      const started = performance.now();
      const result = await naiveLoop({ novitaUrl, apiKey, redis: proxied, keys: proxiedStore.keys, now });
      naive = { wallMs: Math.round(performance.now() - started), result };
      if (result.confirmations !== shape.confirmationsNeeded)
        anomalies.push(`naive loop confirmed ${result.confirmations}, expected ${shape.confirmationsNeeded}`);
      log(`naive loop: ${(naive.wallMs / 1000).toFixed(2)} s`);
    }

    const core = await measureCore(plan.size, plan.runs, main);
    return {
      shape,
      runs: plan.runs,
      calibration,
      syncs,
      cpu,
      naive,
      core,
      necessaryNovitaRequests: shape.pages + shape.confirmationsNeeded,
      anomalies,
    };
  } finally {
    await fake.call('setLatency', 0).catch(() => {});
    await proxiedStore.close();
    await directStore.close();
    await clearStoreKeys(admin, proxiedStore.keys).catch(() => {});
    admin.disconnect();
    direct.disconnect();
    proxied.disconnect();
    await fake.stop();
    await proxy.stop();
  }
}

function summarise(
  fleet: FleetVariant,
  maxConcurrency: number,
  measured: SyncMeasurement[],
  latencyMs: number,
  shape: FleetShape,
  sequentialFloorMs: Samples,
): SyncSummary {
  const pick = (read: (m: SyncMeasurement) => number, digits = 1): Samples => samples(measured.map(read), digits);
  const commands = measured.map((m) => m.first.redis.commands);
  return {
    fleet,
    maxConcurrency,
    wallMs: pick((m) => m.first.cost.wallMs, 0),
    novitaRequests: pick((m) => m.first.novita.list + m.first.novita.get + m.first.novita.other, 0),
    listRequests: pick((m) => m.first.novita.list, 0),
    getRequests: pick((m) => m.first.novita.get, 0),
    novitaMaxInFlight: Math.max(...measured.map((m) => m.first.novita.maxInFlight)),
    redisRoundTrips: pick((m) => m.first.redis.roundTrips, 0),
    redisCommands: commands.every((n) => n !== null) ? samples(commands as number[], 0) : null,
    recordWrites: pick((m) => m.first.report.applied, 0),
    keyChanges: pick((m) => m.first.keyChanges, 0),
    rssGrowthMB: pick((m) => m.first.cost.rssGrowthBytes / MB),
    concurrentFloorMs: latencyMs * (Math.ceil(shape.pages / maxConcurrency) + Math.ceil(shape.confirmationsNeeded / maxConcurrency)),
    sequentialFloorMs,
    second: {
      wallMs: pick((m) => m.second.cost.wallMs, 0),
      keyChanges: pick((m) => m.second.keyChanges, 0),
      actions: pick((m) => m.second.report.actions, 0),
      redisRoundTrips: pick((m) => m.second.redis.roundTrips, 0),
      novitaRequests: pick((m) => m.second.novita.list + m.second.novita.get + m.second.novita.other, 0),
    },
  };
}

/** The library's own work with no I/O at all: memory store, scripted in-process Novita client. */
async function measureCore(size: number, runs: number, fleet: FleetVariant): Promise<SizeResult['core']> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const now = Date.now();
    const records: InstanceRecord[] = [...fleetRecords(size, now, fleet)];
    const instances: NovitaInstance[] = [...fleetInstances(size, now)].map((seed) => ({
      id: seed.id,
      status: seed.status,
      name: seed.name,
      createdAt: new Date(seed.createdAtMs).toISOString(),
      lastStartedAt: new Date(seed.lastStartedAtMs).toISOString(),
    }));
    const reconciler = createReconciler({ store: createMemoryStore({ records }), novitaClient: createScriptedNovitaClient({ instances }) });
    const { cost } = await measureProcess(() => reconciler.sync());
    wall.push(cost.wallMs);
    cpu.push(cost.cpuMs);
  }
  return { wallMs: samples(wall, 0), cpuMs: samples(cpu, 0) };
}

const handlers = { measure: measureSize };
export type MeasureSizeHandlers = typeof handlers;

serveParent(handlers);
