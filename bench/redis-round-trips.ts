/**
 * Round trips of the Redis store, measured on a throwaway redis-server with INFO commandstats.
 *
 *   npx tsx bench/redis-round-trips.ts
 *
 * For N records it measures one full read (`readBatches`, as a reconcile run reads) and one batch of
 * writes to a tenth of them (`writeBatch`, as a run that updates 10% writes). "Sent" counts the
 * commands the client sent (each one round trip, since the store awaits them in turn); "in scripts"
 * counts the GET/SET/SADD... the Lua scripts ran inside Redis, which cost no round trip.
 *
 * `measure(redis, () => work())` is the piece to reuse: pass it any async work on a store (for
 * example `() => reconciler.sync()`) to count the commands of a whole reconcile run.
 */
import { Redis } from 'ioredis';
import type { ConditionalWrite, StoreEntry } from '../src/core/ports/store.js';
import { createReconciler } from '../src/core/reconciler.js';
import type { NovitaInstance } from '../src/core/ports/novita-client.js';
import { createRedisLock, createRedisStore, type RedisStore } from '../src/redis/index.js';
import { createScriptedNovitaClient } from '../src/testing/scripted-novita-client.js';
import { spawnRedis } from '../test/setup/spawn-redis.js';

/**
 * Commands the store sends itself. Its scripts' GET/SET/SADD/SREM/DEL/XADD are counted by
 * commandstats as well, but run inside Redis: the store never sends those at top level.
 */
const SENT_COMMANDS = new Set(['eval', 'evalsha', 'sscan', 'scan', 'scard', 'xrevrange']);

/** What one measured piece of work cost. */
export interface Measurement {
  /** Commands the client sent (round trips, as the store awaits each in turn). */
  sent: number;
  /** Commands Lua scripts ran inside Redis. */
  inScripts: number;
  /** Calls per command name, as INFO commandstats reports them. */
  byCommand: Record<string, number>;
  /** Wall time in milliseconds. */
  ms: number;
}

/**
 * Runs `work` and counts the commands Redis executed for it (INFO commandstats, reset first). Only
 * meaningful on a server nothing else uses meanwhile.
 */
export async function measure(admin: Redis, work: () => Promise<unknown>): Promise<Measurement> {
  await admin.config('RESETSTAT');
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const info = await admin.info('commandstats');
  const byCommand: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) byCommand[match[1] as string] = Number(match[2]);
  delete byCommand.info;
  delete byCommand['config|resetstat'];
  const sent = Object.entries(byCommand)
    .filter(([name]) => SENT_COMMANDS.has(name))
    .reduce((sum, [, n]) => sum + n, 0);
  const total = Object.values(byCommand).reduce((sum, n) => sum + n, 0);
  return { sent, inScripts: total - sent, byCommand, ms };
}

/** Reads every record, as a reconcile run does. */
export async function readEverything(store: RedisStore, batchSize?: number): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  for await (const batch of store.readBatches(batchSize === undefined ? {} : { batchSize })) entries.push(...batch);
  return entries;
}

async function seed(store: RedisStore, count: number): Promise<void> {
  const writes: ConditionalWrite[] = [];
  for (let i = 0; i < count; i += 1) {
    writes.push({
      op: 'put',
      id: `rec-${i}`,
      record: {
        id: `rec-${i}`,
        novitaInstanceId: `nv-${i}`,
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created: '2026-01-01T00:00:00.000Z' },
        owner: `user-${i % 97}`,
        gpu: { product: 'RTX 4090 24GB', cluster: 'us-ca-6' },
      },
      expectedVersion: null,
    });
  }
  for (let start = 0; start < writes.length; start += 1000) await store.writeBatch(writes.slice(start, start + 1000));
}

async function main(): Promise<void> {
  const server = await spawnRedis();
  const admin = new Redis(server.url);
  const redis = new Redis(server.url);
  const rows: string[][] = [['records', 'work', 'sent (round trips)', 'in scripts', 'ms', 'by command']];
  try {
    for (const count of [1_000, 10_000]) {
      const store = createRedisStore({ redis, prefix: `bench-${count}` });
      await seed(store, count);
      let entries: StoreEntry[] = [];
      const read = await measure(admin, async () => {
        entries = await readEverything(store);
      });
      const writes: ConditionalWrite[] = entries.slice(0, count / 10).map((entry) => ({
        op: 'put',
        id: entry.id,
        record: { ...entry.record!, status: 'stopped', novitaStatus: 'exited' },
        expectedVersion: entry.version,
      }));
      const write = await measure(admin, () => store.writeBatch(writes));
      const fmt = (m: Measurement) =>
        Object.entries(m.byCommand)
          .map(([name, n]) => `${name}=${n}`)
          .join(' ');
      rows.push([String(count), `read all (batch 500)`, String(read.sent), String(read.inScripts), read.ms.toFixed(0), fmt(read)]);
      rows.push([
        String(count),
        `write ${writes.length} (chunk 100)`,
        String(write.sent),
        String(write.inScripts),
        write.ms.toFixed(0),
        fmt(write),
      ]);
      rows.push([
        String(count),
        'one run: read all + write 10%',
        String(read.sent + write.sent),
        String(read.inScripts + write.inScripts),
        (read.ms + write.ms).toFixed(0),
        '',
      ]);

      // A whole reconcile run through the reconciler, with the lock and the audit trail on: 10% of the
      // instances stopped, 2% vanished (marked terminated after confirmation), the rest unchanged.
      const runStore = createRedisStore({ redis, prefix: `bench-run-${count}`, audit: true });
      await seed(runStore, count);
      const fleet: NovitaInstance[] = [];
      for (let i = 0; i < count; i += 1) {
        if (i % 50 === 1) continue;
        fleet.push({ id: `nv-${i}`, status: i % 10 === 0 ? 'exited' : 'running' });
      }
      const reconciler = createReconciler({
        store: runStore,
        lock: createRedisLock({ store: runStore, ttlMs: 30_000 }),
        novitaClient: createScriptedNovitaClient({ instances: fleet }),
        policy: { safetyMinRecords: 1_000_000 },
      });
      let actions = 0;
      const run = await measure(admin, async () => {
        actions = (await reconciler.sync()).actions.length;
      });
      rows.push([
        String(count),
        `reconciler.sync() (${actions} writes, lock + audit)`,
        String(run.sent + 1 /* the lock's SET NX, sent at top level */),
        String(run.inScripts),
        run.ms.toFixed(0),
        fmt(run),
      ]);
      const rerun = await measure(admin, () => reconciler.sync());
      rows.push([
        String(count),
        'reconciler.sync() again (0 writes)',
        String(rerun.sent + 1),
        String(rerun.inScripts),
        rerun.ms.toFixed(0),
        fmt(rerun),
      ]);
    }
  } finally {
    admin.disconnect();
    redis.disconnect();
    await server.stop();
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
}

await main();
