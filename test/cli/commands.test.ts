/**
 * `novita-reconcile` in process (`runCli`) against the shared test Redis and the fake Novita over real
 * HTTP. Every run is also checked for the canary API key: it must never reach stdout or stderr.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { POLICY_ENV_VARIABLES, type InstanceRecord } from '../../src/index.js';
import type { FakeNovita } from '../../src/testing/fake-novita/index.js';
import { freePort } from '../setup/spawn-redis.js';
import { cliHarness, DAY, mixedFleet, running, runInProcess, type CliScene } from '../support/cli-scene.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const harness = cliHarness();
const scene = (seed: (fake: FakeNovita) => InstanceRecord[]): Promise<CliScene> => harness.scene(seed);

/** Runs the command in process; the harness checks that the API key appears in none of its output. */
const run = (argv: string[], env: Record<string, string | undefined>, signal?: AbortSignal) =>
  runInProcess(argv, env, signal ? { signal } : {});

describe('novita-reconcile: runs', () => {
  it('a real run refreshes and terminates records in Redis and exits 0', async () => {
    const { env, record } = await scene(mixedFleet);
    const { code, stdout, stderr } = await run([], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Sync completed\./);
    expect(stdout).toMatch(/applied\s+refresh\s+stopped-at-novita\s+running -> stopped/);
    expect(stdout).toMatch(/applied\s+markTerminated\s+vanished\s+running -> terminated/);
    expect((await record('stopped-at-novita'))?.status).toBe('stopped');
    expect(await record('vanished')).toMatchObject({ status: 'terminated', terminationReason: 'instance-not-found' });
    expect((await record('still-running'))?.status).toBe('running');
  });

  it('--dry-run prints the actions a real run would take and writes nothing', async () => {
    const { env, snapshot } = await scene(mixedFleet);
    const before = await snapshot();
    const { code, stdout } = await run(['--dry-run'], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Dry run: nothing written/);
    expect(stdout).toMatch(/planned\s+markTerminated\s+vanished/);
    expect(await snapshot()).toBe(before);
  });

  it('--no-obsolete refreshes statuses and leaves the obsolete record alone', async () => {
    const { env, record } = await scene(mixedFleet);
    expect((await run(['--no-obsolete'], env)).code).toBe(0);
    expect((await record('stopped-at-novita'))?.status).toBe('stopped');
    expect((await record('vanished'))?.status).toBe('running');
  });

  it('--json prints the full report as JSON that parses', async () => {
    const { env } = await scene(mixedFleet);
    const { code, stdout } = await run(['--dry-run', '--json'], env);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      dryRun: true,
      beforeSync: 3,
      updated: 1,
      markedTerminated: 1,
      unchanged: 1,
      novitaInstances: 2,
      safety: { tripped: false },
    });
    expect(report.actions).toHaveLength(2);
  });

  it('--list prints the merged view and writes nothing; with --json it parses', async () => {
    const { env, fake, snapshot } = await scene(mixedFleet);
    fake.addInstance({ id: 'c0ffee0000000001', name: 'console-notebook' });
    const before = await snapshot();
    const table = await run(['--list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^SOURCE\s+RECORD\s+NOVITA ID\s+STATUS\s+NOVITA STATUS\s+NAME/);
    expect(table.stdout).toMatch(/novita\s+-\s+c0ffee0000000001\s+-\s+running\s+console-notebook/);
    expect(table.stdout).toContain('4 rows: 2 merged, 1 local only, 1 Novita only');
    const json = await run(['--list', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ counts: { merged: 2, local: 1, novita: 1, total: 4 } });
    expect(await snapshot()).toBe(before);
  });
});

