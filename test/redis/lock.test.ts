import { once } from 'node:events';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createReconciler } from '../../src/core/reconciler.js';
import type { LockLease } from '../../src/core/ports/lock.js';
import { isReconcilerError } from '../../src/errors.js';
import { createRedisLock, createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { createNovitaClient } from '../../src/novita/index.js';
import { startFakeNovita } from '../../src/testing/fake-novita/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { connectRedis, dropPrefix, sampleRecord, uniquePrefix, versionOf } from '../support/redis-test-kit.js';

const redis = connectRedis();
const prefixes: string[] = [];
const leases: LockLease[] = [];
const extraClients: ReturnType<typeof connectRedis>[] = [];

function freshStore(client = redis): RedisStore {
  const prefix = uniquePrefix('lock');
  prefixes.push(prefix);
  return createRedisStore({ redis: client, prefix });
}

async function take(lock: ReturnType<typeof createRedisLock>): Promise<LockLease> {
  const lease = await lock.acquire();
  if (lease === null) throw new Error('lock unexpectedly held');
  leases.push(lease);
  return lease;
}

/** Blocks the event loop, as a long GC pause or a frozen container would: no timer runs meanwhile. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy on purpose
  }
}

const isCode = (code: string) => (error: unknown) => isReconcilerError(error) && error.code === code;

afterEach(async () => {
  for (const lease of leases.splice(0)) await lease.release();
});
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await Promise.all([redis, ...extraClients].map((client) => client.quit()));
});

describe('Redis lock', () => {
  it('one owner at a time: a second acquire resolves null until the owner releases', async () => {
    const store = freshStore();
    const lock = createRedisLock({ store, ttlMs: 5_000 });
    const first = await take(lock);
    expect(first.token).toMatch(/^[0-9a-f]{32}$/);
    expect(first.fence).toEqual({ key: store.keys.lock, token: first.token });
    expect(await lock.acquire()).toBeNull();
    await first.release();
    const second = await take(lock);
    expect(second.token).not.toBe(first.token);
  });

  it('a held lease is renewed, so it outlives its TTL while its holder is alive', async () => {
    const store = freshStore();
    const lock = createRedisLock({ store, ttlMs: 300 });
    const lease = await take(lock);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(lease.lost.aborted).toBe(false);
    expect(await redis.get(store.keys.lock)).toBe(lease.token);
    expect(await lock.acquire()).toBeNull();
  });

  it('release deletes the key only for its owner; a lease taken over is reported lost and its release throws nothing', async () => {
    const store = freshStore();
    const lock = createRedisLock({ store, ttlMs: 600, renewIntervalMs: 50 });
    const lease = await take(lock);
    // Another owner holds the key now (as after an expiry and a takeover).
    await redis.set(store.keys.lock, 'someone-else', 'PX', 5_000);
    // The next renewal (every 50 ms) finds the key taken; a loaded machine may delay it, so wait for the
    // signal rather than a fixed time (bounded: the test fails if it never comes).
    if (!lease.lost.aborted) await Promise.race([once(lease.lost, 'abort'), new Promise((resolve) => setTimeout(resolve, 3_000))]);
    expect(lease.lost.aborted).toBe(true);
    expect(isReconcilerError(lease.lost.reason, 'LOCK_LOST')).toBe(true);
    await expect(lease.release()).resolves.toBeUndefined();
    expect(await redis.get(store.keys.lock)).toBe('someone-else');
  });

  it('a holder that stalls past its TTL cannot write after another took over, even before it notices the loss', async () => {
    const store = freshStore();
    const otherClient = connectRedis();
    extraClients.push(otherClient);
    const otherStore = createRedisStore({ redis: otherClient, prefix: store.keys.prefix });
    await store.put(sampleRecord('r1'));
    const lockA = createRedisLock({ store, ttlMs: 200 });
    const lockB = createRedisLock({ store: otherStore, ttlMs: 5_000 });
    const leaseA = await take(lockA);
    const version = await versionOf(store, 'r1');

    stall(400);
    const leaseB = await take(lockB);
    // A's renewal timer has had no chance to run while it stalled, so A may not know yet; the fence does.
    await expect(
      store.writeBatch(
        [{ op: 'put', id: 'r1', record: sampleRecord('r1', { status: 'terminated' }), expectedVersion: version, destructive: true }],
        {
          fence: leaseA.fence!,
        },
      ),
    ).rejects.toSatisfy(isCode('LOCK_LOST'));
    expect((await store.get('r1'))?.status).toBe('running');

    const [resultB] = await otherStore.writeBatch(
      [{ op: 'put', id: 'r1', record: sampleRecord('r1', { status: 'stopped' }), expectedVersion: version }],
      { fence: leaseB.fence! },
    );
    expect(resultB?.outcome).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(leaseA.lost.aborted).toBe(true);
  });

  it('a lock lost mid-batch stops the batch at the next script call: earlier chunks stay applied, later ones write nothing', async () => {
    const client = connectRedis();
    extraClients.push(client);
    const prefix = uniquePrefix('lock-midbatch');
    prefixes.push(prefix);
    const store = createRedisStore({ redis: client, prefix, writeChunkSize: 5 });
    await store.writeBatch(
      Array.from({ length: 15 }, (_, i) => ({ op: 'put' as const, id: `r${i}`, record: sampleRecord(`r${i}`), expectedVersion: null })),
    );
    const lease = await take(createRedisLock({ store, ttlMs: 5_000 }));
    const versions = await Promise.all(Array.from({ length: 15 }, (_, i) => versionOf(store, `r${i}`)));
    const applyWrites = client.novitaReconcilerApplyWrites.bind(client);
    let calls = 0;
    client.novitaReconcilerApplyWrites = (async (...args: Parameters<typeof applyWrites>) => {
      const reply = await applyWrites(...args);
      calls += 1;
      if (calls === 1) await redis.set(store.keys.lock, 'new-owner');
      return reply;
    }) as typeof applyWrites;
    await expect(
      store.writeBatch(
        versions.map((version, i) => ({ op: 'delete' as const, id: `r${i}`, expectedVersion: version })),
        { fence: lease.fence! },
      ),
    ).rejects.toSatisfy(isCode('LOCK_LOST'));
    expect(await store.count()).toBe(10);
    expect(await store.get('r0')).toBeNull();
    expect(await store.get('r5')).not.toBeNull();
  });

  it('a fence outside the store’s hash slot is refused with CONFIG_INVALID before anything is written', async () => {
    const store = freshStore();
    await store.put(sampleRecord('r1'));
    const lease = await take(createRedisLock({ redis, key: `elsewhere:${uniquePrefix('lock')}`, ttlMs: 5_000 }));
    await expect(
      store.writeBatch([{ op: 'delete', id: 'r1', expectedVersion: await versionOf(store, 'r1') }], { fence: lease.fence! }),
    ).rejects.toSatisfy(isCode('CONFIG_INVALID'));
    expect(await store.get('r1')).not.toBeNull();
  });

  it('a lock built from the store’s prefix guards the same key as one built from the store', async () => {
    const store = freshStore();
    const lease = await take(createRedisLock({ redis, prefix: store.keys.prefix }));
    expect(lease.fence?.key).toBe(store.keys.lock);
    expect(await createRedisLock({ store }).acquire()).toBeNull();
  });

  it('invalid options are refused with CONFIG_INVALID naming the option', () => {
    const store = freshStore();
    expect(() => createRedisLock({ store, ttlMs: 10 })).toThrow(/ttlMs/);
    expect(() => createRedisLock({ store, ttlMs: 1_000, renewIntervalMs: 1_000 })).toThrow(/renewIntervalMs/);
    expect(() => createRedisLock({ redis })).toThrow(/key/);
  });
});

describe('Redis lock with the reconciler', () => {
  const fleet = Array.from({ length: 10 }, (_, i) => ({ id: `nv-r${i}`, status: 'exited' }));

  async function seedRunning(store: RedisStore): Promise<void> {
    for (let i = 0; i < fleet.length; i += 1) await store.put(sampleRecord(`r${i}`));
  }

  it('5 reconcilers started at once against one Redis and one fake Novita apply exactly one run; the other 4 reject SYNC_IN_PROGRESS without calling Novita', async () => {
    const fake = await startFakeNovita();
    try {
      const instances = fake.addInstances(10, (i) => ({ id: `nv-r${i}`, status: 'exited' }));
      expect(instances).toHaveLength(10);
      const prefix = uniquePrefix('lock-five');
      prefixes.push(prefix);
      const replicas = Array.from({ length: 5 }, () => {
        const client = connectRedis();
        extraClients.push(client);
        const store = createRedisStore({ redis: client, prefix });
        const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url });
        return { client, store, reconciler: createReconciler({ store, novitaClient, lock: createRedisLock({ store, ttlMs: 5_000 }) }) };
      });
      // Every replica connected first, so their lock attempts reach Redis together.
      await Promise.all(replicas.map(({ client }) => client.ping()));
      await seedRunning(replicas[0]!.store);

      const outcomes = await Promise.allSettled(replicas.map(({ reconciler }) => reconciler.sync()));
      const listingRequestsOfTheRace = fake.requests.length;
      const applied = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(applied).toHaveLength(1);
      expect(refused).toHaveLength(4);
      for (const outcome of refused) expect(isReconcilerError(outcome.reason, 'SYNC_IN_PROGRESS')).toBe(true);
      expect(applied[0]?.status === 'fulfilled' && applied[0].value.updated).toBe(10);
      expect((await replicas[0]!.store.list()).every((record) => record.status === 'stopped')).toBe(true);

      // The winner released the lock: the next run proceeds and finds nothing to do, with as many
      // Novita requests as the whole race made, so the 4 refused replicas made none.
      const next = await replicas[3]!.reconciler.sync();
      expect(next.updated).toBe(0);
      expect(fake.requests.length - listingRequestsOfTheRace).toBe(listingRequestsOfTheRace);
    } finally {
      await fake.close();
    }
  });

  it('a reconciler whose holder stalls past its TTL cannot write after another reconciler took over', async () => {
    const prefix = uniquePrefix('lock-stall');
    prefixes.push(prefix);
    const clientA = connectRedis();
    const clientB = connectRedis();
    extraClients.push(clientA, clientB);
    const storeA = createRedisStore({ redis: clientA, prefix });
    const storeB = createRedisStore({ redis: clientB, prefix });
    await seedRunning(storeA);

    const novitaB = createScriptedNovitaClient({ instances: fleet.map((instance) => ({ ...instance, status: 'running' })) });
    const reconcilerB = createReconciler({ store: storeB, novitaClient: novitaB, lock: createRedisLock({ store: storeB, ttlMs: 5_000 }) });
    // A sees every instance exited; while A is frozen, the instances run again and B records that.
    const novitaA = createScriptedNovitaClient({ instances: fleet });
    let syncB: ReturnType<typeof reconcilerB.sync> | undefined;
    const stallingNovita = {
      ...novitaA,
      listInstances: async (options?: Parameters<typeof novitaA.listInstances>[0]) => {
        const listing = await novitaA.listInstances(options);
        stall(500);
        syncB = reconcilerB.sync();
        await syncB;
        return listing;
      },
      getInstance: novitaA.getInstance.bind(novitaA),
    };
    const reconcilerA = createReconciler({
      store: storeA,
      novitaClient: stallingNovita,
      lock: createRedisLock({ store: storeA, ttlMs: 200 }),
    });

    // A's lost lease settles A at once, even while its listing call is still busy with B's run.
    await expect(reconcilerA.sync()).rejects.toSatisfy(isCode('LOCK_LOST'));
    expect((await syncB)?.unchanged).toBe(10);
    expect((await storeA.list()).every((record) => record.status === 'running')).toBe(true);
  });
});

describe('Redis lock when Redis is unreachable', () => {
  it('a lock that cannot be taken rejects STORE_UNAVAILABLE naming the connection error, not only "max retries"', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 500, prefix: 'unreachable' });
    try {
      const error = await createRedisLock({ store })
        .acquire()
        .catch((caught: unknown) => caught);
      expect(isCode('STORE_UNAVAILABLE')(error)).toBe(true);
      expect((error as Error).message).toMatch(/lock acquire failed: .*ECONNREFUSED/);
    } finally {
      await store.close().catch(() => undefined);
    }
  });
});
