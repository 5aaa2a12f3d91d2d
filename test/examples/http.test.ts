/**
 * The HTTP examples (examples/http) as a user runs them: the package built, packed and installed from
 * its tarball into a fresh project with the frameworks, each example copied there and started as its
 * own process (the command its header gives: `node --import tsx examples/http/express.ts`), then sent real HTTP requests with the content types clients send.
 * Each serves a Redis prefix of the test Redis and the fake Novita, configured through the environment
 * as in production; the records are checked in Redis, not through the example's own answers.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RedisStore } from '../../src/redis/index.js';
import { startFakeNovita, type FakeNovita } from '../../src/testing/index.js';
import { type ExampleCommand, exampleCommand } from '../support/example-commands.js';
import { connectRedis, dropPrefix, requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';
import {
  type Answer,
  type Example,
  exampleEnv,
  IDS,
  prepareConsumer,
  run,
  seedRecords,
  send,
  snapshot,
  startExample,
  stopExample,
} from '../support/examples-http-kit.js';

const ADMIN = 'test-admin-token';
const FRAMEWORKS = ['express', 'fastify', 'hono', 'nest'] as const;
type Framework = (typeof FRAMEWORKS)[number];
/** Each example's command, as its header says to run it. */
const COMMAND: Record<Framework, ExampleCommand> = {
  express: exampleCommand('examples/http/express.ts'),
  fastify: exampleCommand('examples/http/fastify.ts'),
  hono: exampleCommand('examples/http/hono.ts'),
  nest: exampleCommand('examples/http/nest/main.ts'),
};

let workspace = '';
let consumer = '';
let fake: FakeNovita;
let redis: Redis;
/** Every Redis prefix the tests used, dropped at the end. */
const prefixes: string[] = [];
const servers = new Map<Framework, { example: Example; prefix: string }>();

const redisEnv = (prefix: string): Record<string, string> => ({
  ADMIN_TOKEN: ADMIN,
  REDIS_URL: requireRedisUrl(),
  REDIS_KEY_PREFIX: prefix,
  NOVITA_API_KEY: fake.apiKey,
  NOVITA_API_BASE_URL: fake.url,
});

const auth = { authorization: `Bearer ${ADMIN}` };
const JSON_TYPE = { ...auth, 'content-type': 'application/json' };
/** What `curl -d <body>` sends: a form, whatever the body looks like. */
const CURL_FORM = { ...auth, 'user-agent': 'curl/8.5.0', accept: '*/*', 'content-type': 'application/x-www-form-urlencoded' };

beforeAll(async () => {
  ({ workspace, consumer } = prepareConsumer());

  fake = await startFakeNovita();
  const createdAtMs = Date.now() - 86_400_000;
  fake.addInstance({ id: IDS.alive, name: 'train-llama', createdAtMs });
  fake.addInstance({ id: IDS.stopped, name: 'batch-embed', status: 'exited', createdAtMs, lastStoppedAtMs: Date.now() - 600_000 });
  redis = connectRedis();
  await Promise.all(
    FRAMEWORKS.map(async (framework) => {
      const prefix = uniquePrefix(`examples-http-${framework}`);
      prefixes.push(prefix);
      servers.set(framework, { prefix, example: await startExample(consumer, COMMAND[framework], exampleEnv(redisEnv(prefix))) });
    }),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map(({ example }) => stopExample(example)));
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
    const server = servers.get(framework);
    if (!server) throw new Error(`${framework} did not start`);
    example = server.example;
    store = await seedRecords(redis, server.prefix);
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

  it('curl\'s default form carrying {"dryRun":true} is a 400 naming that key, and runs nothing', async () => {
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
    const plain = await expectNothingRan(() =>
      send(example.port, 'POST', '/api/instances/sync', { ...auth, 'content-type': 'text/plain;charset=UTF-8' }, '{"dryRun":true}'),
    );
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
    store = await seedRecords(redis, prefix);
    seeded = await snapshot(store);
    // The routes read the environment at their first request, as in a Next server.
    for (const [name, value] of Object.entries(redisEnv(prefix))) vi.stubEnv(name, value);
    const next = join(consumer, 'examples/http/next');
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

  it('curl\'s default form carrying {"dryRun":true} is a 400, and no record changed', async () => {
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

it('the Redis wiring refuses to start without ADMIN_TOKEN: the endpoints are never served open', async () => {
  const { ADMIN_TOKEN: _, ...withoutToken } = redisEnv(uniquePrefix('examples-http-no-token'));
  await expect(startExample(consumer, COMMAND.express, exampleEnv(withoutToken))).rejects.toThrow(
    /exited with 1 before listening:[\s\S]*ADMIN_TOKEN is not set/,
  );
});

describe('the demo (no environment at all): express.ts on the fake Novita and a memory store', () => {
  it('prints a token for this run, lists the seeded records and syncs them', async () => {
    const example = await startExample(consumer, COMMAND.express, exampleEnv({}));
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
