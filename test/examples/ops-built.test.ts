/**
 * The runnable examples of examples/ops run as users run them: by the command their header gives
 * (`exampleCommand(file)`), as child processes that import 'novita-reconciler' by name and get the
 * BUILT package. The
 * package is built with `npm run build` once per source state (test/support/built-cli.ts: a private
 * folder, so nothing races the packed-tarball test rebuilding ./dist), copied as `dist/` into a copy of
 * the package root whose tsconfig has no `paths`; Node's self-reference then resolves the name through
 * the exports map to that build, which the first test checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita } from '../../src/testing/index.js';
import { buildPackage } from '../support/built-cli.js';
import { exampleCommand, spawnable } from '../support/example-commands.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';

const root = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
let pkg = '';
let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(() => {
  pkg = mkdtempSync(join(tmpdir(), 'novita-reconciler-ops-'));
  cpSync(buildPackage(), join(pkg, 'dist'), { recursive: true });
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  writeFileSync(
    join(pkg, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler' } }),
  );
  mkdirSync(join(pkg, 'examples'), { recursive: true });
  cpSync(join(root, 'examples/ops'), join(pkg, 'examples/ops'), { recursive: true });
  writeFileSync(
    join(pkg, 'examples/ops/start-only-probe.ts'),
    `import { createMemoryStore, createReconciler } from 'novita-reconciler';
import { createScriptedNovitaClient } from 'novita-reconciler/testing';
const reconciler = createReconciler({
  store: createMemoryStore(),
  novitaClient: createScriptedNovitaClient(),
  onEvent: (event) => { if (event.type === 'run-finished') console.log(JSON.stringify({ event: event.type })); },
});
console.log(JSON.stringify({ started: reconciler.start({ runImmediately: true }) }));`,
  );
  writeFileSync(
    join(pkg, 'examples/ops/resolve-probe.ts'),
    `console.log(JSON.stringify(['novita-reconciler', 'novita-reconciler/novita', 'novita-reconciler/redis'].map((name) => import.meta.resolve(name))));`,
  );
  redis = connectRedis();
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  if (pkg) rmSync(pkg, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A running example: the JSON lines (pino) of one of its streams, the text of both, and its exit. */
interface ExampleProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves the first line (already seen or yet to come) that `match` accepts. */
  line(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts an example of the built package by its header's command, from the package copy. */
function runExample(
  file: string,
  env: Record<string, string>,
  { withOptional = false, jsonStream = 'stdout' }: { withOptional?: boolean; jsonStream?: 'stdout' | 'stderr' } = {},
): ExampleProcess {
  const command = spawnable(exampleCommand(file), env, withOptional);
  return runProcess(command.file, command.args, command.env, jsonStream);
}

/** Starts a probe script of the package copy, as `node --import tsx <script>`. */
function runProbe(script: string): ExampleProcess {
  return runProcess(process.execPath, ['--import', 'tsx', script], {}, 'stdout');
}

function runProcess(
  program: string,
  args: string[],
  env: Record<string, string | undefined>,
  jsonStream: 'stdout' | 'stderr',
): ExampleProcess {
  // Only what the example is given: no NOVITA_*, REDIS_*, SYNC_* or DATABASE_URL of the machine running the tests.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NOVITA_|REDIS_|SYNC_|DATABASE_URL)/.test(name)));
  const child = spawn(program, args, {
    cwd: pkg,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  const text = { stdout: '', stderr: '' };
  let pending = '';
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
      text[stream] += chunk;
      if (stream !== jsonStream) return;
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      // A line that is not JSON stays in the text only (an assertion on the lines then says what is missing).
      for (const line of complete.flatMap((json) => parseLine(json))) {
        lines.push(line);
        for (const waiter of waiters.filter((candidate) => candidate.match(line))) waiter.resolve(line);
      }
    });
  }
  const stderr = (): string => text.stderr;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    // 'close', not 'exit': 'exit' may come before the last lines of stdout were read, which then go missing.
    child.once('close', (code, signal) => done({ code, signal, at: Date.now() })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    lines,
    stdout: () => text.stdout,
    stderr,
    exited,
    line(match, timeoutMs = 20_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolveLine, reject) => {
        const fail = (why: string) => {
          clearTimeout(timer);
          reject(new Error(`${why}; stdout: ${text.stdout}; stderr: ${text.stderr}`));
        };
        const timer = setTimeout(() => fail(`no such line within ${timeoutMs} ms`), timeoutMs);
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        });
        // Output still in the pipe when the process exits arrives just after 'exit'.
        void exited.then(() => setTimeout(() => fail('exited before such a line'), 100));
      });
    },
  };
}

