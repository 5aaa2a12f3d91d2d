/**
 * The HTTP examples (examples/http) as a user runs them: the package built, packed and installed from
 * its tarball into a fresh project with the frameworks, each example copied there and started as its
 * own process (`tsx express.ts`), then sent real HTTP requests with the content types clients send.
 * Each serves a Redis prefix of the test Redis and the fake Novita, configured through the environment
 * as in production; the records are checked in Redis, not through the example's own answers.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InstanceRecord } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita } from '../../src/testing/index.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../setup/redis-test-kit.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const ADMIN = 'test-admin-token';
const FRAMEWORKS = ['express', 'fastify', 'hono', 'nest'] as const;
type Framework = (typeof FRAMEWORKS)[number];
const ENTRY: Record<Framework, string> = { express: 'http/express.ts', fastify: 'http/fastify.ts', hono: 'http/hono.ts', nest: 'http/nest/main.ts' };
// The versions the repository pins; @nestjs/platform-express is what a Nest HTTP app always has.
const DEPENDENCIES = ['express@5.3.0', 'fastify@5.12.8', 'hono@4.13.19', '@hono/node-server@2.1.9', '@nestjs/core@12.5.1', '@nestjs/common@12.5.1', '@nestjs/platform-express@12.5.1', 'reflect-metadata@0.2.2', 'rxjs@7.8.2', 'ioredis@5.11.1'];

const ALIVE = 'a1a1a1a1a1a1a1a1';
const STOPPED = 'b2b2b2b2b2b2b2b2';
const VANISHED = 'c3c3c3c3c3c3c3c3';

let workspace = '';
let consumer = '';
let fake: FakeNovita;
let redis: Redis;
const prefixes: string[] = [];
const servers = new Map<Framework, Example>();

interface Example {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

/**
 * Builds into a directory of its own and packs from there: the repository's dist/ may be rebuilt at the
 * same moment by another test file, and a tarball packed mid-build would test nothing real.
 */
function packTarball(): string {
  const pkg = join(workspace, 'pkg');
  run('npx', ['tsup', '--silent', '--out-dir', join(pkg, 'dist')], root);
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', '.env.example']) cpSync(join(root, file), join(pkg, file));
  run('npm', ['pack', '--silent', '--pack-destination', workspace], pkg);
  const tarball = readdirSync(workspace).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  return join(workspace, tarball);
}

/** The environment an example gets: nothing of this process's own, only what the example reads. */
function exampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...extra };
}

const redisEnv = (prefix: string): Record<string, string> => ({
  ADMIN_TOKEN: ADMIN,
  REDIS_URL: requireRedisUrl(),
  REDIS_KEY_PREFIX: prefix,
  NOVITA_API_KEY: fake.apiKey,
  NOVITA_API_BASE_URL: fake.url,
});

