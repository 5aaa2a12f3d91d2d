/**
 * `novita-reconcile --config <module>` through the built binary: an ES or CommonJS module supplies the
 * store (a memory store here: no Redis at all), the client (pointed at the fake Novita over loopback),
 * the policy, or a function building them; the environment supplies the rest. A bad module exits 2
 * with a message naming the module and the field, before Novita is asked anything.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/index.js';
import { startFakeNovita, type FakeNovita } from '../../src/testing/fake-novita/index.js';
import { buildPackage } from '../support/built-cli.js';
import { CANARY_KEY, cliHarness, DAY, mixedFleet, running, runBinary } from '../support/cli-scene.js';

let build: string;
let folder: string;
beforeAll(() => {
  build = buildPackage();
  folder = mkdtempSync(join(tmpdir(), 'novita-cli-config-'));
}, 300_000);
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});
const harness = cliHarness();
const { cleanups } = harness;

const core = (): string => pathToFileURL(join(build, 'index.js')).href;
const novita = (): string => pathToFileURL(join(build, 'novita.js')).href;

/** A fake Novita with a mixed fleet, and the records of it as a memory store would start with. */
async function fakeWithRecords(): Promise<{ fake: FakeNovita; records: InstanceRecord[] }> {
  const fake = await startFakeNovita({ apiKey: CANARY_KEY });
  cleanups.push(() => fake.close());
  return { fake, records: mixedFleet(fake) };
}

let moduleCount = 0;
/** Writes a module into the temp folder; returns its file name (relative to the folder). */
function writeModule(extension: 'mjs' | 'cjs', text: string): string {
  moduleCount += 1;
  const name = `config-${moduleCount}.${extension}`;
  writeFileSync(join(folder, name), text);
  return name;
}

/** An ES module whose default export is a memory store of `records` and a client of the fake; `close` saves the store to `saved`. */
function memoryConfigModule(fake: FakeNovita, records: InstanceRecord[], saved: string, extra = ''): string {
  return writeModule(
    'mjs',
    `import { writeFileSync } from 'node:fs';
import { createMemoryStore } from ${JSON.stringify(core())};
import { createNovitaClient } from ${JSON.stringify(novita())};
const store = createMemoryStore({ records: ${JSON.stringify(records)} });
export default {
  store,
  novitaClient: createNovitaClient({ apiKey: ${JSON.stringify(fake.apiKey)}, baseUrl: ${JSON.stringify(fake.url)} }),
  close: async () => writeFileSync(${JSON.stringify(saved)}, JSON.stringify(await store.list())),
  ${extra}
};`,
  );
}

/** Runs the binary in the temp folder, so `--config ./<name>` is relative to it, with only `env`. */
const cli = (args: string[], env: Record<string, string | undefined> = {}) => runBinary(build, args, env, folder);

const savedRecords = (path: string): Record<string, InstanceRecord> =>
  Object.fromEntries((JSON.parse(readFileSync(path, 'utf8')) as InstanceRecord[]).map((record) => [record.id, record]));

