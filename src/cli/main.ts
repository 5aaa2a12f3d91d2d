/**
 * `novita-reconcile`: one reconcile run from a cron job (the default), the schedule in a worker
 * (`watch`), a read-only check of the setup (`doctor`), the fake Novita on its own (`fake-novita`), or the
 * hold switch (`hold` / `release`). Configured from the environment, or from a
 * `--config` module. `runCli` is the whole command, in process (tests call it directly); `bin.ts` only
 * hands it the process's argv, environment, streams and an AbortSignal for SIGINT/SIGTERM.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReconcilerEvent } from '../core/events.js';
import { createReconciler } from '../core/reconciler.js';
import { parseCliArgs, type HoldFlags, type RunFlags, type WatchFlags } from './cli-args.js';
import { loadConfigModule, type CliConfig } from './cli-config-module.js';
import { createCliConsole, type CliConsole, type CliIo } from './cli-console.js';
import { helpText } from './cli-help.js';
import { stderrLogger } from './cli-logger.js';
import { secretsOf, setUpCli, setUpStore, type CliSetup } from './cli-setup.js';
import { runHoldCommand } from './hold-command.js';
import { EXIT_CODES } from './exit-codes.js';
import { runDoctorCommand } from './doctor-command.js';
import { runFakeNovitaCommand } from './fake-novita-command.js';
import { reportFailure, runListCommand, runSyncCommand } from './run-command.js';
import { runWatchCommand, watchPrinter } from './watch-command.js';

export type { CliIo, CliOutput } from './cli-console.js';
export type { CliConfig, CliConfigExport } from './cli-config-module.js';
export { EXIT_CODES } from './exit-codes.js';

/** Extra inputs of {@link runCli}. */
export interface RunCliOptions {
  /**
   * Ends the command (bin.ts fires it on SIGINT/SIGTERM): a run is aborted and exits 1; `watch` stops
   * its schedule, lets a run in flight finish and exits 0; `fake-novita` closes and exits 0. Without
   * it, `watch` and `fake-novita` run until the process ends.
   */
  signal?: AbortSignal;
  /** The version `--version` prints. @default the `version` of this package's package.json */
  version?: string;
  /** The directory a relative `--config` path is resolved against. @default process.cwd() */
  cwd?: string;
}

/**
 * Runs `novita-reconcile` in process and resolves its exit code; never rejects and never calls
 * `process.exit`. Reads configuration from `env` only (never `process.env`): `NOVITA_API_KEY`,
 * `NOVITA_API_BASE_URL`, `REDIS_URL`, `REDIS_KEY_PREFIX` and the `SYNC_*` policy variables, each
 * unless a `--config` module supplies that part. With the Redis store it takes the Redis lock, so it
 * never runs beside another replica's sync, and it closes its Redis connection (and calls the module's
 * `close`) before it resolves. Nothing it writes contains the API key or the Redis password. Progress is
 * written to `io.stderr` only when `io.stderr.isTTY` is `true`.
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
  const parsed = parseCliArgs(argv);
  const cli = createCliConsole(io, parsed.ok && parsed.request.command === 'fake-novita' ? [] : secretsOf(env));
  if (!parsed.ok) {
    cli.fail(`${parsed.message}\nRun novita-reconcile --help for the flags.`);
    return EXIT_CODES.USAGE;
  }
  const { request } = parsed;
  switch (request.command) {
    case 'help':
      cli.raw(helpText(request.topic));
      return EXIT_CODES.OK;
    case 'version':
      cli.out(options.version ?? readPackageVersion());
      return EXIT_CODES.OK;
    case 'fake-novita':
      return runFakeNovitaCommand(request.flags, options.signal, cli);
    case 'doctor':
      return runDoctorCommand(request.flags, env, cli, {
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    case 'hold':
    case 'release':
      return holdSwitch(request.command, request.flags, env, cli, options);
    case 'watch':
      return reconcile({ watch: request.flags }, env, cli, options);
    default:
      return reconcile({ run: request.flags }, env, cli, options);
  }
}

/** `hold` / `release`: the store alone, configured like the other commands. */
async function holdSwitch(
  command: 'hold' | 'release',
  flags: HoldFlags,
  env: Readonly<Record<string, string | undefined>>,
  cli: CliConsole,
  options: RunCliOptions,
): Promise<number> {
  let config: CliConfig = {};
  let setup: Awaited<ReturnType<typeof setUpStore>> | undefined;
  try {
    if (flags.config !== undefined) config = await loadConfigModule(flags.config, options.cwd ?? process.cwd(), env);
    setup = await setUpStore(env, config);
    return await runHoldCommand(command, setup.store, flags, env, cli);
  } catch (error) {
    return reportFailure(error, flags.json, cli);
  } finally {
    await setup?.close();
    if (config.close) {
      try {
        await config.close();
      } catch (error) {
        cli.fail(`warning: the --config module's close() failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

async function reconcile(
  command: { run: RunFlags; watch?: undefined } | { watch: WatchFlags; run?: undefined },
  env: Readonly<Record<string, string | undefined>>,
  cli: CliConsole,
  options: RunCliOptions,
): Promise<number> {
  const flags = command.run ?? command.watch;
  let config: CliConfig = {};
  let setup: CliSetup | undefined;
  try {
    if (flags.config !== undefined) config = await loadConfigModule(flags.config, options.cwd ?? process.cwd(), env);
    setup = await setUpCli(env, config, flags.config);
    const onRunEnd = command.watch ? watchPrinter(command.watch, cli) : undefined;
    const reconciler = createReconciler({
      store: setup.store,
      novitaClient: setup.novitaClient,
      policy: setup.policy,
      ...(setup.lock ? { lock: setup.lock } : {}),
      logger: config.logger ?? stderrLogger((text) => cli.fail(text)),
      ...(config.scope ? { scope: config.scope } : {}),
      ...(config.priceOf ? { priceOf: config.priceOf } : {}),
      onEvent: (event: ReconcilerEvent) => {
        cli.progress.onEvent(event);
        onRunEnd?.(event);
      },
    });
    if (command.watch) return await runWatchCommand(reconciler, options.signal, cli);
    return command.run.list
      ? await runListCommand(reconciler, command.run, options.signal, cli)
      : await runSyncCommand(reconciler, command.run, options.signal, cli);
  } catch (error) {
    return reportFailure(error, flags.json, cli);
  } finally {
    cli.progress.clear();
    await setup?.close();
    if (config.close) {
      try {
        await config.close();
      } catch (error) {
        cli.fail(`warning: the --config module's close() failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
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
