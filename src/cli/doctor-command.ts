/**
 * `novita-reconcile doctor`: the setup a run would use, checked read-only, one line per check. Novita's
 * checks come from the Novita adapter, the store's from the Redis adapter, the policy's from the core;
 * this file only gathers the configuration (as a run does, but a missing part is a failed check rather
 * than a refusal to start), prints, and saves `--capture`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DoctorCheck } from '../core/doctor/doctor.js';
import { checkPolicy, doctorReport } from '../core/doctor/doctor.js';
import { policyFromEnv } from '../core/config/sync-policy.js';
import type { ReconcilerStore } from '../core/ports/store.js';
import { checkNovita, checkNovitaClient, DEFAULT_NOVITA_BASE_URL, type NovitaDoctorResult } from '../novita/index.js';
import { readEnv } from '../options.js';
import type { RedisStore } from '../redis/index.js';
import type { DoctorFlags } from './cli-args.js';
import { loadConfigModule, type CliConfig } from './cli-config-module.js';
import type { CliConsole } from './cli-console.js';
import { EXIT_CODES } from './exit-codes.js';
import { reportFailure } from './run-command.js';

type Env = Readonly<Record<string, string | undefined>>;

/** @internal Runs the doctor and prints it; resolves the exit code (0: no check failed, 1: one did, 2: usage). */
export async function runDoctorCommand(
  flags: DoctorFlags,
  env: Env,
  cli: CliConsole,
  options: { cwd?: string; signal?: AbortSignal },
): Promise<number> {
  let config: CliConfig = {};
  let close: (() => Promise<void>) | undefined;
  try {
    if (flags.config !== undefined) config = await loadConfigModule(flags.config, options.cwd ?? process.cwd(), env);
    const policy = policyFromEnv(env, config.policy ?? {});
    const value = (name: string): string | undefined => readEnv(env, name)?.trim();
    const signal = options.signal;

    let novita: NovitaDoctorResult | undefined;
    const checks: DoctorCheck[] = [];
    const apiKey = value('NOVITA_API_KEY');
    if (config.novitaClient !== undefined) {
      checks.push({
        id: 'novita.client',
        title: 'Novita client',
        status: 'ok',
        why: 'the --config module supplies its own client: only what its listInstances and getInstance show is checked',
      });
      checks.push(...(await checkNovitaClient(config.novitaClient, { statusMap: policy.statusMap, ...(signal ? { signal } : {}) })));
    } else if (apiKey === undefined) {
      checks.push({
        id: 'novita.key',
        title: 'API key',
        status: 'fail',
        why: 'NOVITA_API_KEY is not set',
        todo: 'set it to your Novita API key (or supply novitaClient from a --config module)',
      });
    } else {
      novita = await checkNovita({
        client: { apiKey, baseUrl: value('NOVITA_API_BASE_URL') ?? DEFAULT_NOVITA_BASE_URL },
        statusMap: policy.statusMap,
        ...(signal ? { signal } : {}),
      });
      checks.push(...novita.checks);
    }

    const store = await storeChecks(config, value, signal);
    close = store.close;
    checks.push(...store.checks);
    checks.push(checkPolicy(policy, { listingHasTotal: novita?.listingHasTotal, notFoundProves: novita?.notFoundProves }));
    const report = doctorReport(checks);

    const captured: string[] = [];
    if (flags.capture !== undefined) {
      if (novita === undefined) {
        cli.fail('--capture needs the built-in Novita client (NOVITA_API_KEY): nothing was captured');
      } else {
        const directory = resolve(options.cwd ?? process.cwd(), flags.capture);
        await mkdir(directory, { recursive: true });
        for (const [name, answer] of [
          ['list-page.json', novita.capture.listPage],
          ['not-found.json', novita.capture.notFound],
        ] as const) {
          if (answer === undefined) continue;
          const file = resolve(directory, name);
          await writeFile(file, `${JSON.stringify(answer, null, 2)}\n`);
          captured.push(file);
        }
      }
    }

    if (flags.json) cli.out(JSON.stringify({ ...report, ...(flags.capture !== undefined ? { captured } : {}) }, null, 2));
    else {
      for (const line of formatChecks(report.checks)) cli.out(line);
      if (captured.length > 0) cli.out(`captured: ${captured.join(', ')}`);
    }
    return report.ok ? EXIT_CODES.OK : EXIT_CODES.RUN_FAILED;
  } catch (error) {
    return reportFailure(error, flags.json, cli);
  } finally {
    await close?.();
    if (config.close) {
      try {
        await config.close();
      } catch (error) {
        cli.fail(`warning: the --config module's close() failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/** @internal The text form: `ok    API key           why`, then `      -> what to do`, then the tally. */
export function formatChecks(checks: readonly DoctorCheck[]): string[] {
  const width = Math.max(...checks.map((check) => check.title.length), 0);
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${check.status.padEnd(5)} ${check.title.padEnd(width)}  ${check.why}`);
    if (check.todo) lines.push(`${' '.repeat(6 + width + 2)}-> ${check.todo}`);
  }
  const count = (status: DoctorCheck['status']): number => checks.filter((check) => check.status === status).length;
  lines.push(`doctor: ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`);
  return lines;
}

async function storeChecks(
  config: CliConfig,
  value: (name: string) => string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ checks: DoctorCheck[]; close?: () => Promise<void> }> {
  const redisModule = async () => import('../redis/index.js');
  if (config.store !== undefined) {
    const store = config.store as ReconcilerStore & Partial<Pick<RedisStore, 'redis' | 'keys'>>;
    if (store.redis !== undefined && store.keys !== undefined) {
      return { checks: await (await redisModule()).checkRedisStore(store as RedisStore, signal ? { signal } : {}) };
    }
    return { checks: await genericStoreChecks(config.store, signal) };
  }
  const url = value('REDIS_URL');
  if (url === undefined) {
    return {
      checks: [
        {
          id: 'store.redis',
          title: 'Redis',
          status: 'fail',
          why: 'REDIS_URL is not set: a run would refuse to start',
          todo: 'set it to redis://host:6379/0 (or supply store from a --config module)',
        },
      ],
    };
  }
  let module: Awaited<ReturnType<typeof redisModule>>;
  try {
    module = await redisModule();
  } catch {
    return {
      checks: [
        {
          id: 'store.redis',
          title: 'Redis',
          status: 'fail',
          why: 'the ioredis package is not installed (an optional peer dependency)',
          todo: 'npm install ioredis@5',
        },
      ],
    };
  }
  const prefix = value('REDIS_KEY_PREFIX');
  // A short command timeout and no reconnect storm: the doctor reports an unreachable Redis, it does not wait for one.
  const store = module.createRedisStore({ url, env: {}, commandTimeoutMs: 5_000, ...(prefix !== undefined ? { prefix } : {}) });
  return { checks: await module.checkRedisStore(store, signal ? { signal } : {}), close: () => store.close().catch(() => undefined) };
}

/** A store of the module's own (not the Redis store): only what the store port shows. */
async function genericStoreChecks(store: ReconcilerStore, signal: AbortSignal | undefined): Promise<DoctorCheck[]> {
  try {
    let valid = 0;
    let invalid = 0;
    for await (const batch of store.readBatches(signal ? { signal } : {})) {
      for (const entry of batch) {
        if (entry.invalid === undefined) valid += 1;
        else invalid += 1;
      }
    }
    return [
      {
        id: 'store.records',
        title: 'Records',
        status: invalid > 0 ? 'warn' : 'ok',
        why: `the --config module's store holds ${valid + invalid} records, ${valid} decode`,
        ...(invalid > 0 ? { todo: 'records that do not decode are left alone by every run (skipped.invalid)' } : {}),
        details: { records: valid + invalid, valid, invalid },
      },
    ];
  } catch (error) {
    return [
      {
        id: 'store.records',
        title: 'Records',
        status: 'fail',
        why: `reading the --config module's store failed: ${error instanceof Error ? error.message : String(error)}`,
        todo: 'every run will fail the same way',
      },
    ];
  }
}
