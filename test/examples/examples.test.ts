/**
 * The examples in examples/ run by the command their header gives (against the test Redis where they
 * need one). They import the package by name, which resolves to the build (npm run build).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exampleCommand, ROOT, spawnable } from '../support/example-commands.js';
import { requireRedisUrl } from '../support/redis-test-kit.js';

/** Runs the first command of `file`'s header from the repository root, with `env` over the header's placeholders. */
const runExample = (file: string, env: Record<string, string> = {}): string => {
  const { file: program, args, env: commandEnv } = spawnable(exampleCommand(file), env);
  return execFileSync(program, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...commandEnv }, timeout: 60_000 });
};

describe('examples', () => {
  it('demo.ts (npm run demo): a dry run, a real run and a second run that writes nothing', () => {
    const output = runExample('examples/demo.ts');
    expect(output).toMatch(/dry run/i);
    expect(output).toMatch(/train-1/);
  });

  it('redis-and-fake-novita.ts refreshes one record, terminates another and audits the termination', () => {
    const output = runExample('examples/redis-and-fake-novita.ts', { REDIS_URL: requireRedisUrl() });
    expect(output).toMatch(/refresh rec-1: running -> stopped \(status-changed\)/);
    expect(output).toMatch(/markTerminated rec-2: running -> terminated \(instance-not-found\)/);
    expect(output).toMatch(/audit: mark-terminated rec-2 \(instance-not-found/);
  });

  it('novita-client.ts lists, survives a 503, refuses a short listing, creates and deletes', () => {
    const output = runExample('examples/novita-client.ts');
    expect(output).toMatch(/listed 25 of 25/);
    expect(output).toMatch(/refused: Novita listing incomplete/);
    expect(output).toMatch(/after delete: gone \(null\)/);
  });
});
