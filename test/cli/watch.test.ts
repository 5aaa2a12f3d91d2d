/**
 * `novita-reconcile watch` through the built binary: it runs the schedule (a run at once, then every
 * interval), stays alive although the schedule's timer is unref'd, and on SIGTERM or SIGINT lets the run
 * in flight finish, releases the lock and exits 0; a second signal exits at once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, spawnCli, type RunningCli } from '../support/built-cli.js';
import { CANARY_KEY, cliHarness, mixedFleet } from '../support/cli-scene.js';

// The one CLI harness: this file's Redis, its cleanups and its scenes; the built package on top.
const harness = cliHarness();
const { cleanups, scene } = harness;
let build: string;
beforeAll(() => {
  build = buildPackage();
}, 300_000);

function watch(args: string[], env: Record<string, string | undefined>): RunningCli {
  const running = spawnCli(build, ['watch', ...args], env);
  cleanups.push(async () => {
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    await running.exited;
  });
  return running;
}

const sightings = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe('novita-reconcile watch (built binary)', () => {
  it('runs at once and then on the interval, stays alive between runs, and exits 0 on SIGTERM with the lock released', async () => {
    const { env, record, store } = await scene(mixedFleet);
    // 0.01 minutes: the schedule's shortest delay, one second.
    const command = watch([], { ...env, SYNC_INTERVAL_MINUTES: '0.01' });
    await command.waitFor('stdout', /Sync completed\.[\s\S]*Sync completed\./);
    expect((await record('vanished'))?.status).toBe('terminated');
    expect(command.child.exitCode, "the unref'd schedule timer alone would have let it exit").toBeNull();
    command.child.kill('SIGTERM');
    const result = await command.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM received');
    expect(result.stderr).toMatch(/info: Automatic sync started .*"runImmediately":true/);
    expect(result.stderr).toContain('info: Automatic sync stopped');
    expect(result.stdout + result.stderr).not.toContain(CANARY_KEY);
    expect(await harness.redis.exists(store.keys.lock)).toBe(0);
  });

  it('SIGINT lets the run in flight finish, then exits 0', async () => {
    const { env, fake, record } = await scene(mixedFleet);
    fake.fault({ endpoint: 'list', kind: 'latency', ms: 1_500, times: 1 });
    const command = watch([], env);
    while (!fake.requests.some((request) => request.endpoint === 'list')) await new Promise((resolve) => setTimeout(resolve, 20));
    command.child.kill('SIGINT');
    const result = await command.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGINT received');
    expect(sightings(result.stdout, /Sync completed\./g), 'the run that was reading the listing completed').toBe(1);
    expect((await record('vanished'))?.status).toBe('terminated');
  });

  it('a second signal exits at once (130) while a run hangs', async () => {
    const { env, fake } = await scene(mixedFleet);
    fake.fault({ endpoint: 'list', kind: 'hang', times: Infinity });
    const command = watch([], env);
    while (!fake.requests.some((request) => request.endpoint === 'list')) await new Promise((resolve) => setTimeout(resolve, 20));
    command.child.kill('SIGTERM');
    await command.waitFor('stderr', /SIGTERM received/);
    command.child.kill('SIGTERM');
    const result = await command.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('SIGTERM again; exiting without waiting');
  });

  it('--json prints each run as one line of JSON', async () => {
    const { env } = await scene(mixedFleet);
    const command = watch(['--json'], env);
    await command.waitFor('stdout', /\n/);
    command.child.kill('SIGTERM');
    const result = await command.exited;
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ dryRun: false, markedTerminated: 1, updated: 1 });
  });

  it('a failed run is reported on stderr and the schedule carries on', async () => {
    const { env, fake } = await scene(mixedFleet);
    fake.fault({ endpoint: 'list', kind: 'error', status: 401, times: 1 });
    const command = watch([], { ...env, SYNC_INTERVAL_MINUTES: '0.01' });
    await command.waitFor('stdout', /Sync completed\./);
    command.child.kill('SIGTERM');
    const result = await command.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/error: Scheduled sync failed; the next one runs on schedule .*NOVITA_AUTH/);
  });

  it('exits 2 when the policy disables automatic sync: there is nothing to schedule', async () => {
    const { env, fake } = await scene(mixedFleet);
    const result = await watch([], { ...env, SYNC_ENABLE_AUTOMATIC_SYNC: 'false' }).exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/enableAutomaticSync is false \(SYNC_ENABLE_AUTOMATIC_SYNC/);
    expect(fake.requests).toHaveLength(0);
  });
});