/** A fake Novita and a fresh prefix holding two records: one whose instance exited, one whose instance is gone. */
async function scene(): Promise<{ fake: FakeNovita; store: RedisStore; env: Record<string, string> }> {
  const fake = await startFakeNovita({ apiKey: 'sk_ops_example_key' });
  const prefix = uniquePrefix('ops-worker');
  const store = createRedisStore({ redis, prefix });
  cleanups.push(
    () => fake.close(),
    () => dropPrefix(redis, prefix),
  );
  const [exited] = fake.addInstances(1, () => ({ createdAtMs: Date.now() - DAY }));
  fake.setStatus(exited?.id ?? '', 'exited');
  const created = new Date(Date.now() - DAY).toISOString();
  const records: InstanceRecord[] = [
    {
      id: 'exited',
      novitaInstanceId: exited?.id,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created, started: created, novitaStatusSince: created },
    },
    {
      id: 'vanished',
      novitaInstanceId: 'aaaa00000000dead',
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created, started: created, novitaStatusSince: created },
    },
  ];
  for (const record of records) await store.put(record);
  return {
    fake,
    store,
    env: { NOVITA_API_KEY: fake.apiKey, NOVITA_API_BASE_URL: fake.url, REDIS_URL: requireRedisUrl(), REDIS_KEY_PREFIX: prefix },
  };
}

function parseLine(json: string): Record<string, unknown>[] {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}

const event = (type: string) => (line: Record<string, unknown>) => line.event === type;

