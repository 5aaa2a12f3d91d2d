/** Reads and writes are batched: commands grow with records / batch size, never with records. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionalWrite } from '../../src/core/ports/store.js';
import { createRedisStore } from '../../src/redis/index.js';
import { spawnRedis, type RedisProcess } from '../setup/spawn-redis.js';
import { commandCalls, connectRedis, STORE_CLIENT_COMMANDS, readAllEntries, sampleRecord } from '../support/redis-test-kit.js';
import type { Redis } from 'ioredis';

let server: RedisProcess;
let redis: Redis;
// A private server: INFO commandstats counts every client's commands.
beforeAll(async () => {
  server = await spawnRedis();
  redis = connectRedis(server.url);
});
afterAll(async () => {
  await redis.quit();
  await server.stop();
});

/** Commands the store sent since the last reset, and the commands its scripts ran inside Redis. */
async function storeCommands(): Promise<{ total: number; byCommand: Map<string, number> }> {
  const calls = await commandCalls(redis);
  const sent = new Map([...calls].filter(([name]) => (STORE_CLIENT_COMMANDS as readonly string[]).includes(name)));
  return { total: [...sent.values()].reduce((sum, n) => sum + n, 0), byCommand: calls };
}

describe('Redis store: round trips', () => {
  it('reading 1 000 records in batches of 100 takes about 2 commands per batch, and writing 300 takes 3 script calls', async () => {
    const store = createRedisStore({ redis, prefix: 'round-trips', writeChunkSize: 100 });
    const seedWrites: ConditionalWrite[] = Array.from({ length: 1000 }, (_, i) => ({
      op: 'put',
      id: `r${i}`,
      record: sampleRecord(`r${i}`),
      expectedVersion: null,
    }));
    await store.writeBatch(seedWrites);

    await redis.config('RESETSTAT');
    const entries = await readAllEntries(store, 100);
    const reads = await storeCommands();
    expect(entries).toHaveLength(1000);
    // SSCAN pages (about 10, plus the final empty cursor) and one read script per batch of 100.
    expect(reads.total).toBeLessThanOrEqual(2 * 10 + 4);
    // One GET per record ran inside the read scripts, without a round trip each.
    expect(reads.byCommand.get('get')).toBe(1000);

    await redis.config('RESETSTAT');
    const results = await store.writeBatch(
      entries
        .slice(0, 300)
        .map((entry) => ({ op: 'put', id: entry.id, record: { ...entry.record!, status: 'stopped' }, expectedVersion: entry.version })),
    );
    const writes = await storeCommands();
    expect(results.every((result) => result.outcome === 'ok')).toBe(true);
    expect(writes.total).toBe(3);
  });
});
