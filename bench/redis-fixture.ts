/**
 * The bench's Redis side: where the store's keys are, how the fleet is put back before each measured
 * run, and how writes are counted (Redis's own count of key changes, `rdb_changes_since_last_save`,
 * read on a direct connection that the proxy never sees).
 */
import type { Redis } from 'ioredis';
import { fleetRecords, type FleetVariant } from './fleet.js';

/**
 * Where the store keeps records: pass the store's own `keys` (`createRedisStore(...).keys`), so the
 * bench follows any change of the layout.
 */
export interface StoreKeys {
  /** `{prefix}`: every key of the store starts with it. */
  readonly hashTag: string;
  record(id: string): string;
  readonly index: string;
}

/** Deletes every key of the store (and nothing else: a shared `REDIS_URL` server keeps its data). */
export async function clearStoreKeys(redis: Redis, keys: StoreKeys): Promise<void> {
  const pattern = `${keys.hashTag.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Clears the store and writes the fleet's records as the app would have them (JSON, plus the index). */
export async function seedRecords(
  redis: Redis,
  keys: StoreKeys,
  size: number,
  now: number,
  variant: FleetVariant = 'steady',
): Promise<number> {
  await clearStoreKeys(redis, keys);
  let pipeline = redis.pipeline();
  let queued = 0;
  let written = 0;
  for (const record of fleetRecords(size, now, variant)) {
    pipeline.set(keys.record(record.id), JSON.stringify(record)).sadd(keys.index, record.id);
    queued += 1;
    written += 1;
    if (queued === 1000) {
      await pipeline.exec();
      pipeline = redis.pipeline();
      queued = 0;
    }
  }
  if (queued > 0) await pipeline.exec();
  return written;
}

/**
 * Redis's count of key changes (every SET, DEL, SADD that added, ...). Only meaningful while nothing
 * else writes to the server, and `null` after a snapshot reset it (a `REDIS_URL` server with `save`).
 */
export async function keyChanges(admin: Redis): Promise<number> {
  const info = await admin.info('persistence');
  const match = /rdb_changes_since_last_save:(\d+)/.exec(info);
  if (!match) throw new Error('INFO persistence has no rdb_changes_since_last_save');
  return Number(match[1]);
}

/** Median round trip of `PING` on `redis`, in milliseconds. */
export async function pingRoundTripMs(redis: Redis, samples = 50): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const started = performance.now();
    await redis.ping();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}
