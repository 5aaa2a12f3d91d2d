/**
 * The guards on destructive actions (issue 16) against the real parts: a real redis-server, the Redis
 * store and lock, the fake Novita over loopback HTTP and the built-in Novita client.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createReconciler, type InstanceRecord, type SyncReport } from '../../src/index.js';
import { createRedisLock, createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { runCli } from '../../src/cli/main.js';
import { clientFor, fakeNovita } from '../support/novita-test-kit.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';
import { expectConsistentReport } from '../support/reconcile-fixtures.js';

const redis = connectRedis();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await dropPrefix(redis, prefix);
  await redis.quit();
});

const NOW = Date.UTC(2026, 10, 28, 12);
const DAY = 86_400_000;

/** A store on a fresh prefix, dropped after the file. */
function freshStore(name: string, audit = false): RedisStore {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return createRedisStore({ redis, prefix, ...(audit ? { audit: true } : {}) });
}

/** `vanished` records whose instances are gone and `alive` records whose instances run at the fake (`<name>-live<i>`). */
async function seed(store: RedisStore, fake: Awaited<ReturnType<typeof fakeNovita>>, vanished: number, alive: number): Promise<void> {
  for (let i = 0; i < alive; i += 1) {
    const created = fake.addInstance({ status: 'running', createdAtMs: NOW - 2 * DAY });
    await store.put(record(`live${i}`, created.id, NOW - 2 * DAY));
  }
  for (let i = 0; i < vanished; i += 1) {
    const created = fake.addInstance({ status: 'running', createdAtMs: NOW - 3 * DAY });
    await store.put(record(`gone${String(i).padStart(2, '0')}`, created.id, NOW - 3 * DAY - i * 60_000));
    fake.removeInstance(created.id);
  }
}

function record(id: string, novitaInstanceId: string, createdMs: number): InstanceRecord {
  const created = new Date(createdMs).toISOString();
  return { id, novitaInstanceId, status: 'running', novitaStatus: 'running', timestamps: { created, started: created } };
}

const ended = (report: SyncReport): string[] =>
  report.actions.filter((action) => action.kind === 'markTerminated' || action.kind === 'remove').map((action) => action.recordId);

/** Flips every live instance's status, so that every live record needs a refresh on the next run. */
function flipLive(fake: Awaited<ReturnType<typeof fakeNovita>>, run: number): void {
  for (const id of liveIds) fake.setStatus(id, run % 2 === 0 ? 'exited' : 'running');
}
let liveIds: string[] = [];

describe('maxDestructivePerRun on Redis with the fake Novita', () => {
  it('ends 40 vanished records over four runs, 10 each, refreshing every other record each time', async () => {
    const fake = await fakeNovita();
    const store = freshStore('cap');
    await seed(store, fake, 40, 10);
    liveIds = (await store.list()).filter((stored) => stored.id.startsWith('live')).map((stored) => stored.novitaInstanceId as string);
    const reconciler = createReconciler({
      store,
      novitaClient: clientFor(fake),
      lock: createRedisLock({ store, ttlMs: 10_000 }),
      policy: { maxDestructivePerRun: 10, maxObsoleteFraction: 1 },
      clock: () => new Date(NOW),
    });
    const perRun: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      flipLive(fake, run);
      const report = await reconciler.sync();
      expectConsistentReport(report);
      expect(report.updated, `run ${run + 1} refreshes every live record`).toBe(10);
      perRun.push(ended(report).length);
      expect(report.skipped.limit).toBe(Math.max(0, 30 - 10 * run));
    }
    expect(perRun).toEqual([10, 10, 10, 10, 0]);
    expect((await store.list()).filter((stored) => stored.status === 'terminated')).toHaveLength(40);
  });
});

describe('destructiveBudget shared by replicas on one Redis prefix', () => {
  it('three reconcilers end 15 records in total, whatever their timing, and more only once the window moves', async () => {
    const fake = await fakeNovita();
    const prefix = uniquePrefix('budget');
    prefixes.push(prefix);
    const seedStore = createRedisStore({ redis, prefix });
    await seed(seedStore, fake, 40, 0);
    let now = NOW;
    // No lock: the three run at once, so only the budget's atomic reservation keeps them to 15.
    const replicas = [0, 1, 2].map(() =>
      createReconciler({
        store: createRedisStore({ redis, prefix }),
        novitaClient: clientFor(fake),
        policy: { destructiveBudget: { max: 15, windowMinutes: 60 }, maxObsoleteFraction: 1, removeObsoleteInstances: true },
        clock: () => new Date(now),
      }),
    );
    for (let round = 0; round < 3; round += 1) {
      const reports = await Promise.all(replicas.map((replica) => replica.sync()));
      for (const report of reports) expectConsistentReport(report);
      now += 10 * 60_000;
    }
    expect(40 - (await seedStore.count())).toBe(15);
    // 30 minutes after the first reservations: still the same window.
    now = NOW + 59 * 60_000;
    await Promise.all(replicas.map((replica) => replica.sync()));
    expect(40 - (await seedStore.count())).toBe(15);
    // The window moved past the first reservations: 15 more, and no more.
    now = NOW + 61 * 60_000 + 30 * 60_000;
    const later = await Promise.all(replicas.map((replica) => replica.sync()));
    expect(40 - (await seedStore.count())).toBe(30);
    expect(later.reduce((sum, report) => sum + report.removed, 0)).toBe(15);
    expect(later.every((report) => report.limits.window?.max === 15)).toBe(true);
  });

  it('a dry run reads the budget and reserves nothing', async () => {
    const fake = await fakeNovita();
    const store = freshStore('budget-dry');
    await seed(store, fake, 5, 0);
    const reconciler = createReconciler({
      store,
      novitaClient: clientFor(fake),
      policy: { destructiveBudget: { max: 3, windowMinutes: 60 }, maxObsoleteFraction: 1 },
      clock: () => new Date(NOW),
    });
    for (let i = 0; i < 3; i += 1) {
      const dry = await reconciler.sync({ dryRun: true });
      expect(dry.limits.window).toEqual({ max: 3, windowMinutes: 60, usedBefore: 0, usedByRun: 3 });
      expect(dry.skipped.limit).toBe(2);
    }
    const real = await reconciler.sync();
    expect(real.limits.window).toEqual({ max: 3, windowMinutes: 60, usedBefore: 0, usedByRun: 3 });
    expect(real.markedTerminated).toBe(3);
  });
});

