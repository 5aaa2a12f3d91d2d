/**
 * `novita-reconcile`: one reconcile run of the Redis store from a cron job, configured entirely from
 * the environment. `runCli` is the whole command, in process (tests call it directly); `bin.ts` only
 * hands it the process's argv, environment, streams and an AbortSignal for SIGINT/SIGTERM.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createReconciler, type Reconciler } from '../core/reconciler.js';
import { policyFromEnv, type SyncPolicy } from '../core/policy.js';
import type { ReconcilerLogger } from '../core/events.js';
import type { SyncReport } from '../core/report.js';
import { ConfigError, isReconcilerError, type ReconcilerError } from '../errors.js';
import { createNovitaClient, DEFAULT_NOVITA_BASE_URL } from '../novita/index.js';
import { scrubSecrets } from '../novita/redact.js';
import type { RedisStore } from '../redis/index.js';
import { HELP_TEXT, parseCliArgs, type CliFlags } from './cli-args.js';
import { summariseReport, summariseView } from './cli-summary.js';

/** A stream the command writes to: `process.stdout`, or anything with `write(text)`. */
export interface CliOutput {
  write(text: string): unknown;
}

/** Where the command writes. */
export interface CliIo {
  /** Summaries, the report or view as JSON, `--help`, `--version`. */
  stdout: CliOutput;
  /** Errors, warnings and why the exit code is not 0. */
  stderr: CliOutput;
}

/** Extra inputs of {@link runCli}. */
export interface RunCliOptions {
  /** Aborts the run (bin.ts fires it on SIGINT/SIGTERM); the command then exits 1. */
  signal?: AbortSignal;
  /** The version `--version` prints. @default the `version` of this package's package.json */
  version?: string;
}

/**
 * The exit codes of `novita-reconcile`.
 * `OK` 0, `RUN_FAILED` 1 (Novita, Redis, lock lost, interrupted), `USAGE` 2 (bad flag or environment
 * variable, named in the message), `SYNC_IN_PROGRESS` 3 (another run holds the lock), `SAFETY_TRIPPED` 4
 * (the safety limit held back obsolete handling; rerun with `--force` once Novita is checked).
 */
export const EXIT_CODES = Object.freeze({ OK: 0, RUN_FAILED: 1, USAGE: 2, SYNC_IN_PROGRESS: 3, SAFETY_TRIPPED: 4 } as const);

/**
 * Runs `novita-reconcile` in process and resolves its exit code; never rejects and never calls
 * `process.exit`. Reads configuration from `env` only (never `process.env`): `NOVITA_API_KEY`,
 * `NOVITA_API_BASE_URL`, `REDIS_URL` (required), `REDIS_KEY_PREFIX` and the `SYNC_*` policy variables.
 * Takes the Redis lock, so it never runs beside another replica's sync, and closes its Redis connection
 * before it resolves. Nothing it writes contains the API key or the Redis password.
 *
 * @param argv the arguments after the script path, for example `['--dry-run', '--json']`
 * @param env the environment, for example `process.env`
 * @param io where to write
 * @returns the exit code, see {@link EXIT_CODES}
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  options: RunCliOptions = {},
): Promise<number> {
  const secrets = secretsOf(env);
  const print = (stream: CliOutput, text: string): void => {
    stream.write(`${scrubSecrets(text, secrets)}\n`);
  };
  const out = (text: string): void => print(io.stdout, text);
  const fail = (text: string): void => print(io.stderr, `novita-reconcile: ${text}`);

  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    fail(`${parsed.message}\nRun novita-reconcile --help for the flags.`);
    return EXIT_CODES.USAGE;
  }
  const { flags } = parsed;
  if (flags.help) {
    io.stdout.write(HELP_TEXT);
    return EXIT_CODES.OK;
  }
  if (flags.version) {
    out(options.version ?? readPackageVersion());
    return EXIT_CODES.OK;
  }

  let store: RedisStore | undefined;
  try {
    const config = readConfig(env);
    const redisModule = await loadRedisModule();
    store = config.openStore(redisModule);
    const reconciler = createReconciler({
      store,
      lock: redisModule.createRedisLock({ store }),
      novitaClient: config.novitaClient,
      policy: config.policy,
      logger: stderrLogger((text) => fail(text)),
    });
    return flags.list ? await list(reconciler, flags, options.signal, out) : await sync(reconciler, flags, options.signal, out, fail);
  } catch (error) {
    return reportFailure(error, flags, out, fail);
  } finally {
    await store?.close().catch(() => undefined);
  }
}

async function sync(reconciler: Reconciler, flags: CliFlags, signal: AbortSignal | undefined, out: (text: string) => void, fail: (text: string) => void): Promise<number> {
  const report = await reconciler.sync({
    dryRun: flags.dryRun,
    forceSync: flags.force,
    handleObsoleteInstances: !flags.noObsolete,
    ...(signal ? { signal } : {}),
  });
  if (flags.json) out(JSON.stringify(report, null, 2));
  else for (const line of summariseReport(report)) out(line);
  if (report.safety.tripped && !report.safety.overridden) {
    fail(`safety limit tripped: ${report.safety.reason ?? `${report.safety.candidates} obsolete candidates of ${report.safety.eligible} records`}. Obsolete handling and retention were held back; status refreshes were ${report.dryRun ? 'planned' : 'applied'}. Check Novita, then rerun with --force to proceed.`);
    return EXIT_CODES.SAFETY_TRIPPED;
  }
  return EXIT_CODES.OK;
}

async function list(reconciler: Reconciler, flags: CliFlags, signal: AbortSignal | undefined, out: (text: string) => void): Promise<number> {
  const view = await reconciler.listInstances({ includeNovitaOnly: true, ...(signal ? { signal } : {}) });
  if (flags.json) out(JSON.stringify(view, null, 2));
  else for (const line of summariseView(view)) out(line);
  return EXIT_CODES.OK;
}

function reportFailure(error: unknown, flags: CliFlags, out: (text: string) => void, fail: (text: string) => void): number {
  if (!isReconcilerError(error)) {
    fail(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_CODES.RUN_FAILED;
  }
  const failure = error as ReconcilerError;
  if (failure.code === 'CONFIG_INVALID') {
    fail(`configuration error: ${failure.message}\nRun novita-reconcile --help for the variables.`);
    return EXIT_CODES.USAGE;
  }
  if (flags.json) {
    out(JSON.stringify({ error: { code: failure.code, message: failure.message }, ...(failure.report ? { report: failure.report } : {}) }, null, 2));
  }
  if (failure.code === 'SYNC_IN_PROGRESS') {
    fail(`${failure.message}; nothing was done. Try again later.`);
    return EXIT_CODES.SYNC_IN_PROGRESS;
  }
  fail(`${failure.code}: ${failure.message}`);
  if (failure.report) fail(describePartial(failure.report));
  else fail('nothing was written.');
  return EXIT_CODES.RUN_FAILED;
}

function describePartial(report: SyncReport): string {
  const applied = report.actions.filter((action) => action.outcome === 'applied').length;
  return `the run stopped midway: ${applied} of ${report.actions.length} writes applied, ${report.notApplied} not applied (the next run picks them up).`;
}

interface CliConfig {
  policy: SyncPolicy;
  novitaClient: ReturnType<typeof createNovitaClient>;
  /** Opens the Redis connection: called last, once every other setting is known to be valid. */
  openStore(redisModule: RedisModule): RedisStore;
}

