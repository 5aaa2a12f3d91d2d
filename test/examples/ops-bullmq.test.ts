/**
 * examples/ops/bullmq: one queue serving two Novita accounts (two fake Novitas) on the test Redis. A
 * run for one account reads and writes only that account's records, under its own lock.
 */
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountReconcilers } from '../../examples/ops/bullmq/accounts.js';
import {
  createSyncWorker,
  scheduleAccountSyncs,
  schedulerId,
  SYNC_QUEUE,
  type SyncJobData,
  type SyncJobResult,
} from '../../examples/ops/bullmq/sync-queue.js';
import { createReconciler, type InstanceRecord } from '../../src/index.js';
import { createNovitaClient } from '../../src/novita/index.js';
import { createRedisLock, createRedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita } from '../../src/testing/index.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';

// The examples import the package by name; here that name means the source, as the root tsconfig's
// `paths` make it mean for tsc (Vite alone would resolve it to ./dist through the exports map).
vi.mock('novita-reconciler', () => import('../../src/index.js'));
vi.mock('novita-reconciler/novita', () => import('../../src/novita/index.js'));
vi.mock('novita-reconciler/redis', () => import('../../src/redis/index.js'));

const DAY = 86_400_000;
const HALF_HOUR = 30 * 60_000;

interface Account {
  id: string;
  fake: FakeNovita;
  prefix: string;
}

let redis: Redis;
let bull: Redis;
let accounts: Account[];
let bullPrefix: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  redis = connectRedis();
  bull = new Redis(requireRedisUrl(), { maxRetriesPerRequest: null });
  bullPrefix = uniquePrefix('bull');
  accounts = [];
  for (const id of ['a', 'b']) {
    const fake = await startFakeNovita({ apiKey: `sk_account_${id}` });
    accounts.push({ id, fake, prefix: uniquePrefix(`account-${id}`) });
  }
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const account of accounts) {
    await account.fake.close();
    await dropPrefix(redis, account.prefix);
  }
  for await (const keys of redis.scanStream({ match: `${bullPrefix}:*`, count: 500 }))
    if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
  await bull.quit();
  await redis.quit();
});

const account = (id: string): Account => accounts.find((candidate) => candidate.id === id) as Account;

/** Seeds an account: a running instance, an exited one, and a record whose instance is gone. Any run of it would write two records. */
async function seed({ id, fake, prefix }: Account): Promise<void> {
  const store = createRedisStore({ redis, prefix });
  const created = new Date(Date.now() - DAY).toISOString();
  const [running, exited] = fake.addInstances(2, () => ({ createdAtMs: Date.now() - DAY }));
  fake.setStatus(exited?.id ?? '', 'exited');
  const records: InstanceRecord[] = [
    {
      id: `${id}-running`,
      novitaInstanceId: running?.id,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created, started: created },
    },
    {
      id: `${id}-exited`,
      novitaInstanceId: exited?.id,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created, started: created },
    },
    {
      id: `${id}-vanished`,
      novitaInstanceId: `${id.repeat(4)}00000000dead`,
      status: 'running',
      novitaStatus: 'running',
      owner: `team-${id}`,
      timestamps: { created, started: created },
    },
  ];
  for (const record of records) await store.put(record);
}

/** Every key of an account's namespace with its exact stored bytes, sorted. */
async function rawKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `{${prefix}}*`, count: 500 })) keys.push(...(batch as string[]));
  const rendered: string[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    const value = type === 'string' ? await redis.get(key) : type === 'set' ? (await redis.smembers(key)).sort().join(',') : `(${type})`;
    rendered.push(`${key} ${type} ${value}`);
  }
  return rendered;
}

/** Starts the example's worker on both accounts and collects each job's outcome. */
function startWorker() {
  const reconcilers = accountReconcilers(
    accounts.map(({ id, fake, prefix }) => ({ id, apiKey: fake.apiKey, baseUrl: fake.url, prefix })),
    { redis },
  );
  const worker = createSyncWorker(reconcilers, { connection: bull, prefix: bullPrefix });
  const queue = new Queue<SyncJobData>(SYNC_QUEUE, { connection: bull, prefix: bullPrefix });
  cleanups.push(
    () => worker.close(),
    () => queue.close(),
  );
  const waiting = new Map<string, (outcome: { result?: SyncJobResult; error?: Error }) => void>();
  const settled = new Map<string, { result?: SyncJobResult; error?: Error }>();
  const settle = (job: Job<SyncJobData> | undefined, outcome: { result?: SyncJobResult; error?: Error }) => {
    if (!job?.id) return;
    settled.set(job.id, outcome);
    waiting.get(job.id)?.(outcome);
  };
  worker.on('completed', (job, result) => settle(job, { result }));
  worker.on('failed', (job, error) => settle(job, { error }));
  const outcomeOf = (jobId: string) =>
    new Promise<{ result?: SyncJobResult; error?: Error }>((resolve) => {
      const done = settled.get(jobId);
      if (done) resolve(done);
      else waiting.set(jobId, resolve);
    });
  return { queue, outcomeOf };
}

