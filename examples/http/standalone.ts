/**
 * What lets each HTTP example also run on its own (`node --import tsx examples/http/express.ts`): the port and
 * host from the environment, the start-up lines, and a clean stop on SIGINT/SIGTERM. Not needed when
 * you copy an example's app into your own server.
 *
 * Part of: examples/http/express.ts (and every other HTTP example, which say how to run them)
 */
import { pathToFileURL } from 'node:url';
import { resolveAdminToken, type AdminToken } from './admin-token.js';
import { buildReconciler, type ExampleReconciler } from './reconciler.js';

/** Where an example listens: `PORT` (0 picks a free port) and `HOST`. */
export interface ListenOptions {
  /** @default Number(process.env.PORT), else 3000 */
  port?: number;
  /** Loopback unless told otherwise: the endpoints change records. @default process.env.HOST, else '127.0.0.1' */
  host?: string;
  /** Where the reconciler and the admin token are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A started example. */
export interface RunningExample {
  /** The base URL, `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly built: ExampleReconciler;
  readonly admin: AdminToken;
  /** Stops the server, then releases the reconciler's connections. */
  close(): Promise<void>;
}

/** The options with their defaults applied. */
export function listenOptions(options: ListenOptions = {}): {
  port: number;
  host: string;
  env: Readonly<Record<string, string | undefined>>;
} {
  const env = options.env ?? process.env;
  const port = options.port ?? (env.PORT?.trim() ? Number(env.PORT) : 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT: must be a port number (got ${JSON.stringify(env.PORT)})`);
  return { port, host: options.host ?? (env.HOST?.trim() || '127.0.0.1'), env };
}

/** The reconciler and the admin token for an example, from `env`; nothing left open when either fails. */
export async function prepareExample(
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ built: ExampleReconciler; admin: AdminToken }> {
  const built = await buildReconciler(env);
  try {
    return { built, admin: resolveAdminToken(env, { generateIfUnset: built.mode === 'demo' }) };
  } catch (error) {
    await built.close();
    throw error;
  }
}

/** True when `moduleUrl` (pass `import.meta.url`) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

/** Starts an example, prints where it listens and how to call it, and stops it on SIGINT/SIGTERM. */
export async function runStandalone(name: string, start: () => Promise<RunningExample>): Promise<void> {
  const running = await start();
  const auth = `-H "authorization: Bearer ${running.admin.generated ? running.admin.token : '$ADMIN_TOKEN'}"`;
  // One write: a reader that waits for "listening" (a supervisor, the tests) has the token line too.
  const lines = [
    `${name} listening on ${running.url} (${running.built.mode === 'demo' ? 'demo: the fake Novita and a memory store' : 'Redis store, Novita from NOVITA_API_KEY'})`,
    ...(running.admin.generated ? [`ADMIN_TOKEN is not set; this run's token is ${running.admin.token}`] : []),
    `  curl ${auth} ${running.url}/api/instances`,
    `  curl ${auth} -d dryRun=true ${running.url}/api/instances/sync`,
  ];
  console.log(lines.join('\n'));
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