/** Reads and checks every setting before any connection is opened; a ConfigError names the variable. */
function readConfig(env: Readonly<Record<string, string | undefined>>): CliConfig {
  const value = (name: string): string | undefined => {
    const text = env[name];
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  };
  const redisUrl = value('REDIS_URL');
  if (redisUrl === undefined) throw new ConfigError('REDIS_URL', 'is required: novita-reconcile reconciles the records in Redis (set it to redis://host:6379/0)');
  const apiKey = value('NOVITA_API_KEY');
  if (apiKey === undefined) throw new ConfigError('NOVITA_API_KEY', 'is required: set it to your Novita API key');
  const policy = policyFromEnv(env);
  // Explicit values, so that nothing falls back to process.env behind the caller's back.
  const novitaClient = renamed({ apiKey: 'NOVITA_API_KEY', baseUrl: 'NOVITA_API_BASE_URL' }, () =>
    createNovitaClient({ apiKey, baseUrl: value('NOVITA_API_BASE_URL') ?? DEFAULT_NOVITA_BASE_URL }),
  );
  const prefix = value('REDIS_KEY_PREFIX');
  return {
    policy,
    novitaClient,
    openStore: (redisModule) =>
      renamed({ 'options.url': 'REDIS_URL', 'options.redis': 'REDIS_URL', prefix: 'REDIS_KEY_PREFIX' }, () =>
        redisModule.createRedisStore({ url: redisUrl, env: {}, ...(prefix !== undefined ? { prefix } : {}) }),
      ),
  };
}

type RedisModule = typeof import('../redis/index.js');

/**
 * Loads the Redis store on demand: `ioredis` is an optional peer dependency, and a command run without
 * it should say so instead of crashing with a module resolution stack.
 */
async function loadRedisModule(): Promise<RedisModule> {
  try {
    return await import('../redis/index.js');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes('ioredis')) {
      throw new ConfigError('ioredis', 'novita-reconcile needs the ioredis package (an optional peer dependency of novita-reconciler): npm install ioredis@5', { cause: error });
    }
    throw error;
  }
}

/** Runs a factory and renames the option in its ConfigError to the environment variable it came from. */
function renamed<T>(variables: Record<string, string>, create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof ConfigError) {
      const variable = variables[error.field];
      if (variable !== undefined) throw new ConfigError(variable, error.message.slice(error.field.length + 2), { cause: error });
    }
    throw error;
  }
}

/** The values no output may show: the API key and the Redis password. */
function secretsOf(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets: string[] = [];
  const apiKey = env.NOVITA_API_KEY?.trim();
  if (apiKey) secrets.push(apiKey);
  try {
    const password = env.REDIS_URL ? new URL(env.REDIS_URL.trim()).password : '';
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // An unparseable REDIS_URL is reported by the store without echoing it.
  }
  return secrets;
}

/** Warnings and errors of the run, one line each on stderr; the summary covers the rest. */
function stderrLogger(write: (text: string) => void): ReconcilerLogger {
  const line = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    // The safety trip has its own explanation at the end of the run.
    if (message?.startsWith('Sync safety limit tripped') || message === 'Instance sync failed') return;
    let detail: string;
    try {
      detail = JSON.stringify(fields);
    } catch {
      detail = '';
    }
    write(`${level}: ${message ?? ''} ${detail}`.trimEnd());
  };
  return { warn: line('warning'), error: line('error') };
}

/** This package's version, from the package.json above the running script (src or dist alike). */
function readPackageVersion(): string {
  try {
    let directory = dirname(realpathSync(process.argv[1] ?? '.'));
    for (;;) {
      const file = join(directory, 'package.json');
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (manifest.name === 'novita-reconciler' && typeof manifest.version === 'string') return manifest.version;
      }
      const parent = dirname(directory);
      if (parent === directory) return 'unknown';
      directory = parent;
    }
  } catch {
    return 'unknown';
  }
}
