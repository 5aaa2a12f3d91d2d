/**
 * The portable scripts (chosen by itself for ioredis-mock) agree with the standard ones on a real
 * Redis: the same versions for the same text, so a store may switch flavour without a single
 * false conflict, and the same audit decisions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/core/record.js';
import { createRedisStore } from '../../src/redis/index.js';
import { connectRedis, dropPrefix, readAllEntries, sampleRecord, uniquePrefix } from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefix = uniquePrefix('portable');
afterAll(async () => {
  await dropPrefix(redis, prefix);
  await redis.quit();
});

describe('Redis store: portable and standard scripts on one Redis', () => {
  it('read the same versions, and a write at a version one read is applied by the other', async () => {
    const standard = createRedisStore({ redis, prefix, audit: true });
    const portable = createRedisStore({ redis, prefix, audit: true, scripts: 'portable' });
    const records: InstanceRecord[] = [
      sampleRecord('ascii'),
      sampleRecord('unicode', { labels: { city: 'Zürich 東京 🙂'.repeat(40) } } as Partial<InstanceRecord>),
      sampleRecord('nested', { meta: { status: 'terminated', list: [{ status: 'terminated' }] } } as Partial<InstanceRecord>),
    ];
    for (const record of records) await standard.put(record);
    const fromStandard = await readAllEntries(standard);
    const fromPortable = await readAllEntries(portable);
    const versions = (entries: typeof fromStandard) => Object.fromEntries(entries.map((entry) => [entry.id, entry.version]));
    expect(versions(fromPortable)).toEqual(versions(fromStandard));

    // A record whose nested fields say "terminated" is not terminated: terminating it is audited.
    const nested = fromPortable.find((entry) => entry.id === 'nested');
    const [result] = await portable.writeBatch([
      {
        op: 'put',
        id: 'nested',
        record: { ...(nested?.record as InstanceRecord), status: 'terminated' },
        expectedVersion: nested?.version ?? '',
        destructive: true,
      },
    ]);
    expect(result?.outcome).toBe('ok');
    expect((await standard.readAuditTrail()).map((entry) => [entry.kind, entry.recordId])).toEqual([['mark-terminated', 'nested']]);
    const [again] = await standard.writeBatch([
      {
        op: 'put',
        id: 'nested',
        record: { ...(nested?.record as InstanceRecord), status: 'terminated', terminationReason: 'x' } as InstanceRecord,
        expectedVersion: result?.version ?? '',
      },
    ]);
    expect(again?.outcome).toBe('ok');
    // Already terminated: no second entry, whichever flavour wrote it.
    expect(await standard.readAuditTrail()).toHaveLength(1);
  });
});