describe('novita-reconcile --config (built binary)', () => {
  it('an ES module supplies a memory store and a client: a run without REDIS_URL or NOVITA_API_KEY, and close() is called after it', async () => {
    const { fake, records } = await fakeWithRecords();
    const saved = join(folder, 'saved-esm.json');
    const name = memoryConfigModule(fake, records, saved);
    const { code, stdout, stderr } = await cli(['--config', `./${name}`, '--detailed-exitcode']);
    expect({ code, stderr }).toEqual({ code: 5, stderr: '' });
    expect(stdout).toMatch(/applied\s+markTerminated\s+vanished/);
    const after = savedRecords(saved);
    expect(after.vanished?.status).toBe('terminated');
    expect(after['stopped-at-novita']?.status).toBe('stopped');
    expect(after['still-running']?.status).toBe('running');
  });

  it("scope and priceOf from the module: novitaOnly 'stop' previews the old orphan (exit 5), then stops only it", async () => {
    const fake = await startFakeNovita({ apiKey: CANARY_KEY });
    cleanups.push(() => fake.close());
    const now = Date.now();
    const records: InstanceRecord[] = [];
    for (let i = 0; i < 4; i += 1) {
      const instance = fake.addInstance({ name: `app-recorded-${i}`, createdAtMs: now - DAY });
      records.push(running(`job-${i}`, instance.id));
    }
    const old = fake.addInstance({ name: 'app-orphan', createdAtMs: now - DAY });
    const young = fake.addInstance({ name: 'app-new', createdAtMs: now - 60_000 });
    const other = fake.addInstance({ name: 'other-env', createdAtMs: now - DAY });
    const saved = join(folder, 'saved-orphans.json');
    const name = memoryConfigModule(
      fake,
      records,
      saved,
      `scope: { instance: (instance) => String(instance.name).startsWith('app-') },
  priceOf: () => 0.69,
  policy: { novitaOnly: 'stop' },`,
    );
    const preview = await cli(['--config', `./${name}`, '--dry-run', '--detailed-exitcode']);
    expect({ code: preview.code, stderr: preview.stderr }).toEqual({ code: 5, stderr: '' });
    expect(preview.stdout).toContain('Orphans (in scope, no record): 2, costing 1.38 USD/h');
    expect(preview.stdout).toContain('Orphans to end: 1 (a real run would stop 1)');
    expect(preview.stdout).toContain(`planned stop ${old.id} (app-orphan, 1440 min old)`);
    expect(fake.getInstance(old.id)?.status).toBe('running');
    const real = await cli(['--config', `./${name}`]);
    expect({ code: real.code, stderr: real.stderr }).toEqual({ code: 0, stderr: '' });
    expect(real.stdout).toContain('Orphans ended: 1 stopped');
    expect(fake.getInstance(old.id)?.status).not.toBe('running');
    expect(fake.getInstance(young.id)?.status).toBe('running');
    expect(fake.getInstance(other.id)?.status).toBe('running');
  });

  it("without scope in the module, novitaOnly 'stop' is refused before Novita is asked anything (exit 2)", async () => {
    const { fake, records } = await fakeWithRecords();
    const name = memoryConfigModule(fake, records, join(folder, 'saved-refused.json'), `policy: { novitaOnly: 'stop' },`);
    fake.clearRequests();
    const { code, stderr } = await cli(['--config', `./${name}`]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/policy\.novitaOnly.*scope\.instance/);
    expect(fake.requests).toEqual([]);
  });

  it('a CommonJS module works, and its policy wins over the SYNC_* variable', async () => {
    const { fake } = await fakeWithRecords();
    const gone = ['gone-1', 'gone-2', 'gone-3'].map((id, index) => running(id, `ffff00000000000${index + 1}`));
    const name = writeModule(
      'cjs',
      `const { createMemoryStore } = require(${JSON.stringify(join(build, 'index.cjs'))});
const { createNovitaClient } = require(${JSON.stringify(join(build, 'novita.cjs'))});
module.exports = {
  store: createMemoryStore({ records: ${JSON.stringify(gone)} }),
  novitaClient: createNovitaClient({ apiKey: ${JSON.stringify(fake.apiKey)}, baseUrl: ${JSON.stringify(fake.url)} }),
  policy: { safetyMinRecords: 2 },
};`,
    );
    const { code, stderr } = await cli(['--config', name, '--dry-run'], { SYNC_SAFETY_MIN_RECORDS: '100' });
    expect(code, 'safetyMinRecords 2 from the module trips; 100 from the environment would not').toBe(4);
    expect(stderr).toMatch(/safety limit tripped/);
  });

  it('an exported function (named config) builds the client from the env it is given; the Redis store and lock come from the environment', async () => {
    const { env, fake, record, store } = await harness.scene((novitaFake) => {
      const [alive] = novitaFake.addInstances(1, () => ({ status: 'exited', createdAtMs: Date.now() - DAY }));
      return [running('alive', alive?.id ?? '')];
    });
    const name = writeModule(
      'mjs',
      `import { createNovitaClient } from ${JSON.stringify(novita())};
export const config = async ({ env }) => ({ novitaClient: createNovitaClient({ apiKey: env.FAKE_NOVITA_KEY, baseUrl: env.FAKE_NOVITA_URL }) });`,
    );
    const { NOVITA_API_KEY: _key, NOVITA_API_BASE_URL: _url, ...redisOnly } = env;
    const { code, stdout } = await cli([`--config=${name}`], { ...redisOnly, FAKE_NOVITA_KEY: fake.apiKey, FAKE_NOVITA_URL: fake.url });
    expect(code).toBe(0);
    expect(stdout).toMatch(/applied\s+refresh\s+alive\s+running -> stopped/);
    expect((await record('alive'))?.status).toBe('stopped');
    expect(await harness.redis.exists(store.keys.lock), 'the Redis lock was taken and released').toBe(0);
  });

  it('close() is called when the run cannot start too', async () => {
    const { fake, records } = await fakeWithRecords();
    const saved = join(folder, 'saved-failure.json');
    const name = writeModule(
      'mjs',
      `import { writeFileSync } from 'node:fs';
import { createMemoryStore } from ${JSON.stringify(core())};
export default { store: createMemoryStore({ records: ${JSON.stringify(records)} }), close: () => writeFileSync(${JSON.stringify(saved)}, '[]') };`,
    );
    const { code, stderr } = await cli(['--config', name]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/configuration error: NOVITA_API_KEY: is required: .*or supply novitaClient from a --config module/);
    expect(readFileSync(saved, 'utf8')).toBe('[]');
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['a missing file', () => 'no-such-config.mjs', /--config no-such-config\.mjs: no such file \(looked for .*no-such-config\.mjs\)/],
    [
      'a module that throws',
      () => writeModule('mjs', `throw new Error('boom at import');`),
      /--config config-\d+\.mjs: importing it failed: boom at import/,
    ],
    [
      'a module without a default or config export',
      () => writeModule('mjs', 'export const store = {};'),
      /--config config-\d+\.mjs: exports nothing to use: give it a default export/,
    ],
    [
      'a default export that is not an object',
      () => writeModule('mjs', 'export default 42;'),
      /--config config-\d+\.mjs: export: must be an object .*\(got 42\)/,
    ],
    [
      'a misspelt field',
      () => writeModule('mjs', 'export default { stroe: {} };'),
      /--config config-\d+\.mjs: stroe: is not an option of a novita-reconcile config; did you mean "store"\?/,
    ],
    [
      'a store without writeBatch',
      () => writeModule('mjs', 'export default { store: { readBatches() {} } };'),
      /--config config-\d+\.mjs: store\.writeBatch: must be a function/,
    ],
    [
      'a client without getInstance',
      () => writeModule('mjs', 'export default { novitaClient: { listInstances() {} } };'),
      /--config config-\d+\.mjs: novitaClient\.getInstance: must be a function/,
    ],
    [
      'a bad policy field',
      () => writeModule('mjs', 'export default { policy: { obsoleteRetentionDays: -1 } };'),
      /--config config-\d+\.mjs: policy\.obsoleteRetentionDays: /,
    ],
    [
      'a logger that is not one',
      () => writeModule('mjs', "export default { logger: { warn: 'loud' } };"),
      /--config config-\d+\.mjs: logger\.warn: must be a function/,
    ],
  ])('%s exits 2 naming the module and the field', async (_case, module, message) => {
    const { fake } = await fakeWithRecords();
    const { code, stdout, stderr } = await cli(['--config', module()], {
      NOVITA_API_KEY: CANARY_KEY,
      NOVITA_API_BASE_URL: fake.url,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^novita-reconcile: configuration error: ${message.source}`));
    expect(fake.requests).toHaveLength(0);
  });
});
