/**
 * Orphans ended on a real redis-server (issue 17, part B): the Redis store keeps the trail of every call
 * (an `intent` and an `outcome` entry in its audit stream, whatever its `audit` option) and when it
 * stopped each orphan, in one script; a `'delete'` run on another reconciler (a replica, a restart) sees
 * those stop times and deletes only what this library stopped long enough ago. Fake Novita over loopback.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createReconciler, type NovitaInstance } from '../../src/index.js';
import { createRedisStore } from '../../src/redis/index.js';
import { createFakeClock } from '../../src/testing/fake-novita/index.js';
import { clientFor, fakeNovita } from '../support/novita-test-kit.js';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

const MINUTE = 60_000;
const scope = { instance: (instance: NovitaInstance) => String(instance.name).startsWith('app-') };

describe('ending orphans on Redis', () => {
  it("stops the old orphans with an audited intent and outcome each, and a later 'delete' run on another reconciler deletes them", async () => {
    const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
    const fake = await fakeNovita({ clock: clock.now });
    const prefix = uniquePrefix('orphans');
    prefixes.push(prefix);
    const store = createRedisStore({ redis, prefix }); // no audit option: ending an instance is recorded anyway
    const created = new Date(clock.now() - 600 * MINUTE).toISOString();
    for (let i = 0; i < 6; i += 1) {
      const instance = fake.addInstance({ name: `app-recorded-${i}`, createdAtMs: clock.now() - 600 * MINUTE });
      await store.put({
        id: `job-${i}`,
        novitaInstanceId: instance.id,
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, novitaStatusSince: created },
      });
    }
    const young = fake.addInstance({ name: 'app-young', createdAtMs: clock.now() - 10 * MINUTE });
    const old = [180, 120].map((age) => fake.addInstance({ name: `app-${age}`, createdAtMs: clock.now() - age * MINUTE }).id);
    const reconcilerFor = (novitaOnly: 'stop' | 'delete') =>
      createReconciler({ store, novitaClient: clientFor(fake), clock: () => new Date(clock.now()), scope, policy: { novitaOnly } });

    const stopped = await reconcilerFor('stop').sync();
    expect(stopped.instanceActions.map((action) => [action.kind, action.novitaInstanceId, action.outcome])).toEqual(
      old.map((id) => ['stop', id, 'applied']),
    );
    const trail = (await store.readAuditTrail({ limit: 20 })).reverse();
    expect(
      trail.map((entry) => [entry.kind, entry.instance?.novitaInstanceId, entry.instance?.phase, entry.instance?.outcome ?? null]),
    ).toEqual(
      old.flatMap((id) => [
        ['instance-stop', id, 'intent', null],
        ['instance-stop', id, 'outcome', 'applied'],
      ]),
    );
    expect(trail.every((entry) => entry.runId === stopped.runId)).toBe(true);
    const stopTime = new Date(clock.now()).toISOString();
    expect(await store.readOrphanStops([...old, young.id])).toEqual(Object.fromEntries(old.map((id) => [id, stopTime])));
    expect(fake.getInstance(young.id)?.status).toBe('running');

    clock.advance(61 * MINUTE);
    const deleted = await reconcilerFor('delete').sync();
    expect(deleted.instanceActions.map((action) => [action.kind, action.novitaInstanceId, action.outcome])).toEqual([
      ['delete', old[0], 'applied'],
      ['delete', old[1], 'applied'],
      ['stop', young.id, 'applied'],
    ]);
    expect(await store.readOrphanStops(old), 'an applied delete forgets the stop time').toEqual({});
    expect(old.map((id) => fake.getInstance(id)?.status)).toEqual(
      ['toRemove', 'toRemove'].map(() => expect.stringMatching(/toRemove|removing|removed/)),
    );
  });
});
