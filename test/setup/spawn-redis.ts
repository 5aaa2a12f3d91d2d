import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server process started for tests. */
export interface RedisProcess {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGKILL when `abrupt`, as a crash would) and waits for it to exit. */
  stop(options?: { abrupt?: boolean }): Promise<void>;
  /** Starts the same server again on the same port and data directory (data survives with `persist`). */
  restart(): Promise<void>;
}

/** Options of {@link spawnRedis}. */
export interface SpawnRedisOptions {
  /** Keep data across `restart()` with an append-only file fsynced on every write. @default false */
  persist?: boolean;
  /** Extra redis-server arguments, for example `['--cluster-enabled', 'yes']`. */
  args?: string[];
  /** The port; a free one when omitted. */
  port?: number;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a throwaway `redis-server` on loopback with no snapshots. Tests that restart or flush Redis
 * use one of their own so they never disturb the shared server other test files use.
 */
export async function spawnRedis(options: SpawnRedisOptions = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'novita-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persist ? 'yes' : 'no',
    ...(options.persist ? ['--appendfsync', 'always'] : []),
    ...(options.args ?? []),
  ];
  let child: ChildProcess = await start(args);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop({ abrupt = false } = {}) {
      await kill(child, abrupt ? 'SIGKILL' : 'SIGTERM');
      if (!options.persist) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      child = await start(args);
    },
  };
}

async function start(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) => fail(new Error(`cannot run redis-server (${error.message}); install it or set REDIS_URL`)));
    const onEarlyExit = (code: number | null) => fail(new Error(`redis-server exited with code ${code}:\n${output}`));
    child.once('exit', onEarlyExit);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  });
  // Drain the pipes so a chatty server never blocks on a full buffer.
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