describe('novita-reconcile: failures and exit codes', () => {
  it('a listing that fails on page 2 exits 1 and changes no record', async () => {
    const { env, fake, snapshot } = await scene((novita) => {
      const instances = novita.addInstances(120, () => ({ createdAtMs: Date.now() - DAY }));
      return instances.slice(0, 5).map((instance, index) => running(`job-${index}`, instance.id));
    });
    fake.removeInstance(fake.listInstances()[0]?.id ?? '');
    fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 400, reason: 'VALIDATOR_PARAM', times: Infinity });
    const before = await snapshot();
    const { code, stdout, stderr } = await run([], env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^novita-reconcile: NOVITA_INCOMPLETE_LISTING: Novita listing incomplete: 100 of 119 instances/);
    expect(stderr).toContain('nothing was written');
    expect(await snapshot()).toBe(before);
    expect(fake.requests.filter((request) => request.endpoint === 'get')).toHaveLength(0);
  });

  it('a candidate Novita cannot confirm is left alone, warned about on stderr, and the run exits 0', async () => {
    const { env, fake, record } = await scene(mixedFleet);
    fake.fault({ endpoint: 'get', kind: 'error', status: 400, reason: 'VALIDATOR_PARAM', times: Infinity });
    const { code, stdout, stderr } = await run([], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/unverified 1/);
    expect(stderr).toMatch(/^novita-reconcile: warning: Could not confirm an obsolete candidate/);
    expect((await record('vanished'))?.status).toBe('running');
  });

  it('a key Novita refuses exits 1 without printing the key', async () => {
    const { env } = await scene(mixedFleet);
    const wrongKey = 'sk_canary_wrong_key_0a9b8c7d';
    const { code, stdout, stderr } = await run([], { ...env, NOVITA_API_KEY: wrongKey });
    expect(code).toBe(1);
    expect(stderr).toMatch(/NOVITA_AUTH/);
    expect(stdout + stderr).not.toContain(wrongKey);
  });

  it('--json on a failure prints the error as JSON on stdout', async () => {
    const { env, fake } = await scene(mixedFleet);
    fake.fault({ endpoint: 'list', kind: 'error', status: 401, times: Infinity });
    const { code, stdout } = await run(['--json'], env);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'NOVITA_AUTH', message: expect.any(String) } });
  });

  it('an unreachable Redis exits 1 with STORE_UNAVAILABLE', async () => {
    const { env } = await scene(mixedFleet);
    const { code, stderr } = await run([], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(code).toBe(1);
    expect(stderr).toMatch(/STORE_UNAVAILABLE/);
  });

  it('exits 3 when another replica holds the lock, and asks Novita nothing', async () => {
    const { env, fake, store, snapshot } = await scene(mixedFleet);
    await harness.redis.set(store.keys.lock, 'another-replica', 'PX', 30_000);
    const before = await snapshot();
    const { code, stderr } = await run([], env);
    expect(code).toBe(3);
    expect(stderr).toMatch(/lock/);
    expect(fake.requests).toHaveLength(0);
    expect(await snapshot()).toBe(before);
    expect(await harness.redis.get(store.keys.lock)).toBe('another-replica');
  });

  it('a tripped safety limit exits 4 and holds obsolete handling back; --force proceeds and exits 0', async () => {
    const { env, record, snapshot } = await scene((fake) => {
      const [alive] = fake.addInstances(1, () => ({ createdAtMs: Date.now() - DAY }));
      return [
        running('alive', alive?.id ?? ''),
        running('gone-1', 'ffff000000000001'),
        running('gone-2', 'ffff000000000002'),
        running('gone-3', 'ffff000000000003'),
      ];
    });
    const safetyEnv = { ...env, SYNC_SAFETY_MIN_RECORDS: '2' };
    const before = await snapshot();
    expect((await run(['--dry-run'], safetyEnv)).code, 'a dry run that would trip exits 4 too').toBe(4);
    const held = await run([], safetyEnv);
    expect(held.code).toBe(4);
    expect(held.stderr).toMatch(/safety limit tripped: .*rerun with --force/);
    expect(held.stdout).toContain('Safety limit: tripped, obsolete handling held back');
    expect(await snapshot()).toBe(before);

    const forced = await run(['--force'], safetyEnv);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Safety limit: tripped, overridden by --force');
    expect((await record('gone-2'))?.status).toBe('terminated');
    expect((await record('alive'))?.status).toBe('running');
  });

  it('an abort through the signal exits 1 and releases the lock', async () => {
    const { env, fake, store } = await scene(mixedFleet);
    fake.fault({ endpoint: 'list', kind: 'hang', times: Infinity });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGTERM')), 100);
    const { code, stderr } = await run([], env, controller.signal);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ABORTED/);
    expect(await harness.redis.exists(store.keys.lock)).toBe(0);
  });
});

