/**
 * The built `novita-reconcile` (`node <build>/cli.js`) against the test Redis and the fake Novita over
 * loopback: --detailed-exitcode, the summary's wording and caps, and a big fleet read through the
 * binary. stderr is a pipe here, so no progress line may appear on it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, runCliBinary } from '../support/built-cli.js';
import { CANARY_KEY, cliHarness, DAY, mixedFleet, running, settledFleet } from '../support/cli-scene.js';

// The one CLI harness: this file's Redis, its cleanups and its scenes; the built package on top.
const harness = cliHarness();
const { scene } = harness;
let build: string;
beforeAll(() => {
  build = buildPackage();
}, 300_000);

async function cli(args: string[], env: Record<string, string | undefined>) {
  const result = await runCliBinary(build, args, env);
  expect(result.stdout + result.stderr, 'the API key must never be printed').not.toContain(CANARY_KEY);
  return result;
}

describe('novita-reconcile --detailed-exitcode (built binary)', () => {
  it('exits 5 when a dry run finds actions, writing nothing; without the flag the same run exits 0', async () => {
    const { env, snapshot } = await scene(mixedFleet);
    const before = await snapshot();
    const detailed = await cli(['--dry-run', '--detailed-exitcode'], env);
    expect({ code: detailed.code, stderr: detailed.stderr }).toEqual({ code: 5, stderr: '' });
    expect(detailed.stdout).toMatch(/^Dry run: nothing written; a real run would take 2 actions:/);
    expect((await cli(['--dry-run'], env)).code).toBe(0);
    expect(await snapshot()).toBe(before);
  });

  it('exits 5 when a real run applied actions, then 0 once nothing is left to do', async () => {
    const { env, record } = await scene(mixedFleet);
    expect((await cli(['--detailed-exitcode'], env)).code).toBe(5);
    expect((await record('vanished'))?.status).toBe('terminated');
    const again = await cli(['--detailed-exitcode'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Sync completed\. 0 actions\./);
  });

  it('exits 0 when the fleet already agrees with Novita', async () => {
    const { env } = await scene(settledFleet);
    expect((await cli(['--dry-run', '--detailed-exitcode'], env)).code).toBe(0);
  });

  it('a tripped safety limit (4) and a failed run (1) take precedence over 5', async () => {
    const tripped = await scene((fake) => {
      const [alive] = fake.addInstances(1, () => ({ status: 'exited', createdAtMs: Date.now() - DAY }));
      return [
        running('alive', alive?.id ?? ''),
        running('gone-1', 'ffff000000000001'),
        running('gone-2', 'ffff000000000002'),
        running('gone-3', 'ffff000000000003'),
      ];
    });
    const held = await cli(['--dry-run', '--detailed-exitcode'], { ...tripped.env, SYNC_SAFETY_MIN_RECORDS: '2' });
    expect(held.stdout, 'the run did find an action: the refresh of "alive"').toMatch(/planned\s+refresh\s+alive/);
    expect(held.code).toBe(4);

    const failing = await scene(mixedFleet);
    failing.fake.fault({ endpoint: 'list', kind: 'error', status: 503, times: Infinity });
    const failed = await cli(['--dry-run', '--detailed-exitcode'], failing.env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/NOVITA/);
  });
});

describe('novita-reconcile summary (built binary)', () => {
  it('names the Novita status when only that changed, and counts in correct English', async () => {
    const { env } = await scene((fake) => {
      const [instance] = fake.addInstances(1, () => ({ createdAtMs: Date.now() - DAY }));
      const { novitaStatus: _unset, ...firstSeen } = running('first-seen', instance?.id ?? '');
      return [firstSeen];
    });
    const { code, stdout, stderr } = await cli(['--dry-run'], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Dry run: nothing written; a real run would take 1 action:/);
    expect(stdout).toMatch(/planned\s+refresh\s+first-seen\s+running, Novita status now running\s+status-changed/);
    expect(stdout).not.toMatch(/running -> running/);
    expect(stdout).toContain('Novita: 1 instance; without a record: none');
  });

  it('lists at most 10 Novita-only instances and counts the rest', async () => {
    const { env } = await scene((fake) => {
      fake.addInstances(25, (index) => ({ name: `stray-${index}`, createdAtMs: Date.now() - DAY }));
      return [];
    });
    const { code, stdout } = await cli(['--dry-run'], env);
    expect(code).toBe(0);
    const novitaLine = stdout.split('\n').find((line) => line.startsWith('Novita:')) ?? '';
    expect(novitaLine).toMatch(/^Novita: 25 instances; 25 without a record: /);
    expect(novitaLine.match(/\(stray-\d+, running, 14[34]\d min old\)/g)).toHaveLength(10);
    expect(novitaLine).toMatch(/, and 15 more \(--list shows them all\)$/);
  });

  it('names 3 records stuck pulling for 2 hours, and counts the orphans', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const { env, snapshot } = await scene((fake) => {
      fake.addInstances(2, (index) => ({ name: `stray-${index}`, createdAtMs: Date.now() - DAY }));
      return fake
        .addInstances(3, () => ({ status: 'pulling', createdAtMs: Date.now() - DAY }))
        .map((instance, index) =>
          running(`job-${index}`, instance.id, {
            status: 'starting',
            novitaStatus: 'pulling',
            timestamps: { created: twoHoursAgo, novitaStatusSince: twoHoursAgo },
          }),
        );
    });
    const before = await snapshot();
    const { code, stdout } = await cli([], env);
    expect(code).toBe(0);
    const stuckLine = stdout.split('\n').find((line) => line.startsWith('Stuck in a transition: 3 records: ')) ?? '';
    for (const id of ['job-0', 'job-1', 'job-2']) expect(stuckLine).toMatch(new RegExp(`${id} \\([0-9a-f]{16}, pulling for 120 min\\)`));
    expect(stdout).toContain('Orphans (in scope, no record): 2, cost unknown (no price: see priceOf)');
    expect(await snapshot(), 'report only: nothing written').toBe(before);
  });

  it('reads a 31-page listing through the binary with nothing on stderr: no listener warning, no progress on a pipe', async () => {
    const { env } = await scene((fake) => {
      const instances = fake.addInstances(3_050, () => ({ createdAtMs: Date.now() - DAY }));
      return instances.slice(0, 40).map((instance, index) => running(`job-${index}`, instance.id));
    });
    const { code, stdout, stderr } = await cli(['--dry-run'], env);
    expect(code).toBe(0);
    expect(stderr, 'no MaxListenersExceededWarning, no progress line').toBe('');
    expect(stdout).toMatch(/^Novita: 3050 instances; 3010 without a record: .*, and 3000 more/m);
  });
});
