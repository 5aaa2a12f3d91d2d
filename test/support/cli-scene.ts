/**
 * The one harness of the `novita-reconcile` tests: a Redis connection and cleanups per file
 * ({@link cliHarness}), a scene (a fake Novita over loopback and a fresh prefix of the test Redis,
 * seeded with records, and the environment that points the command at both), and the command run in
 * process or as the built binary, each run checked for the canary API key.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { runCli, type CliOutput } from '../../src/cli/main.js';
import type { InstanceRecord } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita, type FakeNovitaOptions } from '../../src/testing/fake-novita/index.js';
import { type CliResult, runCliBinary } from './built-cli.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from './redis-test-kit.js';

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

/** What one run of the command printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fails the test when the API key reached the command's output. */
function checkNoKey<R extends { stdout: string; stderr: string }>(run: R): R {
  expect(run.stdout + run.stderr, 'the API key must never be printed').not.toContain(CANARY_KEY);
  return run;
}

/**
 * Runs the command in process (`runCli`) with its output captured. `terminal` makes stderr say it is a
 * terminal (`isTTY: true`), with any other fields of it given.
 */
export async function runInProcess(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { signal?: AbortSignal; terminal?: Partial<CliOutput> } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    argv,
    env,
    {
      stdout: { write: (text) => (stdout += text) },
      stderr: { write: (text) => (stderr += text), ...(options.terminal ? { isTTY: true, ...options.terminal } : {}) },
    },
    options.signal ? { signal: options.signal } : {},
  );
  return checkNoKey({ code, stdout, stderr });
}

/** Runs the built binary in `cwd` with only `env`. */
export async function runBinary(build: string, args: string[], env: Record<string, string | undefined>, cwd: string): Promise<CliResult> {
  return checkNoKey(await runCliBinary(build, args, env, cwd));
}

/** A file's Redis connection (opened before its tests, closed after) and the cleanups run after each test. */
export interface CliHarness {
  readonly redis: Redis;
  readonly cleanups: (() => Promise<unknown>)[];
  /** A scene on this file's Redis, cleaned up after the test. */
  scene(seed: (fake: FakeNovita) => InstanceRecord[], fakeOptions?: FakeNovitaOptions): Promise<CliScene>;
}

/** Registers the hooks of a CLI test file and hands back its Redis, cleanups and scenes. */
export function cliHarness(): CliHarness {
  let redis: Redis | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(() => {
    redis = connectRedis();
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  afterAll(async () => {
    await redis?.quit();
  });
  const harness: CliHarness = {
    get redis() {
      if (!redis) throw new Error('the harness connects to Redis before the first test');
      return redis;
    },
    cleanups,
    scene: (seed, fakeOptions) => cliScene(harness.redis, cleanups, seed, fakeOptions),
  };
  return harness;
}
