/**
 * The package as users meet it: `npm pack` on a fresh clone (the tracked files only: no dist/, no
 * docs/api/, so the `prepack` script must build them), installed into a temporary project, imported
 * through its exports map from ESM and from CommonJS, and the demo example run against it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let project = '';
/** The paths in the tarball, without the leading `package/`. */
let packed: string[] = [];

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });

/** A fresh clone of the working tree: every file git tracks (or would: new files not ignored) as it is now, and the installed node_modules. */
function freshClone(into: string): string {
  const clone = join(into, 'clone');
  for (const file of run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(root, file), join(clone, file));
  }
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  return clone;
}

describe('the packed tarball', () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'novita-reconciler-pack-'));
    const clone = freshClone(project);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    run('npm', ['pack', '--pack-destination', project, '--silent'], clone);
    const tarball = readdirSync(project).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    packed = run('tar', ['-tzf', join(project, tarball)], project)
      .split('\n')
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, ''));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-package-lock', join(project, tarball)], project);
  }, 240_000);

  it('is built by npm pack itself on a fresh clone: dist/ (every entry point, both formats, their types), the CLI and the API reference', () => {
    for (const entry of ['index', 'redis', 'novita', 'testing']) {
      for (const suffix of ['.js', '.cjs', '.d.ts', '.d.cts']) expect(packed, `dist/${entry}${suffix}`).toContain(`dist/${entry}${suffix}`);
    }
    expect(packed).toContain('dist/cli.js');
    expect(packed).toContain('docs/api/README.md');
    // Nothing of the repository's own tooling or tests.
    expect(packed.filter((path) => /^(src|test|scripts|bench)\//.test(path))).toEqual([]);
  });

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('imports every entry point from ESM', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import * as core from 'novita-reconciler';
import * as testing from 'novita-reconciler/testing';
import * as novita from 'novita-reconciler/novita';
console.log(JSON.stringify({ core: typeof core.createReconciler, store: typeof core.createMemoryStore, guard: typeof core.isReconcilerError, contract: typeof testing.defineStoreContract, scripted: typeof testing.createScriptedNovitaClient, fake: typeof testing.startFakeNovita, client: typeof novita.createNovitaClient }));`,
    );
    expect(JSON.parse(run('node', ['esm.mjs'], project))).toEqual({
      core: 'function',
      store: 'function',
      guard: 'function',
      contract: 'function',
      scripted: 'function',
      fake: 'function',
      client: 'function',
    });
  });

  it('requires every entry point from CommonJS, and the error guard works across the two copies', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const core = require('novita-reconciler');
const testing = require('novita-reconciler/testing');
const novita = require('novita-reconciler/novita');
import('novita-reconciler').then((esm) => {
  const fromCjs = new core.SyncInProgressError();
  console.log(JSON.stringify({
    core: typeof core.createReconciler,
    client: typeof novita.createNovitaClient,
    contract: typeof testing.defineStoreContract,
    instanceofAcross: fromCjs instanceof esm.ReconcilerError,
    guardAcross: esm.isReconcilerError(fromCjs, 'SYNC_IN_PROGRESS'),
  }));
});`,
    );
    expect(JSON.parse(run('node', ['cjs.cjs'], project))).toEqual({
      core: 'function',
      client: 'function',
      contract: 'function',
      instanceofAcross: false,
      guardAcross: true,
    });
  });

  it('ships no ioredis import in the core entry', () => {
    writeFileSync(join(project, 'no-redis.mjs'), `await import('novita-reconciler'); console.log('ok');`);
    // ioredis is not installed in the consumer project: importing the core must still work.
    expect(run('node', ['no-redis.mjs'], project).trim()).toBe('ok');
  });

  it('loads the redis entry once ioredis, its peer dependency, is installed', () => {
    run('npm', ['install', '--prefer-offline', '--no-package-lock', 'ioredis@5'], project);
    writeFileSync(
      join(project, 'redis.mjs'),
      `import { createRedisStore, createRedisLock } from 'novita-reconciler/redis';
import { Redis } from 'ioredis';
const redis = new Redis({ lazyConnect: true });
const store = createRedisStore({ redis, prefix: 'pack-test' });
const lock = createRedisLock({ store });
console.log(JSON.stringify({ store: typeof store.writeBatch, lock: typeof lock.acquire }));
redis.disconnect();`,
    );
    writeFileSync(
      join(project, 'redis.cjs'),
      `const { createRedisStore } = require('novita-reconciler/redis'); console.log(typeof createRedisStore);`,
    );
    expect(JSON.parse(run('node', ['redis.mjs'], project))).toEqual({ store: 'function', lock: 'function' });
    expect(run('node', ['redis.cjs'], project).trim()).toBe('function');
  }, 120_000);

  it('installs the novita-reconcile command, which answers --version and refuses a run without REDIS_URL', () => {
    const version = (JSON.parse(run('node', ['-e', 'console.log(JSON.stringify(require("./package.json")))'], root)) as { version: string })
      .version;
    expect(run('npx', ['--no-install', 'novita-reconcile', '--version'], project).trim()).toContain(version);
    let exitCode = 0;
    let stderr = '';
    try {
      execFileSync('npx', ['--no-install', 'novita-reconcile'], {
        cwd: project,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, REDIS_URL: '', NOVITA_API_KEY: 'sk_canary_pack' },
      });
    } catch (error) {
      exitCode = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/REDIS_URL/);
    expect(stderr).not.toContain('sk_canary_pack');
  });

  it('ships LICENSE, the docs the README links to, and type-checks every entry under moduleResolution node10 (NestJS 10 starters)', () => {
    for (const file of [
      'LICENSE',
      'docs/redis.md',
      'docs/novita.md',
      'docs/http.md',
      'docs/cli.md',
      'docs/ownership-and-guards.md',
      'docs/deployment.md',
      'examples/ops/worker.ts',
      '.env.example',
    ]) {
      expect(existsSync(join(project, 'node_modules/novita-reconciler', file)), file).toBe(true);
    }
    // Every relative link of the README resolves inside the installed package (npm shows the README
    // without a repository to resolve them against).
    const installed = join(project, 'node_modules/novita-reconciler');
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1] as string)
      .filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect(existsSync(join(installed, link)), link).toBe(true);
    writeFileSync(
      join(project, 'node10.ts'),
      `import { createReconciler, type SyncReport } from 'novita-reconciler';
import { defineStoreContract } from 'novita-reconciler/testing';
import { createNovitaClient } from 'novita-reconciler/novita';
import type { RedisStore } from 'novita-reconciler/redis';
export const used: [typeof createReconciler, typeof defineStoreContract, typeof createNovitaClient, RedisStore | undefined, SyncReport | undefined] = [createReconciler, defineStoreContract, createNovitaClient, undefined, undefined];
`,
    );
    writeFileSync(
      join(project, 'tsconfig.node10.json'),
      JSON.stringify({
        compilerOptions: { module: 'commonjs', moduleResolution: 'node10', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['node10.ts'],
      }),
    );
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node10.json'], project);
  });

  it('serves the HTTP helpers from novita-reconciler/http (ESM and CommonJS), the very functions the root still re-exports; the CLI types resolve under node10', () => {
    writeFileSync(
      join(project, 'http.mjs'),
      `import * as http from 'novita-reconciler/http';
import * as core from 'novita-reconciler';
console.log(JSON.stringify({ sync: typeof http.createSyncHandler, node: typeof http.toNodeHandler, same: core.createSyncHandler === http.createSyncHandler }));`,
    );
    expect(JSON.parse(run('node', ['http.mjs'], project))).toEqual({ sync: 'function', node: 'function', same: true });
    writeFileSync(
      join(project, 'http.cjs'),
      `const http = require('novita-reconciler/http');
console.log(JSON.stringify({ sync: typeof http.createSyncHandler, fetch: typeof http.toFetchHandler }));`,
    );
    expect(JSON.parse(run('node', ['http.cjs'], project))).toEqual({ sync: 'function', fetch: 'function' });
    writeFileSync(
      join(project, 'entries-node10.ts'),
      `import { createSyncHandler, type SyncHandler } from 'novita-reconciler/http';
import type { CliConfig } from 'novita-reconciler/cli';
export const used: [typeof createSyncHandler, SyncHandler | undefined, CliConfig | undefined] = [createSyncHandler, undefined, undefined];
`,
    );
    writeFileSync(
      join(project, 'tsconfig.entries-node10.json'),
      JSON.stringify({
        compilerOptions: { module: 'commonjs', moduleResolution: 'node10', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['entries-node10.ts'],
      }),
    );
    run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.entries-node10.json'], project);
  });

  it('runs the demo example against the installed package', () => {
    cpSync(join(root, 'examples/demo.ts'), join(project, 'demo.ts'));
    const output = run('node', [join(root, 'node_modules/tsx/dist/cli.mjs'), 'demo.ts'], project);
    expect(output).toMatch(/== real run/);
    expect(output).toMatch(/applied\s+markTerminated\s+sweep-7/);
    expect(output).toMatch(/== second run\n\s+\(no actions/);
  });
});
