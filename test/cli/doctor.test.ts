/**
 * `novita-reconcile doctor` against the fake Novita in its default shape and in each variant seen in
 * the wild, and a real Redis: what each check says, the exit code, `--json`, `--capture`, and that no
 * secret ever reaches its output or its files.
 */
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../src/index.js';
import { parseV1ListPage } from '../../src/novita/index.js';
import { createRedisLock } from '../../src/redis/index.js';
import { fakeNovitaVariants, type FakeNovitaOptions } from '../../src/testing/index.js';
import { CANARY_KEY, cliHarness, mixedFleet, runInProcess } from '../support/cli-scene.js';

const harness = cliHarness();
const { cleanups } = harness;

const ENV_CANARY = 'env-value-canary-71d3';
const SSH_CANARY = 'ssh-password-canary-9a0c';
const URL_CANARY = 'url-password-canary-2b8e';
const NAME_CANARY = 'instance-name-canary-44f1';
const CANARIES = [CANARY_KEY, ENV_CANARY, SSH_CANARY, URL_CANARY, NAME_CANARY];

/** A scene whose instances carry every kind of secret the doctor must keep out of its output. */
async function doctorScene(fakeOptions: FakeNovitaOptions = {}) {
  return harness.scene((fake) => {
    fake.addInstance({
      name: NAME_CANARY,
      status: 'pending',
      envs: [{ key: 'HF_TOKEN', value: ENV_CANARY }],
      sshPassword: SSH_CANARY,
      imageUrl: `https://robot:${URL_CANARY}@registry.example/team/image:1`,
      extra: { undocumentedField: 'x' },
    });
    return mixedFleet(fake);
  }, fakeOptions);
}

async function doctor(argv: string[], env: Record<string, string | undefined>) {
  const run = await runInProcess(['doctor', ...argv], env);
  for (const canary of CANARIES) expect(run.stdout + run.stderr, 'no secret in the output').not.toContain(canary);
  return run;
}

async function doctorJson(env: Record<string, string | undefined>, argv: string[] = []) {
  const result = await doctor(['--json', ...argv], env);
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: DoctorCheck[]; captured?: string[] };
  const check = (id: string): DoctorCheck => {
    const found = report.checks.find((candidate) => candidate.id === id);
    if (!found) throw new Error(`no check ${id} in ${report.checks.map((candidate) => candidate.id).join(', ')}`);
    return found;
  };
  return { ...result, report, check };
}

