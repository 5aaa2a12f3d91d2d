import { randomBytes } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { inject } from 'vitest';
import type { InstanceRecord } from '../../src/core/record.js';
import type { StoreEntry } from '../../src/core/ports/store.js';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/redis/index.js';
import type { StoreContractHarness } from '../../src/testing/store-contract-types.js';

/** The shared test Redis; throws (never skips) when the global setup found none. */
export function requireRedisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(inject('redisUnavailable') || 'no Redis for the integration tests');
  return url;
}

/** A client that fails fast instead of queueing commands while Redis is down. */
export function connectRedis(url: string = requireRedisUrl()): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 50, 500) });
  redis.on('error', () => {});
  return redis;
}

/** A prefix no other test uses, so tests on the shared server never see each other's keys. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(6).toString('hex')}`;
}

/** Deletes every key of a prefix (the default layout puts them all under `{prefix}`). */
export async function dropPrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  const node = redis as Redis;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await node.unlink(...keys);
  } while (cursor !== '0');
}

/**
 * A Redis store on a fresh prefix with raw access, as the backend's other code would have it: a raw
 * write keeps the index in step (SET and SADD in one MULTI), as the docs tell such code to.
 */
export function redisStoreHarness(
  redis: Redis,
  options: Omit<RedisStoreOptions, 'redis' | 'prefix'> = {},
  prefix = uniquePrefix('store'),
): StoreContractHarness<RedisStore> {
  const store = createRedisStore({ ...options, redis, prefix });
  return {
    store,
    async writeRaw(id, text) {
      await redis.multi().set(store.keys.record(id), text).sadd(store.keys.index, id).exec();
    },
    async deleteRaw(id) {
      await redis.multi().del(store.keys.record(id)).srem(store.keys.index, id).exec();
    },
    async cleanup() {
      await dropPrefix(redis, prefix);
    },
  };
}

/** A valid record; `extra` is merged in. */
export function sampleRecord(id: string, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id,
    novitaInstanceId: `nv-${id}`,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: '2026-01-01T00:00:00.000Z' },
    ...extra,
  };
}

/** Every entry of a store, in one array. */
export async function readAllEntries(store: RedisStore, batchSize?: number): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  for await (const batch of store.readBatches(batchSize === undefined ? {} : { batchSize })) entries.push(...batch);
  return entries;
}

/** The version of one record as the reconciler would read it. */
export async function versionOf(store: RedisStore, id: string): Promise<string> {
  const entry = (await readAllEntries(store)).find((candidate) => candidate.id === id);
  if (entry === undefined) throw new Error(`record ${id} not found`);
  return entry.version;
}

/**
 * The commands the store sends itself (its scripts' inner GET/SET/SADD... are counted by
 * `INFO commandstats` too, but cost no round trip).
 */
export const STORE_CLIENT_COMMANDS = ['eval', 'evalsha', 'sscan', 'scan', 'scard', 'xrevrange'] as const;

/** Total calls of each command since the last `CONFIG RESETSTAT`, from `INFO commandstats`. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] as string, Number(match[2]));
  return calls;
}
