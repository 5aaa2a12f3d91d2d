import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/redis/index.js';
import { connectRedis, dropPrefix, sampleRecord, uniquePrefix, versionOf } from '../support/redis-test-kit.js';

const prefix = uniquePrefix('concurrency');
const clients = Array.from({ length: 20 }, () => connectRedis());
// One store per connection: 20 replicas of a backend, each with its own socket to Redis.
const stores = clients.map((redis) => createRedisStore({ redis, prefix }));

afterAll(async () => {
  await dropPrefix(clients[0]!, prefix);
  await Promise.all(clients.map((redis) => redis.quit()));
});

describe('Redis store: concurrent replicas', () => {
  it('exactly one of 20 concurrent conditional writers on 20 connections wins, and the stored record is the winner’s', async () => {
    const first = stores[0]!;
    await first.put(sampleRecord('contested', { writer: -1 }));
    const version = await versionOf(first, 'contested');
    const results = await Promise.all(
      stores.map((store, writer) =>
        store.writeBatch([{ op: 'put', id: 'contested', record: sampleRecord('contested', { writer }), expectedVersion: version }]),
      ),
    );
    const winners = results.flatMap((batch, writer) => (batch[0]?.outcome === 'ok' ? [writer] : []));
    expect(winners).toHaveLength(1);
    expect(results.flat().filter((result) => result.outcome === 'conflict')).toHaveLength(19);
    expect((await first.get('contested'))?.writer).toBe(winners[0]);
  });

  it('exactly one of 20 concurrent writers wins when half delete and half update the same version', async () => {
    const first = stores[0]!;
    await first.put(sampleRecord('mixed'));
    const version = await versionOf(first, 'mixed');
    const results = await Promise.all(
      stores.map((store, writer) =>
        store.writeBatch([
          writer % 2 === 0
            ? { op: 'delete', id: 'mixed', expectedVersion: version }
            : { op: 'put', id: 'mixed', record: sampleRecord('mixed', { writer }), expectedVersion: version },
        ]),
      ),
    );
    const ok = results.flat().filter((result) => result.outcome === 'ok');
    expect(ok).toHaveLength(1);
    // The losers saw either the winner's update (conflict) or its delete (missing), never an ok.
    expect(results.flat().every((result) => result.outcome !== 'ok' || result === ok[0])).toBe(true);
    const stored = await first.get('mixed');
    const winner = results.findIndex((batch) => batch[0]?.outcome === 'ok');
    if (winner % 2 === 0) expect(stored).toBeNull();
    else expect(stored?.writer).toBe(winner);
  });

  it('a write another replica made between this replica’s read and commit is detected', async () => {
    const [mine, theirs] = [stores[1]!, stores[2]!];
    await mine.put(sampleRecord('between'));
    const version = await versionOf(mine, 'between');
    const theirVersion = await versionOf(theirs, 'between');
    const [their] = await theirs.writeBatch([
      { op: 'put', id: 'between', record: sampleRecord('between', { status: 'stopped' }), expectedVersion: theirVersion },
    ]);
    expect(their?.outcome).toBe('ok');
    const [result] = await mine.writeBatch([{ op: 'delete', id: 'between', expectedVersion: version }]);
    expect(result).toEqual({ id: 'between', outcome: 'conflict' });
    expect((await mine.get('between'))?.status).toBe('stopped');
  });
});