describe('novita-reconcile doctor against the fake in its default shape', () => {
  it('runs green: every check ok or warn, exit 0, one line per check with what to do', async () => {
    const { env } = await doctorScene();
    const { code, stdout, stderr } = await doctor([], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const title of [
      'API key',
      'Listing shape',
      'Statuses',
      'Fields',
      'Not-found answer',
      'Response times',
      'Redis',
      'Store scripts',
      'Records',
      'Lock',
      'Policy',
    ])
      expect(stdout).toMatch(new RegExp(`^(ok|warn) +${title} `, 'm'));
    expect(stdout).toMatch(/^doctor: \d+ ok, \d+ warn, 0 fail$/m);
  });

  it('says what it found, check by check (--json)', async () => {
    const { env, store } = await doctorScene();
    const { code, report, check } = await doctorJson(env);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(check('novita.key').status).toBe('ok');
    expect(check('novita.listing')).toMatchObject({
      status: 'ok',
      details: {
        totalPresent: true,
        pageSizeAsked: 100,
        pageSizeServed: 3,
        firstPageNum: 1,
        capped: false,
        listing: { instances: 3, complete: true },
      },
    });
    expect(check('novita.listing').why).toContain('pages count from 1');
    expect(check('novita.statuses')).toMatchObject({ status: 'ok', details: { outsideReference: ['pending'], outsideStatusMap: [] } });
    expect(check('novita.fields')).toMatchObject({
      status: 'ok',
      details: { numbers: 'strings', outsideAllowlist: ['undocumentedField'] },
    });
    expect(check('novita.not-found')).toMatchObject({ status: 'ok', details: { status: 400 } });
    expect(check('novita.timing').status).toBe('ok');
    expect(check('store.redis')).toMatchObject({ status: 'ok', details: { cluster: false, prefix: store.keys.prefix } });
    expect(Math.abs(check('store.redis').details?.skewMs as number)).toBeLessThan(2_000);
    expect(check('store.scripts').status).toBe('ok');
    expect(check('store.records')).toMatchObject({ status: 'ok', details: { records: 3, valid: 3, invalid: 0 } });
    expect(check('store.lock')).toMatchObject({ status: 'ok', details: { held: false } });
    expect(check('policy').status).toBe('ok');
  });

  it('is read-only: the records and Novita are as they were', async () => {
    const { env, snapshot, fake } = await doctorScene();
    const before = await snapshot();
    await doctor([], env);
    expect(await snapshot()).toBe(before);
    expect(fake.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it('counts records that do not decode, and shows a held lock with its expiry', async () => {
    const { env, store } = await doctorScene();
    await harness.redis.multi().set(store.keys.record('broken'), '{not json').sadd(store.keys.index, 'broken').exec();
    const lease = await createRedisLock({ store, ttlMs: 60_000 }).acquire();
    cleanups.push(async () => lease?.release());
    const { check, code } = await doctorJson(env);
    expect(code).toBe(0);
    expect(check('store.records')).toMatchObject({ status: 'warn', details: { records: 4, valid: 3, invalid: 1 } });
    expect(check('store.records').todo).toContain('"broken"');
    expect(check('store.lock')).toMatchObject({ status: 'ok', details: { held: true } });
    expect(check('store.lock').why).toMatch(/^held by a run \(key .*\), until about \d{4}-/);
  });

  it('fails (exit 1) when Redis cannot be reached, and says so', async () => {
    const { env } = await doctorScene();
    const { code, check } = await doctorJson({ ...env, REDIS_URL: 'redis://:redis-password-canary@127.0.0.1:1/0' });
    expect(code).toBe(1);
    expect(check('store.redis')).toMatchObject({ status: 'fail' });
    expect(check('novita.key').status).toBe('ok');
  });

  it('fails (exit 1) without NOVITA_API_KEY or REDIS_URL, naming them; a bad policy variable is a usage error (exit 2)', async () => {
    const { env } = await doctorScene();
    const noKey = await doctorJson({ ...env, NOVITA_API_KEY: undefined });
    expect(noKey.code).toBe(1);
    expect(noKey.check('novita.key').why).toBe('NOVITA_API_KEY is not set');
    const noRedis = await doctorJson({ ...env, REDIS_URL: '' });
    expect(noRedis.check('store.redis').why).toContain('REDIS_URL is not set');
    const badPolicy = await doctor([], { ...env, SYNC_MAX_OBSOLETE_FRACTION: 'lots' });
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain('SYNC_MAX_OBSOLETE_FRACTION');
  });

  it('warns on the policy when Novita sends no total and confirmObsolete is off', async () => {
    const { env } = await doctorScene(fakeNovitaVariants['no-total']);
    const { check } = await doctorJson({ ...env, SYNC_CONFIRM_OBSOLETE: 'false' });
    expect(check('policy').status).toBe('warn');
    expect(check('policy').todo).toContain('SYNC_CONFIRM_OBSOLETE=true');
  });
});

describe('novita-reconcile doctor names each variant seen in the wild', () => {
  it('no total: the listing shape warns that listings are unproven, and runs go on', async () => {
    const { env } = await doctorScene(fakeNovitaVariants['no-total']);
    const { code, check } = await doctorJson(env);
    expect(code).toBe(0);
    expect(check('novita.listing')).toMatchObject({ status: 'warn', details: { totalPresent: false, listing: { complete: false } } });
    expect(check('novita.listing').why).toMatch(/^no total \(Novita sends \{"instances": \[\.\.\.\]\} only\)/);
  });

  it('a capped page size: served against asked', async () => {
    const { env, fake } = await doctorScene(fakeNovitaVariants['capped-page-size']);
    fake.addInstances(30);
    const { check } = await doctorJson(env);
    expect(check('novita.listing')).toMatchObject({ status: 'ok', details: { pageSizeAsked: 100, pageSizeServed: 20, capped: true } });
    expect(check('novita.listing').why).toContain('page size capped: 20 served of 100 asked');
  });

  it('a capped page size without a total is found by reading page 2', async () => {
    const { env, fake } = await doctorScene({ ...fakeNovitaVariants['capped-page-size'], ...fakeNovitaVariants['no-total'] });
    fake.addInstances(30);
    expect((await doctorJson(env)).check('novita.listing').details).toMatchObject({ capped: true, totalPresent: false });
  });

  it('pages counting from 0', async () => {
    const { env } = await doctorScene({ firstPageNum: 0 });
    const { check } = await doctorJson(env);
    expect(check('novita.listing').details?.firstPageNum).toBe(0);
    expect(check('novita.listing').why).toContain('pages count from 0');
  });

  it('a refused key answered 403 INVALID_API_KEY without metadata: fail, exit 1', async () => {
    const { env } = await doctorScene(fakeNovitaVariants['refused-key-403']);
    const { code, check } = await doctorJson({ ...env, NOVITA_API_KEY: 'sk_refused_key_canary' });
    expect(code).toBe(1);
    expect(check('novita.key')).toMatchObject({ status: 'fail' });
    expect(check('novita.key').why).toBe('Novita refused the key: GET /gpu/instances answered HTTP 403 INVALID_API_KEY, without metadata');
  });

  it('an empty account answered 400 RESOURCE_NOT_FOUND: fail, naming notFoundListingIsEmpty', async () => {
    const { env, fake } = await doctorScene(fakeNovitaVariants['empty-account-not-found']);
    fake.clearInstances();
    const { code, check } = await doctorJson(env);
    expect(code).toBe(1);
    expect(check('novita.key').status).toBe('ok');
    expect(check('novita.listing')).toMatchObject({ status: 'fail' });
    expect(check('novita.listing').why).toContain('how an account with no instances may be answered');
    expect(check('novita.listing').todo).toContain('notFoundListingIsEmpty: true');
  });

  it("a relay's error bodies: the not-found answer fails, saying every absent record will stay unverified", async () => {
    const { env } = await doctorScene(fakeNovitaVariants['relay-error-bodies']);
    const { code, check } = await doctorJson(env);
    expect(code).toBe(1);
    expect(check('novita.not-found')).toMatchObject({ status: 'fail' });
    expect(check('novita.not-found').why).toContain("({code, message, type}: not Novita's error envelope)");
    expect(check('novita.not-found').why).toContain('every record absent from the listing will stay unverified');
    expect(check('policy').status).toBe('warn');
  });

  it('a 404 not-found: fails, naming the option that widens the rule', async () => {
    const { env } = await doctorScene({ notFoundStatus: 404 });
    const { check } = await doctorJson(env);
    expect(check('novita.not-found')).toMatchObject({ status: 'fail' });
    expect(check('novita.not-found').why).toContain('HTTP 404 RESOURCE_NOT_FOUND');
    expect(check('novita.not-found').todo).toContain("notFoundResponses: 'documented-or-enveloped-404'");
  });

  it("a gateway's HTML 502 on the listing: the key cannot be checked, fail", async () => {
    const { env, fake } = await doctorScene();
    fake.fault({ endpoint: 'list', kind: 'html', times: Infinity });
    const { code, check } = await doctorJson(env);
    expect(code).toBe(1);
    expect(check('novita.key').why).toContain("HTTP 502 (an HTML page, not Novita's)");
  });

  it('statuses outside the reference and outside the status map', async () => {
    const { env, fake } = await doctorScene();
    fake.addInstance({ status: 'hibernating' });
    const { code, check } = await doctorJson(env);
    expect(code).toBe(0);
    expect(check('novita.statuses')).toMatchObject({
      status: 'warn',
      details: { outsideReference: expect.arrayContaining(['pending', 'hibernating']), outsideStatusMap: ['hibernating'] },
    });
    expect(check('novita.statuses').todo).toContain('SYNC_STATUS_MAP');
  });

  it('numbers sent as numbers, and empty strings for billingMode and spotStatus', async () => {
    const numbers = await doctorJson((await doctorScene(fakeNovitaVariants['numbers-as-numbers'])).env);
    expect(numbers.check('novita.fields')).toMatchObject({ status: 'ok', details: { numbers: 'numbers' } });
    expect(numbers.check('novita.fields').why).toContain('counts and timestamps sent as JSON numbers');
    const enums = await doctorJson((await doctorScene(fakeNovitaVariants['empty-enum-strings'])).env);
    expect(enums.check('novita.fields').details?.emptyEnums).toEqual(expect.arrayContaining(['billingMode', 'spotStatus']));
  });

  it('fields that fail to parse are named, never their values', async () => {
    const { env, fake } = await doctorScene();
    fake.addInstance({ extra: { cpuNum: 'sixteen-canary', portMappings: 'not-a-list-canary' } });
    const { check, stdout } = await doctorJson(env);
    expect(check('novita.fields')).toMatchObject({ status: 'warn', details: { failed: ['cpuNum', 'portMappings'] } });
    expect(stdout).not.toContain('sixteen-canary');
    expect(stdout).not.toContain('not-a-list-canary');
  });
});

describe('novita-reconcile doctor --capture', () => {
  it('saves the first listing page and the not-found answer: every key kept, other values typed, credentials redacted, ids and names hashed, loadable by the client', async () => {
    const { env, fake } = await doctorScene();
    const directory = await mkdtemp(join(tmpdir(), 'doctor-capture-'));
    const { code, report } = await doctorJson(env, ['--capture', directory]);
    expect(code).toBe(0);
    expect(report.captured?.map((file) => file.slice(directory.length + 1)).sort()).toEqual(['list-page.json', 'not-found.json']);
    expect((await readdir(directory)).sort()).toEqual(['list-page.json', 'not-found.json']);
    const page = JSON.parse(await readFile(join(directory, 'list-page.json'), 'utf8')) as {
      status: number;
      body: { instances: Record<string, unknown>[] };
    };
    const notFound = JSON.parse(await readFile(join(directory, 'not-found.json'), 'utf8')) as { status: number; body: unknown };
    const text = JSON.stringify([page, notFound]);
    for (const canary of CANARIES) expect(text).not.toContain(canary);
    const realIds = fake.listInstances().map((instance) => instance.id);
    for (const id of realIds) expect(text).not.toContain(id);

    expect(page.status).toBe(200);
    const captured = page.body.instances.find((instance) => instance.status === 'pending') as Record<string, unknown>;
    const truth = fake.listInstances().find((instance) => instance.status === 'pending') as Record<string, unknown>;
    expect(Object.keys(captured).sort()).toEqual(Object.keys(truth).sort());
    expect(captured).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      undocumentedField: '<string>',
      envs: [{ key: 'HF_TOKEN', value: '<string>' }],
      imageUrl: 'https://[redacted]@registry.example/team/image:1',
      gpuNum: '1',
      status: 'pending',
    });
    // Loadable by the client's own parser: a fixture for the project's tests.
    const parsed = parseV1ListPage(page.body);
    expect(parsed.instances).toHaveLength(realIds.length);
    expect(notFound).toMatchObject({ status: 400, body: { code: 400, reason: 'RESOURCE_NOT_FOUND' } });
  });
});

describe('runDoctor, the same checks as a function', () => {
  it('runs the Novita checks, the store checks it is given and the policy check; ok when none failed', async () => {
    const { runDoctor } = await import('../../src/novita/index.js');
    const { checkRedisStore } = await import('../../src/redis/index.js');
    const { env, store } = await doctorScene();
    const result = await runDoctor({
      client: { apiKey: env.NOVITA_API_KEY as string, baseUrl: env.NOVITA_API_BASE_URL as string },
      policy: { confirmObsolete: true },
      store: (signal) => checkRedisStore(store, signal ? { signal } : {}),
    });
    expect(result.ok).toBe(true);
    expect(result.checks.map((check) => check.id)).toEqual([
      'novita.key',
      'novita.listing',
      'novita.statuses',
      'novita.fields',
      'novita.not-found',
      'novita.timing',
      'store.redis',
      'store.scripts',
      'store.records',
      'store.lock',
      'policy',
    ]);
    expect(result.capture.listPage?.status).toBe(200);
    for (const canary of CANARIES) expect(JSON.stringify(result)).not.toContain(canary);
  });
});
