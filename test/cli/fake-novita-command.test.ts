/**
 * `novita-reconcile fake-novita` through the built binary: the fake Novita as a server of its own, on a
 * chosen port, with a seeded fleet whose timestamps are realistic, read with `createNovitaClient` and by
 * `novita-reconcile` itself; it stops on SIGTERM and frees its port.
 */
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNovitaClient } from '../../src/novita/index.js';
import { freePort } from '../setup/spawn-redis.js';
import { requireRedisUrl, uniquePrefix } from '../support/redis-test-kit.js';
import { buildPackage, runCliBinary, spawnCli, type RunningCli } from '../support/built-cli.js';

let build: string;
beforeAll(() => {
  build = buildPackage();
}, 300_000);

const running: RunningCli[] = [];
afterEach(async () => {
  for (const command of running.splice(0)) {
    if (command.child.exitCode === null && command.child.signalCode === null) command.child.kill('SIGKILL');
    await command.exited;
  }
});

/** Starts the standalone fake and reads the base URL and key it prints. */
async function startStandalone(args: string[]): Promise<{ command: RunningCli; baseUrl: string; apiKey: string }> {
  const command = spawnCli(build, ['fake-novita', ...args], {});
  running.push(command);
  const [, baseUrl = '', apiKey = ''] = await command.waitFor('stdout', /^NOVITA_API_BASE_URL=(\S+)\nNOVITA_API_KEY=(\S+)\n/);
  return { command, baseUrl, apiKey };
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe('novita-reconcile fake-novita (built binary)', () => {
  it('serves the seeded fleet on the chosen port with the given key, with timestamps never in the future', async () => {
    const port = await freePort();
    const { command, baseUrl, apiKey } = await startStandalone([
      '--port',
      String(port),
      '--instances',
      '25',
      '--api-key',
      'sk_test_standalone',
    ]);
    expect(baseUrl).toBe(`http://127.0.0.1:${port}/gpu-instance/openapi/v1`);
    expect(apiKey).toBe('sk_test_standalone');
    await command.waitFor('stderr', /fake Novita serving 25 instances at \S+; stop it with Ctrl-C/);
    expect(command.stderr).toContain(`fake Novita serving 25 instances at ${baseUrl};`);

    const listing = await createNovitaClient({ apiKey, baseUrl }).listInstances();
    expect(listing.instances).toHaveLength(25);
    expect(new Set(listing.instances.map((instance) => instance.status))).toEqual(new Set(['running', 'exited', 'pulling']));
    const now = Date.now();
    for (const instance of listing.instances) {
      const created = Date.parse(instance.createdAt ?? '');
      expect(created).toBeLessThanOrEqual(now);
      if (instance.status === 'pulling') {
        expect(instance.lastStartedAt, 'an instance still pulling its image never started').toBeUndefined();
        continue;
      }
      const started = Date.parse(instance.lastStartedAt ?? '');
      expect(started).toBeGreaterThanOrEqual(created);
      expect(started).toBeLessThanOrEqual(now);
      if (instance.status === 'exited') {
        const stopped = Date.parse(instance.lastStoppedAt ?? '');
        expect(stopped).toBeGreaterThanOrEqual(started);
        expect(stopped).toBeLessThanOrEqual(now);
      } else {
        expect(instance.lastStoppedAt).toBeUndefined();
      }
    }
  });

  it('refuses another key, as Novita does', async () => {
    const { baseUrl } = await startStandalone(['--instances', '1', '--api-key', 'sk_test_right']);
    await expect(createNovitaClient({ apiKey: 'sk_test_wrong', baseUrl }).listInstances()).rejects.toMatchObject({ code: 'NOVITA_AUTH' });
  });

  it('--latency-ms delays every answer by at least that much', async () => {
    const { baseUrl, apiKey } = await startStandalone(['--instances', '1', '--latency-ms', '150']);
    const client = createNovitaClient({ apiKey, baseUrl });
    const started = performance.now();
    expect(await client.getInstance('ffff000000000001')).toBeNull();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('novita-reconcile itself can be pointed at it', async () => {
    const { baseUrl, apiKey } = await startStandalone(['--instances', '12']);
    const { code, stdout } = await runCliBinary(build, ['--list'], {
      NOVITA_API_BASE_URL: baseUrl,
      NOVITA_API_KEY: apiKey,
      REDIS_URL: requireRedisUrl(),
      REDIS_KEY_PREFIX: uniquePrefix('standalone'),
    });
    expect(code).toBe(0);
    expect(stdout).toContain('12 rows: 0 merged, 0 local only, 12 Novita only');
    expect(stdout).toMatch(/novita\s+-\s+[0-9a-f]{16}\s+-\s+running\s+fake-gpu-01/);
  });

  it('exits 0 on SIGTERM and frees its port', async () => {
    const port = await freePort();
    const { command } = await startStandalone(['--port', String(port)]);
    command.child.kill('SIGTERM');
    const result = await command.exited;
    expect(result.code).toBe(0);
    expect(await canListen(port)).toBe(true);
  });

  it('exits 1 naming the address when the port is taken', async () => {
    const { baseUrl } = await startStandalone([]);
    const port = new URL(baseUrl).port;
    const result = await runCliBinary(build, ['fake-novita', '--port', port], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`fake Novita could not listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('--help describes it and needs nothing else', async () => {
    const result = await runCliBinary(build, ['fake-novita', '--help'], {});
    expect(result.code).toBe(0);
    for (const flag of ['--port', '--host', '--instances', '--api-key', '--latency-ms']) expect(result.stdout).toContain(flag);
  });
});
