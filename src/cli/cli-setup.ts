/**
 * The parts the command reconciles with: from a `--config` module where it supplies them, else from the
 * environment. Every setting is read and checked before any connection is opened; a `ConfigError`
 * names the variable (or the `--config` field) at fault.
 */
import type { SyncLock } from '../core/ports/lock.js';
import type { NovitaClient } from '../core/ports/novita-client.js';
import { policyFromEnv, type SyncPolicy } from '../core/config/sync-policy.js';
import type { ReconcilerStore } from '../core/ports/store.js';
import { ConfigError } from '../errors.js';
import { createNovitaClient, DEFAULT_NOVITA_BASE_URL } from '../novita/index.js';
import { readEnv } from '../options.js';
import type { CliConfig } from './cli-config-module.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a run or the schedule is built from. */
export interface CliSetup {
  store: ReconcilerStore;
  novitaClient: NovitaClient;
  policy: SyncPolicy;
  lock: SyncLock | undefined;
  /** Closes the Redis connection the command opened (not the module's: its `close` does that). */
  close(): Promise<void>;
}

/** @internal Builds the parts; `configName` is the `--config` argument, for messages. */
export async function setUpCli(env: Env, config: CliConfig, configName: string | undefined): Promise<CliSetup> {
  const value = (name: string): string | undefined => readEnv(env, name)?.trim();
  requireStoreSetting(env, config);
  const policy = withModuleName(configName, config, () => policyFromEnv(env, config.policy ?? {}));
  let novitaClient = config.novitaClient;
  if (novitaClient === undefined) {
    const apiKey = value('NOVITA_API_KEY');
    if (apiKey === undefined)
      throw new ConfigError('NOVITA_API_KEY', 'is required: set it to your Novita API key (or supply novitaClient from a --config module)');
    // Explicit values, so that nothing falls back to process.env behind the caller's back.
    novitaClient = renamed({ apiKey: 'NOVITA_API_KEY', baseUrl: 'NOVITA_API_BASE_URL' }, () =>
      createNovitaClient({ apiKey, baseUrl: value('NOVITA_API_BASE_URL') ?? DEFAULT_NOVITA_BASE_URL }),
    );
  }
  const { store, createLock, close } = await setUpStore(env, config);
  return { store, novitaClient, policy, lock: config.lock ?? createLock?.(), close };
}

function requireStoreSetting(env: Env, config: CliConfig): void {
  if (config.store === undefined && readEnv(env, 'REDIS_URL') === undefined) {
    throw new ConfigError(
      'REDIS_URL',
      'is required: novita-reconcile reconciles the records in Redis (set it to redis://host:6379/0), unless a --config module supplies store',
    );
  }
}

/**
 * @internal The store alone, as the commands that need nothing else (`hold`, `release`) set it up:
 * the `--config` module's, else the Redis store of `REDIS_URL` and `REDIS_KEY_PREFIX`.
 */
export async function setUpStore(
  env: Env,
  config: CliConfig,
): Promise<{ store: ReconcilerStore; createLock: (() => SyncLock) | undefined; close(): Promise<void> }> {
  requireStoreSetting(env, config);
  if (config.store !== undefined) return { store: config.store, createLock: undefined, close: async () => undefined };
  const value = (name: string): string | undefined => readEnv(env, name)?.trim();
  const redisModule = await loadRedisModule();
  const prefix = value('REDIS_KEY_PREFIX');
  const store = renamed({ 'options.url': 'REDIS_URL', 'options.redis': 'REDIS_URL', prefix: 'REDIS_KEY_PREFIX' }, () =>
    redisModule.createRedisStore({ url: value('REDIS_URL') as string, env: {}, ...(prefix !== undefined ? { prefix } : {}) }),
  );
  return { store, createLock: () => redisModule.createRedisLock({ store }), close: () => store.close().catch(() => undefined) };
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
      throw new ConfigError(
        'ioredis',
        'novita-reconcile needs the ioredis package (an optional peer dependency of novita-reconciler) for its Redis store: npm install ioredis@5, or supply store from a --config module',
        { cause: error },
      );
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

/** A policy field the module set and got wrong is reported as the module's (`--config ./x.mjs: policy.obsoleteRetentionDays: ...`). */
function withModuleName<T>(configName: string | undefined, config: CliConfig, create: () => T): T {
  try {
    return create();
  } catch (error) {
    const policy = config.policy as Record<string, unknown> | undefined;
    if (error instanceof ConfigError && configName !== undefined && policy !== undefined) {
      const field = /^policy\.([^.]+)/.exec(error.field)?.[1];
      // Only the module can set a field the environment did not (an unknown one included).
      if (field !== undefined && field in policy) throw new ConfigError(`--config ${configName}`, error.message, { cause: error });
    }
    throw error;
  }
}

/** The values no output may show: the API key and the Redis password. */
export function secretsOf(env: Env): string[] {
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
