/**
 * The built package, for tests that run `novita-reconcile` as users do (`node dist/cli.js ...`).
 * `npm run build` writes into a private folder per source state (node_modules/.cache/...) rather than
 * dist/: the packed-tarball test rebuilds dist/ (and tsup cleans it first) while these tests run in
 * parallel. Test files share a build of the same sources, and a folder is complete before it is used.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const cacheRoot = join(root, 'node_modules/.cache/novita-reconciler-test-build');

function sourceHash(): string {
  const hash = createHash('sha256');
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
      return;
    }
    hash.update(path.slice(root.length)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const path of ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json']) visit(join(root, path));
  return hash.digest('hex').slice(0, 16);
}

/** Builds the package with `npm run build` (once per source state) and returns the folder of the build. */
export function buildPackage(): string {
  const hash = sourceHash();
  const folder = join(cacheRoot, hash);
  if (existsSync(join(folder, '.complete'))) return folder;
  mkdirSync(cacheRoot, { recursive: true });
  // One build at a time (the machine is shared): a test file that finds another building waits for it.
  const lock = join(cacheRoot, `.lock-${hash}`);
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(join(folder, '.complete'))) return folder;
      // A lock left by a crashed run is stale after a few minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held === undefined) continue;
      if (Date.now() - held.mtimeMs > 180_000 || Date.now() > deadline) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (existsSync(join(folder, '.complete'))) return folder;
    buildInto(hash, folder);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return folder;
}

function buildInto(hash: string, folder: string): void {
  const building = join(cacheRoot, `.building-${hash}-${randomBytes(4).toString('hex')}`);
  execFileSync('npm', ['run', 'build', '--silent', '--', '--out-dir', building], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(building, '.complete'), '');
  try {
    renameSync(building, folder);
  } catch {
    // Another test file finished the same build first: use that one.
    rmSync(building, { recursive: true, force: true });
  }
  for (const name of readdirSync(cacheRoot)) {
    if (name !== hash && !name.startsWith('.')) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
}

/** What a finished command printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running command. */
export interface RunningCli {
  child: ChildProcess;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves once stdout (or stderr) matches. Rejects when the command exits first. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the command exits. */
  exited: Promise<CliResult>;
}

/**
 * Starts `node <build>/cli.js ...args` with exactly `env` (plus PATH), never the test's own
 * environment. Asynchronous, so that a fake Novita in the test process can answer it.
 */
export function spawnCli(build: string, args: readonly string[], env: Record<string, string | undefined>, cwd: string = root): RunningCli {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) childEnv[name] = value;
  const child = spawn(process.execPath, [join(build, 'cli.js'), ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const notify = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    output.stdout += text;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    output.stderr += text;
    notify();
  });
  let done = false;
  const exited = new Promise<CliResult>((resolveExit) => {
    child.on('close', (code, signal) => {
      done = true;
      notify();
      resolveExit({ code, signal, ...output });
    });
  });
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    exited,
    waitFor(stream, pattern) {
      return new Promise((resolveMatch, reject) => {
        const check = (): void => {
          const match = pattern.exec(output[stream]);
          if (match) resolveMatch(match);
          else if (done)
            reject(
              new Error(`the command exited before its ${stream} matched ${pattern}:\nstdout: ${output.stdout}\nstderr: ${output.stderr}`),
            );
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Runs the built command to its end. */
export function runCliBinary(
  build: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<CliResult> {
  return spawnCli(build, args, env, cwd).exited;
}
