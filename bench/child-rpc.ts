/**
 * The bench's helper processes (the fake Novita, the latency proxy, one process per fleet size) and
 * how the bench calls into them: a method name and JSON arguments over the IPC channel, an answer or
 * an error back. Helpers live in processes of their own so that their CPU never counts as the
 * library's, and so that the library's CPU never delays their timers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Methods a helper serves: JSON in, JSON (or nothing) out. */
export type Handlers = Record<string, (...args: never[]) => unknown>;

interface Call {
  id: number;
  method: string;
  args: unknown[];
}

type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** A helper process and the methods it serves. */
export interface Helper<H extends Handlers> {
  call<M extends keyof H & string>(method: M, ...args: Parameters<H[M]>): Promise<Awaited<ReturnType<H[M]>>>;
  /** Ends the process and waits for it to exit. */
  stop(): Promise<void>;
  /** The last few kilobytes the process wrote, when started `quiet` (else empty). */
  output(): string;
  readonly process: ChildProcess;
}

/** Options of {@link startHelper}. */
export interface HelperOptions {
  /** Keep the process's output (its last 8 KB, see {@link Helper.output}) instead of passing it through. @default false */
  quiet?: boolean;
}

/**
 * Forks `module` (a path relative to this folder) with this process's loader flags (tsx) plus
 * `nodeFlags`, and waits until it reports ready.
 */
export async function startHelper<H extends Handlers>(
  module: string,
  nodeFlags: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: HelperOptions = {},
): Promise<Helper<H>> {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const child = fork(path, [], {
    execArgv: [...process.execArgv, ...nodeFlags],
    env: { ...process.env, ...env },
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let exited: Error | undefined;
  child.on('message', (message: Answer | 'ready') => {
    if (message === 'ready') return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`${module}: ${message.error}`));
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`${module} exited (${signal ?? `code ${code}`})`);
    for (const waiter of pending.values()) waiter.reject(exited);
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (message !== 'ready') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve();
    };
    const onExit = (): void => reject(exited ?? new Error(`${module} exited before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  return {
    process: child,
    output: () => output,
    call(method, ...args) {
      if (exited) return Promise.reject(exited);
      const id = nextId;
      nextId += 1;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, args } satisfies Call);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** In a helper process: answers the parent's calls with `handlers`, then tells the parent it is ready. */
export function serveParent(handlers: Handlers): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module is a helper process of the bench; run `npm run bench` instead');
  process.on('message', (message: Call) => {
    const handler = handlers[message.method] as ((...args: unknown[]) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no method ${message.method}`);
        return handler(...message.args);
      })
      .then(
        (value) => send({ id: message.id, ok: true, value: value ?? null } satisfies Answer),
        (error: unknown) =>
          send({
            id: message.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Answer),
      );
  });
  // The parent going away ends the helper, whatever state it is in.
  process.on('disconnect', () => process.exit(0));
  send('ready');
}