describe('examples/ops on the built package', () => {
  it("resolves 'novita-reconciler' and its subpaths to the build, not to src", async () => {
    const probe = runProbe('examples/ops/resolve-probe.ts');
    const exit = await probe.exited;
    expect(exit.code, probe.stderr()).toBe(0);
    expect(probe.lines[0]).toEqual(['index.js', 'novita.js', 'redis.js'].map((file) => pathToFileURL(join(pkg, 'dist', file)).href));
  });

  it('worker.ts: SIGTERM during a run lets the run finish, then closes Redis and exits 0 within seconds', async () => {
    const { fake, store, env } = await scene();
    // The listing takes 1.5 s: the signal arrives while the run is reading it.
    fake.fault({ endpoint: 'list', kind: 'latency', ms: 1_500 });
    const worker = runExample('examples/ops/worker.ts', env);
    await worker.line(event('run-started'));
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit.code, worker.stderr()).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(5_000);
    const messages = worker.lines.map((line) => line.event ?? line.msg);
    expect(messages.indexOf('shutting down: waiting for the run in flight')).toBeLessThan(messages.indexOf('run-finished'));
    expect(messages.at(-1), JSON.stringify(worker.lines.map((line) => [line.event ?? line.msg, line.time, line.pid]))).toBe('stopped');
    // The run was not cut: its writes landed.
    expect(await store.get('vanished')).toMatchObject({ status: 'terminated', terminationReason: expect.any(String) });
    expect(await store.get('exited')).toMatchObject({ status: 'stopped' });
  });

  it('start() alone does not hold a process open: a script that only starts the schedule exits after its first run (why worker.ts keeps itself alive)', async () => {
    const probe = runProbe('examples/ops/start-only-probe.ts');
    const exit = await probe.exited;
    expect(exit.code, probe.stderr()).toBe(0);
    expect(probe.lines).toEqual([{ started: true }, { event: 'run-finished' }]);
  });

  it('worker.ts keeps running after its first run until SIGTERM, then exits 0', async () => {
    const { env } = await scene();
    const worker = runExample('examples/ops/worker.ts', env);
    const finished = await worker.line(event('run-finished'));
    expect(finished.actions).toBe(2);
    // Long enough for an unheld event loop to have drained and exited.
    await new Promise((wait) => setTimeout(wait, 300));
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code, worker.stderr()).toBe(0);
    expect(worker.lines.map((line) => line.msg)).toContain('stopped');
  });

  it('pino-logging.ts: the run summary is one JSON line, `Instance sync completed`, with the counts', async () => {
    const { store, env } = await scene();
    const run = runExample('examples/ops/pino-logging.ts', env, { withOptional: true });
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
    const summary = run.lines.find((line) => line.msg === 'Instance sync completed');
    expect(summary).toMatchObject({
      level: 30,
      service: 'novita-reconciler',
      component: 'reconciler',
      dryRun: true,
      beforeSync: 2,
      afterSync: 2,
      updated: 1,
      markedTerminated: 1,
      removed: 0,
      unchanged: 0,
      novitaInstances: 1,
      listingWalks: 1,
      safetyTripped: false,
      runId: expect.any(String),
      durationMs: expect.any(Number),
    });
    expect(run.lines.filter((line) => line.msg === 'Obsolete instance record marked terminated')).toEqual([
      expect.objectContaining({ recordId: 'vanished', dryRun: true, level: 30 }),
    ]);
    // A dry run wrote nothing.
    expect(await store.get('vanished')).toMatchObject({ status: 'running' });
  });

  it('pino-cli-config.ts: novita-reconcile --config hands the reconciler pino, whose JSON summary line goes to stderr; stdout keeps the summary', async () => {
    const { env } = await scene();
    const run = runExample('examples/ops/pino-cli-config.ts', env, { jsonStream: 'stderr' });
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
    expect(run.lines.find((line) => line.msg === 'Instance sync completed')).toMatchObject({
      level: 30,
      service: 'novita-reconcile',
      dryRun: true,
      beforeSync: 2,
      updated: 1,
      markedTerminated: 1,
      runId: expect.any(String),
    });
    expect(run.stdout()).toMatch(/^Dry run/m);
  });

  it('croner-schedule.ts: runs a sync on each tick of SYNC_CRON, then stops on SIGTERM and exits 0', async () => {
    const { store, env } = await scene();
    const run = runExample('examples/ops/croner-schedule.ts', { ...env, SYNC_CRON: '* * * * * *' });
    await run.line((line) => line.msg === 'croner schedule started');
    const finished = await run.line((line) => line.msg === 'sync finished');
    expect(finished.actions).toBe(2);
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
    expect(run.lines.at(-1)?.msg).toBe('stopped');
    expect(await store.get('vanished')).toMatchObject({ status: 'terminated' });
  });

  it('prometheus-metrics.ts: schedules itself and serves /metrics with the finished run, then exits 0 on SIGTERM', async () => {
    const { env } = await scene();
    const run = runExample('examples/ops/prometheus-metrics.ts', { ...env, PORT: '0' });
    const served = await run.line((line) => line.msg === 'metrics served');
    let text = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((wait) => setTimeout(wait, 100))) {
      text = await (await fetch(String(served.url))).text();
      if (text.includes('novita_reconciler_runs_total{outcome="finished"')) break;
    }
    expect(text).toMatch(/novita_reconciler_runs_total\{outcome="finished",code="",dry_run="false"\} 1/);
    expect(text).toMatch(/novita_reconciler_actions_total\{kind="markTerminated",outcome="applied",dry_run="false"\} 1/);
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
  });

  it('opentelemetry.ts: one dry run, whose span the console exporter prints, then exits 0', async () => {
    const { store, env } = await scene();
    const run = runExample('examples/ops/opentelemetry.ts', env, { withOptional: true });
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain("name: 'novita_reconciler.sync'");
    expect(run.stdout()).toMatch(/'novita_reconciler.dry_run': true/);
    expect(await store.get('vanished')).toMatchObject({ status: 'running' });
  });

  it('postgres-store/main.ts: without DATABASE_URL, one run on an in-process PGlite against Novita, then exits 0', async () => {
    const { env } = await scene();
    const run = runExample('examples/ops/postgres-store/main.ts', {
      NOVITA_API_KEY: env.NOVITA_API_KEY ?? '',
      NOVITA_API_BASE_URL: env.NOVITA_API_BASE_URL ?? '',
      DATABASE_URL: '',
    });
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
    expect(run.lines.find((line) => line.msg === 'sync finished')).toMatchObject({ dryRun: false, beforeSync: 0, novitaInstances: 1 });
  });

  it('bullmq/main.ts: both accounts synced by the queue (pointed at the fake by NOVITA_API_BASE_URL), then exits 0 on SIGTERM', async () => {
    const { fake, env } = await scene();
    const root = uniquePrefix('ops-bullmq');
    cleanups.push(
      () => dropPrefix(redis, `${root}:research`),
      () => dropPrefix(redis, `${root}:inference`),
      async () => {
        for await (const keys of redis.scanStream({ match: 'bull:novita-sync*', count: 500 }))
          if ((keys as string[]).length > 0) await redis.unlink(...(keys as string[]));
      },
    );
    const run = runExample('examples/ops/bullmq/main.ts', {
      REDIS_URL: env.REDIS_URL ?? '',
      REDIS_KEY_PREFIX: root,
      NOVITA_API_KEY_RESEARCH: fake.apiKey,
      NOVITA_API_KEY_INFERENCE: fake.apiKey,
      NOVITA_API_BASE_URL: fake.url,
    });
    const done = (account: string) => (line: Record<string, unknown>) => line.msg === 'sync job done' && line.account === account;
    expect(await run.line(done('research'))).toMatchObject({ outcome: 'finished' });
    expect(await run.line(done('inference'))).toMatchObject({ outcome: 'finished' });
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(0);
  });
});
