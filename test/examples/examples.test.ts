/** The examples in examples/ run as documented (against the test Redis where they need one). */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRedisUrl } from '../support/redis-test-kit.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/tsx/dist/cli.mjs');
const runExample = (file: string, env: Record<string, string> = {}): string =>
  execFileSync('node', [tsx, `examples/${file}`], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('examples', () => {
  it('redis-and-fake-novita.ts refreshes one record, terminates another and audits the termination', () => {
    const output = runExample('redis-and-fake-novita.ts', { REDIS_URL: requireRedisUrl() });
    expect(output).toMatch(/refresh rec-1: running -> stopped \(status-changed\)/);
    expect(output).toMatch(/markTerminated rec-2: running -> terminated \(instance-not-found\)/);
    expect(output).toMatch(/audit: mark-terminated rec-2 \(instance-not-found/);
  });

  it('novita-client.ts lists, survives a 503, refuses a short listing, creates and deletes', () => {
    const output = runExample('novita-client.ts');
    expect(output).toMatch(/listed 25 of 25/);
    expect(output).toMatch(/refused: Novita listing incomplete/);
    expect(output).toMatch(/after delete: gone \(null\)/);
  });
});
