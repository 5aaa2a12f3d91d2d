/**
 * The progress line of `novita-reconcile`, in process (`runInProcess` of the CLI harness) with a stderr that says it is a
 * terminal (`isTTY: true`), against the test Redis and the fake Novita over loopback. (That stderr as
 * a pipe shows no progress is checked through the built binary in binary.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { CliOutput } from '../../src/cli/main.js';
import { cliHarness, DAY, running, runInProcess } from '../support/cli-scene.js';

const harness = cliHarness();

const ERASE = '\r\u001b[2K';

/** 250 instances (3 pages), 5 records Novita says exited (5 writes) and 2 whose instance is gone (2 confirmations, 2 writes). */
const busyScene = () =>
  harness.scene((fake) => {
    const instances = fake.addInstances(250, (index) => ({ status: index < 5 ? 'exited' : 'running', createdAtMs: Date.now() - DAY }));
    const exited = fake.listInstances().filter((instance) => instance.status === 'exited');
    expect(instances).toHaveLength(250);
    return [
      ...exited.map((instance, index) => running(`exited-${index}`, instance.id)),
      running('gone-1', 'ffff000000000001'),
      running('gone-2', 'ffff000000000002'),
    ];
  });

const runWithTerminal = (argv: string[], env: Record<string, string | undefined>, terminal: Partial<CliOutput> = {}) =>
  runInProcess(argv, env, { terminal });

/** Each state the progress line was drawn in. */
const drawn = (stderr: string): string[] =>
  stderr
    .split(ERASE)
    .map((part) => part.split('\n')[0] ?? '')
    .filter((part) => part.startsWith('novita-reconcile: ') && !part.includes(':', 'novita-reconcile: '.length));

describe('novita-reconcile progress on a terminal', () => {
  it('shows pages of total, records read, confirmations of total and writes applied, on stderr only, and clears it before the summary', async () => {
    const { env } = await busyScene();
    const { code, stdout, stderr } = await runWithTerminal([], env);
    expect(code).toBe(0);
    const states = drawn(stderr);
    expect(states.some((state) => state.includes('Novita page 3 of 3'))).toBe(true);
    expect(states.some((state) => state.includes('7 records read'))).toBe(true);
    expect(states.some((state) => state.includes('confirmations 2 of 2'))).toBe(true);
    expect(states.at(-1)).toBe('novita-reconcile: Novita page 3 of 3, 7 records read, confirmations 2 of 2, writes 7 of 7 applied');
    expect(stderr.endsWith(ERASE), 'the line is erased when the run ends').toBe(true);
    expect(stdout).not.toContain('\r');
    expect(stdout).toMatch(/^Sync completed\. 7 actions:/);
  });

  it('a warning printed mid-run starts on a clean line', async () => {
    const { env, fake } = await busyScene();
    fake.fault({ endpoint: 'get', kind: 'error', status: 400, reason: 'VALIDATOR_PARAM', times: Infinity });
    const { stderr } = await runWithTerminal([], env);
    const starts = [...stderr.matchAll(/novita-reconcile: warning: Could not confirm/g)].map((match) => match.index);
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) {
      const before = stderr.slice(0, start);
      expect(
        before === '' || before.endsWith('\n') || before.endsWith(ERASE),
        'the progress line was erased (or never drawn) before the warning',
      ).toBe(true);
    }
  });

  it('cuts the line to the terminal width', async () => {
    const { env } = await busyScene();
    const { stderr } = await runWithTerminal(['--dry-run'], env, { columns: 40 });
    const states = drawn(stderr);
    expect(states.length).toBeGreaterThan(0);
    for (const state of states) expect(state.length).toBeLessThanOrEqual(39);
  });

  it('with --json, stdout is still exactly one JSON document', async () => {
    const { env } = await busyScene();
    const { stdout, stderr } = await runWithTerminal(['--dry-run', '--json'], env);
    expect(drawn(stderr).length).toBeGreaterThan(0);
    expect(JSON.parse(stdout)).toMatchObject({ dryRun: true, novitaInstances: 250 });
  });
});
