/**
 * `novita-reconcile hold` / `release`: the hold switch, configured like the other commands, on the
 * test Redis; and a single run's summary and exit while it is set.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/cli-args.js';
import { runCli } from '../../src/cli/main.js';
import { readHold } from '../../src/index.js';
import { cliScene, running } from '../support/cli-scene.js';
import { connectRedis } from '../support/redis-test-kit.js';

const redis = connectRedis();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(() => redis.quit());

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) } } as never,
  };
}

describe('novita-reconcile hold / release: arguments', () => {
  it('parses the commands and their flags, and refuses the flags of other commands', () => {
    expect(parseCliArgs(['hold', '--reason', 'incident 42', '--by', 'alice'])).toEqual({
      ok: true,
      request: { command: 'hold', flags: { reason: 'incident 42', by: 'alice', json: false, config: undefined } },
    });
    expect(parseCliArgs(['release', '--json'])).toMatchObject({ ok: true, request: { command: 'release', flags: { json: true } } });
    expect(parseCliArgs(['release', '--reason', 'x'])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/--reason is a flag of novita-reconcile hold/),
    });
    expect(parseCliArgs(['hold', '--dry-run'])).toMatchObject({ ok: false });
    expect(parseCliArgs(['hold', '--help'])).toEqual({ ok: true, request: { command: 'help', topic: 'hold' } });
  });
});

describe('novita-reconcile hold / release on Redis', () => {
  it('sets the hold for every run on the prefix (who and why shown), and release clears it', async () => {
    const scene = await cliScene(redis, cleanups, (fake) => {
      const gone = fake.addInstance({ status: 'running' });
      fake.removeInstance(gone.id);
      return [running('vanished', gone.id)];
    });
    const { NOVITA_API_KEY: _key, NOVITA_API_BASE_URL: _url, ...storeEnv } = scene.env;
    const held = io();
    expect(await runCli(['hold', '--reason', 'incident 42', '--by', 'alice', '--json'], storeEnv, held.io)).toBe(0);
    expect(JSON.parse(held.out.join(''))).toMatchObject({ hold: { reason: 'incident 42', by: 'alice' } });
    expect(await readHold(scene.store)).toMatchObject({ reason: 'incident 42', by: 'alice' });

    const run = io();
    expect(await runCli([], scene.env, run.io)).toBe(0);
    const summary = run.out.join('');
    expect(summary).toContain('1 record held back by a limit on destructive actions (the hold held 1)');
    expect(summary).toMatch(/Destructive limits: HOLD set by alice at \S+ \(incident 42\)/);
    expect((await scene.record('vanished'))?.status).toBe('running');

    const released = io();
    expect(await runCli(['release'], storeEnv, released.io)).toBe(0);
    expect(released.out.join('')).toMatch(/Hold released \(it was set by alice at \S+: incident 42\)/);
    const again = io();
    expect(await runCli(['release'], storeEnv, again.io)).toBe(0);
    expect(again.out.join('')).toContain('No hold was set');
    expect(await runCli([], scene.env, io().io)).toBe(0);
    expect((await scene.record('vanished'))?.status).toBe('terminated');
  });

  it('refuses a --config store that cannot keep a hold, with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hold-config-'));
    const module = join(dir, 'bare-store.mjs');
    writeFileSync(module, 'export default { store: { readBatches: async function* () {}, writeBatch: async () => [] } };\n');
    const bare = io();
    expect(await runCli(['hold', '--config', module], {}, bare.io)).toBe(2);
    expect(bare.err.join('')).toMatch(/cannot keep a hold/);
  });

  it('says REDIS_URL is needed when nothing supplies a store', async () => {
    const none = io();
    expect(await runCli(['release'], {}, none.io)).toBe(2);
    expect(none.err.join('')).toMatch(/REDIS_URL/);
  });
});
