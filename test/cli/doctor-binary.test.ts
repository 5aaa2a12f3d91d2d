/**
 * `novita-reconcile doctor` as users run it: the built binary, against the fake Novita over loopback
 * and the test Redis. Green in the default shape; a failed check exits 1; no secret is printed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeNovitaVariants } from '../../src/testing/index.js';
import { buildPackage } from '../support/built-cli.js';
import { CANARY_KEY, cliHarness, mixedFleet, runBinary } from '../support/cli-scene.js';

let build: string;
beforeAll(() => {
  build = buildPackage();
}, 300_000);
const harness = cliHarness();

/** The built binary, from this directory, with only `env`; the harness checks that the key is never printed. */
const doctor = (args: string[], env: Record<string, string | undefined>) => runBinary(build, ['doctor', ...args], env, process.cwd());

describe('novita-reconcile doctor (built binary)', () => {
  it('runs green against the fake in its default shape: exit 0, a line per check, nothing secret', async () => {
    const { env } = await harness.scene(mixedFleet);
    const result = await doctor([], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^ok +API key +Novita accepted the key/m);
    expect(result.stdout).toMatch(/^ok +Not-found answer +.*HTTP 400 RESOURCE_NOT_FOUND/m);
    expect(result.stdout).toMatch(/^ok +Redis +reachable/m);
    expect(result.stdout).toMatch(/^doctor: \d+ ok, \d+ warn, 0 fail\n$/m);
  });

  it('exits 1 when a check fails (a refused key), with --json on stdout', async () => {
    const { env } = await harness.scene(mixedFleet, fakeNovitaVariants['refused-key-403']);
    const result = await doctor(['--json'], { ...env, NOVITA_API_KEY: `${CANARY_KEY}x` });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ id: string; status: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.id === 'novita.key')?.status).toBe('fail');
  });

  it('prints its help', async () => {
    const result = await doctor(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: novita-reconcile doctor [--json] [--config <module>] [--capture <dir>]');
  });
});
