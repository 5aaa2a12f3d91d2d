/**
 * Shared by examples-http.test.ts: a consumer project with the packed tarball and the frameworks
 * installed and examples/http copied in, the examples started in it as processes, a raw HTTP client
 * that sends exactly the headers a client sends, and the records a sync has work on.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { InstanceRecord } from '../../src/index.js';
import { createRedisStore, type RedisStore } from '../../src/redis/index.js';
import { type ExampleCommand, spawnable } from './example-commands.js';

const root = resolve(import.meta.dirname, '../..');

// The versions the repository pins; @nestjs/platform-express is what every Nest HTTP app has.
const DEPENDENCIES = [
  'express@5.3.0',
  'fastify@5.12.8',
  'hono@4.13.19',
  '@hono/node-server@2.1.9',
  '@nestjs/core@12.5.1',
  '@nestjs/common@12.5.1',
  '@nestjs/platform-express@12.5.1',
  'reflect-metadata@0.2.2',
  'rxjs@7.8.2',
  'ioredis@5.11.1',
];

/** Novita ids of the seeded fleet: alive (running), stopped (exited), vanished (not at Novita). */
export const IDS = { alive: 'a1a1a1a1a1a1a1a1', stopped: 'b2b2b2b2b2b2b2b2', vanished: 'c3c3c3c3c3c3c3c3' } as const;

export const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });

/**
 * A temporary workspace with `consumer/`: the tarball and the frameworks installed by `npm install`,
 * examples/http copied to `consumer/http`. The package is built into a directory of its own and packed
 * from there: the repository's dist/ may be rebuilt at the same moment by another test file, and a
 * tarball packed mid-build would test nothing real.
 */
export function prepareConsumer(): { workspace: string; consumer: string } {
  const workspace = mkdtempSync(join(tmpdir(), 'novita-reconciler-examples-http-'));
  const pkg = join(workspace, 'pkg');
  run('npx', ['tsup', '--silent', '--out-dir', join(pkg, 'dist')], root);
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', '.env.example']) cpSync(join(root, file), join(pkg, file));
  // Built above: the package's own prepack (build, API reference) has no sources to work on here.
  run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', workspace], pkg);
  const tarball = readdirSync(workspace).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');

  const consumer = join(workspace, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // At the same path as in the repository, so each example's header command runs as written from the project.
  cpSync(join(root, 'examples/http'), join(consumer, 'examples/http'), { recursive: true });
  // The project's tsconfig, which examples/http/nest/tsconfig.json extends (as it extends the repository's).
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        experimentalDecorators: true,
        skipLibCheck: true,
      },
    }),
  );
  run('npm', ['install', '--prefer-offline', '--no-package-lock', '--loglevel=error', join(workspace, tarball), ...DEPENDENCIES], consumer);
  // `node --import tsx` (the examples' headers) resolves tsx from the project: the repository's, linked.
  symlinkSync(join(root, 'node_modules/tsx'), join(consumer, 'node_modules/tsx'), 'dir');
  return { workspace, consumer };
}

/** The environment an example gets: nothing of this process's own, only what the example reads. */
export function exampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...extra };
}

/** An example running as its own process. */
export interface Example {
  port: number;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
}

/** Starts an example in the consumer project by its header's command, and resolves once it prints where it listens. */
export async function startExample(consumer: string, command: ExampleCommand, env: NodeJS.ProcessEnv): Promise<Example> {
  const entry = command.text;
  const spawned = spawnable(command, env);
  const child = spawn(spawned.file, spawned.args, { cwd: consumer, env: spawned.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    if (port) return { port: Number(port), child, output: () => output };
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before listening:\n${output}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not listen within 45 s:\n${output}`);
}

/** Stops an example as an orchestrator does (SIGTERM, SIGKILL 10 s later) and resolves its exit code. */
export async function stopExample(example: Example): Promise<number | null> {
  if (example.child.exitCode !== null) return example.child.exitCode;
  const exited = once(example.child, 'exit');
  example.child.kill('SIGTERM');
  const timer = setTimeout(() => example.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  return example.child.exitCode;
}

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  /** The parsed body, `undefined` when it is not JSON (a framework's own 401 page). */
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON the example answered.
  json: any;
}

/** One request with exactly these headers (plus Host and, with a body, Content-Length), as a client sends it. */
export async function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const sent = { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) };
  const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: sent });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

/** job-1 runs and Novita agrees; job-2's instance stopped (a sync refreshes it); job-3's is gone (a sync terminates it). */
export async function seedRecords(redis: Redis, prefix: string): Promise<RedisStore> {
  const store = createRedisStore({ redis, prefix });
  const created = new Date(Date.now() - 86_400_000).toISOString();
  const records: InstanceRecord[] = [IDS.alive, IDS.stopped, IDS.vanished].map((novitaInstanceId, index) => ({
    id: `job-${index + 1}`,
    novitaInstanceId,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  }));
  for (const record of records) await store.put(record);
  return store;
}

/** Every record, in a form two reads compare equal by when nothing changed. */
export const snapshot = async (store: RedisStore): Promise<string> =>
  JSON.stringify((await store.list()).sort((a, b) => a.id.localeCompare(b.id)));