describe('livenessCheck with the fake Novita', () => {
  it('true keeps a record through any number of runs; a throw and a hang keep it too, and the report says which', async () => {
    const fake = await fakeNovita();
    const store = freshStore('liveness');
    await seed(store, fake, 4, 0);
    const reconciler = createReconciler({
      store,
      novitaClient: clientFor(fake),
      policy: { maxObsoleteFraction: 1 },
      clock: () => new Date(NOW),
      livenessTimeoutMs: 200,
      livenessCheck: (stored) => {
        if (stored.id === 'gone00') return true;
        if (stored.id === 'gone01') throw new Error('heartbeat store unreachable');
        if (stored.id === 'gone02') return new Promise<boolean>(() => {});
        return false;
      },
    });
    for (let run = 0; run < 3; run += 1) {
      const report = await reconciler.sync();
      expectConsistentReport(report);
      expect(Object.fromEntries(report.liveness.kept.map((kept) => [kept.recordId, kept.verdict]))).toEqual({
        gone00: 'alive',
        gone01: 'error',
        gone02: 'timeout',
      });
      expect(report.liveness).toMatchObject({ checked: run === 0 ? 4 : 3, alive: 1, failed: 2 });
    }
    const stored = new Map((await store.list()).map((item) => [item.id, item.status]));
    expect([stored.get('gone00'), stored.get('gone01'), stored.get('gone02'), stored.get('gone03')]).toEqual([
      'running',
      'running',
      'running',
      'terminated',
    ]);
  });
});

describe('the hold on Redis', () => {
  it('while set (novita-reconcile hold), no replica ends anything and statuses still refresh; release lets them go on', async () => {
    const fake = await fakeNovita();
    const prefix = uniquePrefix('hold');
    prefixes.push(prefix);
    const store = createRedisStore({ redis, prefix, audit: true });
    await seed(store, fake, 6, 2);
    liveIds = (await store.list()).filter((stored) => stored.id.startsWith('live')).map((stored) => stored.novitaInstanceId as string);
    const env = { REDIS_URL: requireRedisUrl(), REDIS_KEY_PREFIX: prefix, USER: 'alice' };
    const out: string[] = [];
    const io = { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => out.push(text) } };
    expect(await runCli(['hold', '--reason', 'Novita incident 42'], env, io as never)).toBe(0);
    expect(out.join('')).toMatch(/Hold set by alice@\S+ .*Novita incident 42/);

    const replicas = [0, 1].map(() =>
      createReconciler({
        store: createRedisStore({ redis, prefix, audit: true }),
        novitaClient: clientFor(fake),
        policy: { maxObsoleteFraction: 1 },
        clock: () => new Date(NOW),
      }),
    );
    for (let run = 0; run < 2; run += 1) {
      flipLive(fake, run);
      for (const replica of replicas) {
        const report = await replica.sync({ forceSync: true });
        expectConsistentReport(report);
        expect(ended(report)).toEqual([]);
        expect(report.skipped.limit).toBe(6);
        expect(report.limits.hold).toMatchObject({ reason: 'Novita incident 42' });
      }
    }
    // Statuses refreshed while the hold was set: the live records follow the fake.
    expect((await store.list()).filter((stored) => stored.id.startsWith('live')).map((stored) => stored.status)).toEqual([
      'running',
      'running',
    ]);
    out.length = 0;
    expect(await runCli(['release'], env, io as never)).toBe(0);
    expect(out.join('')).toMatch(/Hold released.*Novita incident 42/s);
    const after = await replicas[0]?.sync();
    expect(after?.markedTerminated).toBe(6);

    const trail = await store.readAuditTrail({ limit: 50 });
    const kinds = trail.map((entry) => entry.kind);
    expect(kinds).toContain('hold');
    expect(kinds).toContain('release');
    const heldBack = trail.filter((entry) => entry.kind === 'held-back');
    expect(heldBack).toHaveLength(4);
    expect(heldBack[0]?.reason).toMatch(/6 by the hold set by alice@\S+ .*Novita incident 42/);
    expect(heldBack[0]?.heldBack).toHaveLength(6);
    expect((await store.readAuditTrail({ recordId: 'gone00' })).map((entry) => entry.kind)).toEqual([
      'mark-terminated',
      'held-back',
      'held-back',
      'held-back',
      'held-back',
    ]);
  });
});
