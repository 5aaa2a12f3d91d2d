/**
 * examples/ops/worker.ts, examples/ops/pino-logging.ts and examples/ops/pino-cli-config.ts run as users
 * run them: child processes that import 'novita-reconciler' by name and get the BUILT package. The
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
  mkdirSync(join(pkg, 'examples/ops'), { recursive: true });
  for (const file of ['worker.ts', 'pino-logging.ts', 'pino-cli-config.ts'])
    copyFileSync(join(root, 'examples/ops', file), join(pkg, 'examples/ops', file));
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

/** Starts an example of the built package with tsx, as `node --import tsx <script>` from the package copy. */
function runExample(file: string, env: Record<string, string>, args: string[] = []): ExampleProcess {
  return runScript(`examples/ops/${file}`, env, args, 'stdout');
}

function runScript(script: string, env: Record<string, string>, args: string[], jsonStream: 'stdout' | 'stderr'): ExampleProcess {
  // Only what the example is given: no NOVITA_*, REDIS_* or SYNC_* of the machine running the tests.
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NOVITA_|REDIS_|SYNC_)/.test(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
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
    child.once('exit', (code, signal) => done({ code, signal, at: Date.now() })),
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
    const probe = runExample('resolve-probe.ts', {});
    const exit = await probe.exited;
    expect(exit.code, probe.stderr()).toBe(0);
    expect(probe.lines[0]).toEqual(['index.js', 'novita.js', 'redis.js'].map((file) => pathToFileURL(join(pkg, 'dist', file)).href));
  });

  it('worker.ts: SIGTERM during a run lets the run finish, then closes Redis and exits 0 within seconds', async () => {
    const { fake, store, env } = await scene();
    // The listing takes 1.5 s: the signal arrives while the run is reading it.
    fake.fault({ endpoint: 'list', kind: 'latency', ms: 1_500 });
    const worker = runExample('worker.ts', env);
    await worker.line(event('run-started'));
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;

    expect(exit.code, worker.stderr()).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(5_000);
    const messages = worker.lines.map((line) => line.event ?? line.msg);
    expect(messages.indexOf('shutting down: waiting for the run in flight')).toBeLessThan(messages.indexOf('run-finished'));
    expect(messages.at(-1)).toBe('stopped');
    // The run was not cut: its writes landed.
    expect(await store.get('vanished')).toMatchObject({ status: 'terminated', terminationReason: expect.any(String) });
    expect(await store.get('exited')).toMatchObject({ status: 'stopped' });
  });

  it('start() alone does not hold a process open: a script that only starts the schedule exits after its first run (why worker.ts keeps itself alive)', async () => {
    const probe = runExample('start-only-probe.ts', {});
    const exit = await probe.exited;
    expect(exit.code, probe.stderr()).toBe(0);
    expect(probe.lines).toEqual([{ started: true }, { event: 'run-finished' }]);
  });

  it('worker.ts keeps running after its first run until SIGTERM, then exits 0', async () => {
    const { env } = await scene();
    const worker = runExample('worker.ts', env);
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
    const run = runExample('pino-logging.ts', env, ['--dry-run']);
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
    const run = runScript('dist/cli.js', env, ['--config', 'examples/ops/pino-cli-config.ts', '--dry-run'], 'stderr');
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
});