describe('BullMQ: one queue for several Novita accounts (examples/ops/bullmq)', () => {
  it("the scheduled run of account A applies A's changes and leaves B's records, lock and Novita untouched, byte for byte", async () => {
    await seed(account('a'));
    await seed(account('b'));
    const before = await rawKeys(account('b').prefix);
    const { queue, outcomeOf } = startWorker();

    await scheduleAccountSyncs(queue, ['a'], HALF_HOUR);
    const [scheduler] = await queue.getJobSchedulers();
    expect(scheduler).toMatchObject({ key: schedulerId('a'), every: HALF_HOUR, template: { data: { account: 'a' } } });
    // BullMQ adds a scheduler's first job at once.
    const [firstJob] = await queue.getJobs(['waiting', 'active', 'delayed', 'completed']);
    const { result, error } = await outcomeOf(firstJob?.id ?? '');

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ account: 'a', outcome: 'finished', updated: 1, markedTerminated: 1, dryRun: false });
    const storeA = createRedisStore({ redis, prefix: account('a').prefix });
    expect(await storeA.get('a-vanished')).toMatchObject({ status: 'terminated', owner: 'team-a' });
    expect(await storeA.get('a-exited')).toMatchObject({ status: 'stopped', novitaStatus: 'exited' });
    expect(await rawKeys(account('b').prefix)).toEqual(before);
    expect(account('b').fake.requests).toHaveLength(0);
    expect(account('a').fake.requests.length).toBeGreaterThan(0);
  });

  it("each account has its own lock: B's held lock skips B's job and does not hold up A's; an unknown account fails for good", async () => {
    await seed(account('a'));
    await seed(account('b'));
    const lease = await createRedisLock({ redis, prefix: account('b').prefix }).acquire();
    expect(lease).not.toBeNull();
    cleanups.push(async () => lease?.release());
    const before = await rawKeys(account('b').prefix);
    const { queue, outcomeOf } = startWorker();

    const [jobB, jobA, jobUnknown] = await Promise.all([
      queue.add('sync', { account: 'b' }),
      queue.add('sync', { account: 'a' }),
      queue.add('sync', { account: 'c' }, { attempts: 3 }),
    ]);

    expect((await outcomeOf(jobB.id ?? '')).result).toEqual({ account: 'b', outcome: 'skipped', reason: 'sync-in-progress' });
    expect((await outcomeOf(jobA.id ?? '')).result).toMatchObject({ account: 'a', outcome: 'finished', markedTerminated: 1 });
    const unknown = await outcomeOf(jobUnknown.id ?? '');
    expect(unknown.error?.message).toMatch(/no Novita account "c"/);
    expect((await queue.getJob(jobUnknown.id ?? ''))?.attemptsMade).toBe(1);
    expect(await rawKeys(account('b').prefix)).toEqual(before);
  });

  it('scheduling drops the scheduler of an account no longer listed', async () => {
    const queue = new Queue<SyncJobData>(SYNC_QUEUE, { connection: bull, prefix: bullPrefix });
    cleanups.push(() => queue.close());
    await scheduleAccountSyncs(queue, ['a', 'b'], HALF_HOUR);
    await scheduleAccountSyncs(queue, ['b'], HALF_HOUR);
    expect((await queue.getJobSchedulers()).map((scheduler) => scheduler.key)).toEqual([schedulerId('b')]);
  });

  it('the alternative in docs/deployment.md: one shared prefix, a scope and a lock key per account; A’s run leaves B’s records as they were', async () => {
    const shared = uniquePrefix('shared-scope');
    cleanups.push(() => dropPrefix(redis, shared));
    const store = createRedisStore({ redis, prefix: shared });
    const created = new Date(Date.now() - DAY).toISOString();
    for (const { id, fake } of accounts) {
      const [instance] = fake.addInstances(1, () => ({ createdAtMs: Date.now() - DAY }));
      await store.put({
        id: `${id}-alive`,
        account: id,
        novitaInstanceId: instance?.id,
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, started: created },
      });
      await store.put({
        id: `${id}-vanished`,
        account: id,
        novitaInstanceId: `${id.repeat(4)}00000000dead`,
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, started: created },
      });
    }
    const recordsOf = async (id: string) =>
      Promise.all([`${id}-alive`, `${id}-vanished`].map((record) => redis.get(store.keys.record(record))));
    const before = await recordsOf('b');
    const { fake } = account('a');
    const reconcilerA = createReconciler({
      store,
      lock: createRedisLock({ store, key: `${store.keys.hashTag}:lock:a` }),
      novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url }),
      scope: { record: (record) => record.account === 'a' },
    });

    const report = await reconcilerA.sync();

    expect(report).toMatchObject({ markedTerminated: 1, unchanged: 1, skipped: { outOfScope: 2 } });
    expect(await recordsOf('b')).toEqual(before);
    // The schedule time is kept per lock key: account A's, not a store-wide one B would share.
    expect(await redis.exists(`${store.keys.hashTag}:lock:a:last-completed-run`)).toBe(1);
    expect(await redis.exists(`${store.keys.lock}:last-completed-run`)).toBe(0);
  });

  it('refuses two accounts on one store prefix (they would read each other’s records as obsolete)', () => {
    const shared = uniquePrefix('shared');
    expect(() =>
      accountReconcilers(
        [
          { id: 'a', apiKey: 'sk_a', prefix: shared },
          { id: 'b', apiKey: 'sk_b', prefix: shared },
        ],
        { redis },
      ),
    ).toThrow(/must not share the store prefix/);
  });
});