describe('novita-reconcile: usage and configuration (exit 2)', () => {
  it.each([
    ['REDIS_URL is missing', { REDIS_URL: undefined }, 'REDIS_URL'],
    ['REDIS_URL is not a redis URL', { REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    ['NOVITA_API_KEY is missing', { NOVITA_API_KEY: '' }, 'NOVITA_API_KEY'],
    ['NOVITA_API_BASE_URL is not a URL', { NOVITA_API_BASE_URL: 'novita' }, 'NOVITA_API_BASE_URL'],
    ['REDIS_KEY_PREFIX holds a brace', { REDIS_KEY_PREFIX: 'app{1}' }, 'REDIS_KEY_PREFIX'],
    ['SYNC_MAX_OBSOLETE_FRACTION is not a number', { SYNC_MAX_OBSOLETE_FRACTION: 'lots' }, 'SYNC_MAX_OBSOLETE_FRACTION'],
    ['SYNC_REMOVE_OBSOLETE_INSTANCES is not a boolean', { SYNC_REMOVE_OBSOLETE_INSTANCES: 'sometimes' }, 'SYNC_REMOVE_OBSOLETE_INSTANCES'],
    ['SYNC_STATUS_MAP is not JSON', { SYNC_STATUS_MAP: '{pulling:creating}' }, 'SYNC_STATUS_MAP'],
    ['SYNC_INTERVAL_MINS is a misspelt SYNC_INTERVAL_MINUTES', { SYNC_INTERVAL_MINS: '5' }, 'SYNC_INTERVAL_MINS'],
  ])('%s: exits 2 naming the variable, before any request', async (_case, override, variable) => {
    const { env, fake } = await scene(mixedFleet);
    const { code, stdout, stderr } = await run([], { ...env, ...override });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^novita-reconcile: configuration error: ${variable}\\b`));
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    [['--bogus'], 'unknown flag --bogus'],
    [['-x'], 'unknown flag -x'],
    [['--dryrun'], 'unknown flag --dryrun; did you mean --dry-run?'],
    [['--jsn'], 'unknown flag --jsn; did you mean --json?'],
    [['watch', '--jsno'], 'unknown flag --jsno; did you mean --json?'],
    [['fake-novita', '--api-keys', 'k'], 'unknown flag --api-keys; did you mean --api-key?'],
    [['--dry-run=yes'], '--dry-run takes no value'],
    [['sync'], 'unexpected argument "sync"'],
    [['--list', '--force'], '--force applies to a sync run and cannot be combined with --list'],
    [['--list', '--detailed-exitcode'], '--detailed-exitcode applies to a sync run and cannot be combined with --list'],
    [['watch', '--dry-run'], '--dry-run is a flag of a single run, not of novita-reconcile watch'],
    [['--port', '4010'], '--port is a flag of novita-reconcile fake-novita, not of a single run'],
    [['--config'], '--config needs a value'],
    [['--config', '--json'], '--config needs a value (got the flag --json; write --config=--json if you mean it)'],
    [['--config=a.mjs', '--config=b.mjs'], '--config is given twice ("a.mjs" and "b.mjs")'],
    [['--', 'watch'], 'unexpected argument "watch"'],
    [['--dry-run', 'watch'], 'unexpected argument "watch"'],
    [['fake-novita', '--port', '70000'], '--port must be a whole number from 0 to 65535 (got "70000")'],
    [['fake-novita', '--instances', 'many'], '--instances must be a whole number from 0 to 100000 (got "many")'],
  ])('%j is a usage error naming it (exit 2)', async (argv, message) => {
    const { code, stderr } = await run(argv, {});
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('--help prints the flags, the variables and every exit code, and needs no configuration', async () => {
    const { code, stdout } = await run(['--help'], {});
    expect(code).toBe(0);
    for (const text of [
      '--dry-run',
      '--force',
      '--no-obsolete',
      '--list',
      '--json',
      '--detailed-exitcode',
      '--config <module>',
      'watch',
      'fake-novita',
      '--version',
      'NOVITA_API_KEY',
      'REDIS_URL',
      'REDIS_KEY_PREFIX',
      'SYNC_*',
    ])
      expect(stdout).toContain(text);
    // Every policy variable, from the policy's own table (a hand-kept list missed two).
    for (const variable of Object.keys(POLICY_ENV_VARIABLES)) expect(stdout, variable).toMatch(new RegExp(`\\b${variable}\\b`));
    expect(stdout).toContain('SYNC_STATUS_MAP (JSON)');
    expect(stdout).toContain('SYNC_DESTRUCTIVE_BUDGET (JSON)');
    for (const exit of [0, 1, 2, 3, 4, 5]) expect(stdout).toMatch(new RegExp(`^  ${exit}  `, 'm'));
  });

  it('watch -h and fake-novita --help print their own help', async () => {
    const watchHelp = await run(['watch', '-h'], {});
    expect(watchHelp.code).toBe(0);
    expect(watchHelp.stdout).toMatch(/^Usage: novita-reconcile watch/);
    const fakeHelp = await run(['fake-novita', '--help'], {});
    expect(fakeHelp.stdout).toMatch(/^Usage: novita-reconcile fake-novita/);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await run(['--version'], {});
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n` });
  });
});