/** Starts `tsx <entry>` in the consumer project and resolves once it prints where it listens. */
async function startExample(entry: string, env: NodeJS.ProcessEnv): Promise<Example> {
  const child = spawn(process.execPath, [tsx, entry], { cwd: consumer, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
    if (match?.[1] && match[2]) return { url: match[1], port: Number(match[2]), child, output: () => output };
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before listening:\n${output}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not listen within 45 s:\n${output}`);
}

/** Stops an example as an orchestrator does (SIGTERM) and resolves its exit code. */
async function stopExample(example: Example): Promise<number | null> {
  if (example.child.exitCode !== null) return example.child.exitCode;
  const exited = once(example.child, 'exit');
  example.child.kill('SIGTERM');
  const timer = setTimeout(() => example.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  return example.child.exitCode;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: any;
}

/** One request with exactly these headers (plus Host and, with a body, Content-Length), as a client sends it. */
async function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const sent = { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) };
  const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: sent });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

const auth = { authorization: `Bearer ${ADMIN}` };
const JSON_TYPE = { ...auth, 'content-type': 'application/json' };
/** What `curl -d <body>` sends: a form, whatever the body looks like. */
const CURL_FORM = { ...auth, 'user-agent': 'curl/8.5.0', accept: '*/*', 'content-type': 'application/x-www-form-urlencoded' };

/** job-1 runs and Novita agrees; job-2's instance stopped (a sync refreshes it); job-3's is gone (a sync terminates it). */
async function seedRecords(prefix: string): Promise<RedisStore> {
  const store = createRedisStore({ redis, prefix });
  const created = new Date(Date.now() - 86_400_000).toISOString();
  const records: InstanceRecord[] = [ALIVE, STOPPED, VANISHED].map((novitaInstanceId, index) => ({
    id: `job-${index + 1}`,
    novitaInstanceId,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  }));
  for (const record of records) await store.put(record);
  return store;
}

const snapshot = async (store: RedisStore): Promise<string> => JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id)));

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'novita-reconciler-examples-http-'));
  const tarball = packTarball();
  consumer = join(workspace, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The examples as a user copies them, next to a tsconfig with what Nest's decorators need.
  cpSync(join(root, 'examples/http'), join(consumer, 'http'), { recursive: true });
  rmSync(join(consumer, 'http/nest/tsconfig.json'));
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, experimentalDecorators: true, skipLibCheck: true } }));
  run('npm', ['install', '--prefer-offline', '--no-package-lock', '--loglevel=error', tarball, ...DEPENDENCIES], consumer);

  fake = await startFakeNovita();
  const createdAtMs = Date.now() - 86_400_000;
  fake.addInstance({ id: ALIVE, name: 'train-llama', createdAtMs });
  fake.addInstance({ id: STOPPED, name: 'batch-embed', status: 'exited', createdAtMs, lastStoppedAtMs: Date.now() - 600_000 });
  redis = connectRedis();
  await Promise.all(
    FRAMEWORKS.map(async (framework) => {
      const prefix = uniquePrefix(`examples-http-${framework}`);
      prefixes.push(prefix);
      servers.set(framework, await startExample(ENTRY[framework], exampleEnv(redisEnv(prefix))));
    }),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map(stopExample));
  for (const prefix of prefixes) await dropPrefix(redis, prefix).catch(() => undefined);
  redis?.disconnect();
  await fake?.close();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

it('the examples resolve novita-reconciler to the installed tarball, not to the repository', () => {
  const resolved = run('node', ['--input-type=module', '-e', "console.log(import.meta.resolve('novita-reconciler'))"], consumer).trim();
  expect(resolved).toBe(pathToFileURL(join(consumer, 'node_modules/novita-reconciler/dist/index.js')).href);
});

describe.each(FRAMEWORKS)('%s', (framework) => {
  let example: Example;
  let store: RedisStore;
  let seeded = '';

  beforeAll(async () => {
    example = servers.get(framework) as Example;
    store = await seedRecords(prefixes[FRAMEWORKS.indexOf(framework)] as string);
    seeded = await snapshot(store);
  });

  /** Nothing reached Novita and no record changed while `act` ran. */
  async function expectNothingRan(act: () => Promise<Answer>): Promise<Answer> {
    const calls = fake.requests.length;
    const answer = await act();
    expect(fake.requests.length, 'no Novita call').toBe(calls);
    expect(await snapshot(store), 'no record changed').toBe(seeded);
    return answer;
  }

  it('a GET on the sync route is a 405 with Allow: POST, and runs nothing', async () => {
    const answer = await expectNothingRan(() => send(example.port, 'GET', '/api/instances/sync?dryRun=false', auth));
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(answer.json).toMatchObject({ success: false, error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('a request without the admin token is a 401, and runs nothing', async () => {
    const answer = await expectNothingRan(() => send(example.port, 'POST', '/api/instances/sync'));
    expect(answer.status).toBe(401);
    expect((await expectNothingRan(() => send(example.port, 'GET', '/api/instances', { authorization: 'Bearer wrong' }))).status).toBe(401);
  });

  it('the list route answers 200 with the records merged with Novita', async () => {
    const answer = await send(example.port, 'GET', '/api/instances', auth);
    expect(answer.status).toBe(200);
    const rows = answer.json.data.instances as Array<{ source: string; id?: string; instance?: { status: string } }>;
    expect(rows.find((row) => row.id === 'job-2')).toMatchObject({ source: 'merged', instance: { status: 'exited' } });
    expect(rows.find((row) => row.id === 'job-3')).toMatchObject({ source: 'local' });
    expect(await snapshot(store)).toBe(seeded);
  });

  it('a JSON body {"dryRun":true} is a dry run: actions planned, no record changed', async () => {
    const answer = await send(example.port, 'POST', '/api/instances/sync', JSON_TYPE, '{"dryRun":true}');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.data).toMatchObject({ dryRun: true, updated: 1, markedTerminated: 1 });
    expect(await snapshot(store), 'a dry run writes nothing').toBe(seeded);
  });

  it('a form body dryRun=true (curl -d dryRun=true) is a dry run', async () => {
    const answer = await send(example.port, 'POST', '/api/instances/sync', CURL_FORM, 'dryRun=true');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.data).toMatchObject({ dryRun: true, markedTerminated: 1 });
    expect(await snapshot(store)).toBe(seeded);
  });

  it("curl's default form carrying {\"dryRun\":true} is a 400 naming that key, and runs nothing", async () => {
    const answer = await expectNothingRan(() => send(example.port, 'POST', '/api/instances/sync', CURL_FORM, '{"dryRun":true}'));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', details: { field: '{"dryRun":true}' } } });
  });

  it('?dryRun=true next to a JSON body is still a dry run (the query is never dropped)', async () => {
    const answer = await send(example.port, 'POST', '/api/instances/sync?dryRun=true', JSON_TYPE, '{"handleObsoleteInstances":true}');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.data).toMatchObject({ dryRun: true });
    expect(await snapshot(store)).toBe(seeded);
  });

  it('a body the adapters do not read (text/plain, or no Content-Type) is refused, and runs nothing', async () => {
    const plain = await expectNothingRan(() => send(example.port, 'POST', '/api/instances/sync', { ...auth, 'content-type': 'text/plain;charset=UTF-8' }, '{"dryRun":true}'));
    expect(plain.status).toBe(415);
    const untyped = await expectNothingRan(() => send(example.port, 'POST', '/api/instances/sync', auth, '{"dryRun":true}'));
    expect(untyped.status).toBe(415);
  });

  it('an empty POST is a real sync: the stopped record is refreshed, the vanished one terminated', async () => {
    const answer = await send(example.port, 'POST', '/api/instances/sync', auth);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.data).toMatchObject({ dryRun: false, updated: 1, markedTerminated: 1 });
    expect((await store.get('job-1'))?.status).toBe('running');
    expect((await store.get('job-2'))?.status).toBe('stopped');
    expect(await store.get('job-3')).toMatchObject({ status: 'terminated', terminationReason: 'instance-not-found' });
  });

  it('stops cleanly on SIGTERM (exit code 0)', async () => {
    expect(await stopExample(example), example.output()).toBe(0);
  });
});

describe('the Next.js route handlers (app/api/instances/...), imported and called with a Request', () => {
  let prefix = '';
  let store: RedisStore;
  let seeded = '';
  type Route = (request: Request) => Promise<Response>;
  let POST: Route;
  let GET: Route;
  let closeReconciler: () => Promise<void>;
  const url = 'http://next.test/api/instances';

  beforeAll(async () => {
    prefix = uniquePrefix('examples-http-next');
    prefixes.push(prefix);
    store = await seedRecords(prefix);
    seeded = await snapshot(store);
    // The routes read the environment at their first request, as in a Next server.
    for (const [name, value] of Object.entries(redisEnv(prefix))) vi.stubEnv(name, value);
    const next = join(consumer, 'http/next');
    ({ POST } = (await import(pathToFileURL(join(next, 'app/api/instances/sync/route.ts')).href)) as { POST: Route });
    ({ GET } = (await import(pathToFileURL(join(next, 'app/api/instances/route.ts')).href)) as { GET: Route });
    ({ closeReconciler } = (await import(pathToFileURL(join(next, 'lib/reconciler.ts')).href)) as { closeReconciler: () => Promise<void> });
  });

  afterAll(async () => {
    await closeReconciler?.();
    vi.unstubAllEnvs();
  });

  const post = (body?: string, headers: Record<string, string> = auth, path = '/sync'): Promise<Response> =>
    POST(new Request(`${url}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) }));

  it('a missing variable is a 500 CONFIG_INVALID naming it, and the next request, configured, builds the reconciler', async () => {
    vi.stubEnv('NOVITA_API_KEY', '');
    const unconfigured = await post('{"dryRun":true}', JSON_TYPE);
    expect(unconfigured.status).toBe(500);
    const body = (await unconfigured.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('CONFIG_INVALID');
    expect(body.error.message).toContain('NOVITA_API_KEY');
    vi.stubEnv('ADMIN_TOKEN', '');
    expect((await post('{"dryRun":true}', JSON_TYPE)).status, 'no ADMIN_TOKEN: every request refused').toBe(500);
    for (const [name, value] of Object.entries(redisEnv(prefix))) vi.stubEnv(name, value);
    expect((await post('{"dryRun":true}', JSON_TYPE)).status).toBe(200);
    expect(await snapshot(store)).toBe(seeded);
  });

  it('POST handed a GET answers 405 with Allow: POST (Next itself answers a GET to a POST-only route so)', async () => {
    const response = await POST(new Request(`${url}/sync`, { headers: auth }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('without the admin token: 401, nothing changed', async () => {
    expect((await post(undefined, {})).status).toBe(401);
    expect(await snapshot(store)).toBe(seeded);
  });

  it('GET lists the records merged with Novita', async () => {
    const response = await GET(new Request(url, { headers: auth }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { instances: Array<{ id?: string; source: string }> } };
    expect(body.data.instances.find((row) => row.id === 'job-2')).toMatchObject({ source: 'merged' });
  });

  it('JSON {"dryRun":true} and the form dryRun=true are dry runs; no record changed', async () => {
    for (const response of [await post('{"dryRun":true}', JSON_TYPE), await post('dryRun=true', CURL_FORM)]) {
      expect(response.status).toBe(200);
      expect(((await response.json()) as { data: { dryRun: boolean } }).data.dryRun).toBe(true);
    }
    expect(await snapshot(store)).toBe(seeded);
  });

  it("curl's default form carrying {\"dryRun\":true} is a 400, and no record changed", async () => {
    const response = await post('{"dryRun":true}', CURL_FORM);
    expect(response.status).toBe(400);
    expect(await snapshot(store)).toBe(seeded);
  });

  it('an empty POST is a real sync', async () => {
    const response = await post();
    expect(response.status).toBe(200);
    expect((await store.get('job-2'))?.status).toBe('stopped');
    expect((await store.get('job-3'))?.status).toBe('terminated');
  });
});

describe('the demo (no environment at all): express.ts on the fake Novita and a memory store', () => {
  it('prints a token for this run, lists the seeded records and syncs them', async () => {
    const example = await startExample(ENTRY.express, exampleEnv({}));
    try {
      const token = /this run's token is (\S+)/.exec(example.output())?.[1];
      expect(token, example.output()).toBeDefined();
      const demoAuth = { authorization: `Bearer ${token}` };
      expect((await send(example.port, 'GET', '/api/instances', auth)).status, 'the test token is not the demo token').toBe(401);
      const list = await send(example.port, 'GET', '/api/instances', demoAuth);
      expect(list.json.data.instances.map((row: { id?: string }) => row.id).sort()).toEqual(['job-1', 'job-2', 'job-3']);
      const sync = await send(example.port, 'POST', '/api/instances/sync', demoAuth);
      expect(sync.json).toMatchObject({ success: true, data: { dryRun: false, updated: 1, markedTerminated: 1 } });
    } finally {
      expect(await stopExample(example)).toBe(0);
    }
  });
});
