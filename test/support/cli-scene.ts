/**
 * A scene for the `novita-reconcile` tests: a fake Novita over loopback and a fresh prefix of the test
 * Redis, seeded with records, and the environment that points the command at both.
 */
import type { Redis } from 'ioredis';
import type { InstanceRecord } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita, type FakeNovitaOptions } from '../../src/testing/fake-novita/index.js';
import { dropPrefix, requireRedisUrl, uniquePrefix } from './redis-test-kit.js';

export const CANARY_KEY = 'sk_canary_cli_5e2d9a71c04b3f86';
export const DAY = 86_400_000;

export interface CliScene {
  fake: FakeNovita;
  store: RedisStore;
  env: Record<string, string | undefined>;
  /** Every record, sorted by id, as JSON: to prove a run wrote nothing. */
  snapshot(): Promise<string>;
  record(id: string): Promise<InstanceRecord | null>;
}

/** A fake Novita and a fresh Redis prefix, seeded with `records` built from the fake's instances. */
export async function cliScene(
  redis: Redis,
  cleanups: (() => Promise<unknown>)[],
  seed: (fake: FakeNovita) => InstanceRecord[],
  fakeOptions: FakeNovitaOptions = {},
): Promise<CliScene> {
  const fake = await startFakeNovita({ apiKey: CANARY_KEY, ...fakeOptions });
  const prefix = uniquePrefix('cli');
  const store = createRedisStore({ redis, prefix });
  cleanups.push(
    () => fake.close(),
    () => dropPrefix(redis, prefix),
  );
  for (const record of seed(fake)) await store.put(record);
  return {
    fake,
    store,
    env: { NOVITA_API_KEY: CANARY_KEY, NOVITA_API_BASE_URL: fake.url, REDIS_URL: requireRedisUrl(), REDIS_KEY_PREFIX: prefix },
    snapshot: async () => JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id))),
    record: (id) => store.get(id),
  };
}

export const dayOld = (): string => new Date(Date.now() - DAY).toISOString();

/** A record of a running instance, created and started a day ago. */
export const running = (id: string, novitaInstanceId: string, extra: Partial<InstanceRecord> = {}): InstanceRecord => ({
  id,
  novitaInstanceId,
  status: 'running',
  novitaStatus: 'running',
  timestamps: { created: dayOld(), started: dayOld() },
  ...extra,
});

/** `stopped-at-novita` (Novita says exited), `still-running` (agrees), `vanished` (its instance is gone). */
export const mixedFleet = (fake: FakeNovita): InstanceRecord[] => {
  const [exited, alive] = fake.addInstances(2, (index) => ({ status: index === 0 ? 'exited' : 'running', createdAtMs: Date.now() - DAY }));
  return [
    running('stopped-at-novita', exited?.id ?? ''),
    running('still-running', alive?.id ?? ''),
    running('vanished', 'ffff000000000001'),
  ];
};

/** Every record agrees with Novita: a run finds nothing to do. */
export const settledFleet = (fake: FakeNovita): InstanceRecord[] =>
  fake.addInstances(2, () => ({ createdAtMs: Date.now() - DAY })).map((instance, index) => running(`settled-${index}`, instance.id));
