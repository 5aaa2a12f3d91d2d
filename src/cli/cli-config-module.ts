/**
 * `--config <module>`: a module of the user's that supplies parts the environment cannot describe (a
 * Postgres store, a client with its own options, a pino logger), so the command works without Redis.
 * Loaded with `import()`, so an ES module and a CommonJS one both work; every field is checked here,
 * and every error names the module and the field.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReconcilerLogger } from '../core/events.js';
import type { SyncLock } from '../core/ports/lock.js';
import type { NovitaClient } from '../core/ports/novita-client.js';
import type { SyncPolicyInput } from '../core/config/sync-policy.js';
import type { ReconcilerStore } from '../core/ports/store.js';
import { ConfigError } from '../errors.js';
import { checkOptionKeys, functionOption, requireMethods } from '../options.js';

/**
 * What a `--config` module supplies to `novita-reconcile`; every field is optional, and the environment
 * supplies what is missing (`REDIS_URL` for the store and its lock, `NOVITA_API_KEY` for the client,
 * `SYNC_*` for the policy fields the module leaves out). A module may also export a function (async or
 * not) that returns this object; it is called once with `{ env }`. In a typed module, write
 * `export default { ... } satisfies CliConfig` (a `.ts` module needs a loader such as `node --import tsx`).
 *
 * @example
 * ```js
 * // reconcile.config.mjs, run as: novita-reconcile --config ./reconcile.config.mjs --dry-run
 * import { createNovitaClient } from 'novita-reconciler/novita';
 * import { createPostgresStore } from './postgres-store.js';
 *
 * const store = createPostgresStore(process.env.DATABASE_URL);
 * export default {
 *   store,
 *   novitaClient: createNovitaClient({ apiKey: process.env.NOVITA_API_KEY, maxConcurrency: 2 }),
 *   policy: { removeObsoleteInstances: true },
 *   close: () => store.end(),
 * };
 * ```
 */
export interface CliConfig {
  /** The records' store. @default the Redis store of `REDIS_URL` and `REDIS_KEY_PREFIX` */
  store?: ReconcilerStore;
  /** How Novita is read. @default `createNovitaClient` with `NOVITA_API_KEY` and `NOVITA_API_BASE_URL` */
  novitaClient?: NovitaClient;
  /** Policy fields; each wins over its `SYNC_*` variable. @default the `SYNC_*` variables, then the defaults */
  policy?: SyncPolicyInput;
  /**
   * The lock replicas share. @default the Redis lock when the store is the Redis one from `REDIS_URL`;
   * none for a module's store (runs are then serialised within the process only)
   */
  lock?: SyncLock;
  /** Receives the reconciler's log lines instead of stderr (the summary and errors still print). @default stderr */
  logger?: ReconcilerLogger;
  /**
   * Called once when the command is done, after a failure too, to release what the module opened (a
   * pool, a connection): a connection left open would keep the process from exiting.
   */
  close?: () => unknown;
}

/** A `--config` module's export: the config, or a function (sync or async) that returns it. */
export type CliConfigExport =
  | CliConfig
  | ((context: { env: Readonly<Record<string, string | undefined>> }) => CliConfig | Promise<CliConfig>);

const CONFIG_FIELDS = ['store', 'novitaClient', 'policy', 'lock', 'logger', 'close'] as const satisfies readonly (keyof CliConfig)[];

/** @internal Imports and checks a `--config` module; a {@link ConfigError} names the module and the field. */
export async function loadConfigModule(
  specifier: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CliConfig> {
  const where = `--config ${specifier}`;
  const path = isAbsolute(specifier) ? specifier : resolve(cwd, specifier);
  if (!existsSync(path)) throw new ConfigError(where, `no such file (looked for ${path})`);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(where, `importing it failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let exported = namespace.config ?? namespace.default;
  // A CommonJS `exports.config = ...` the import could not see as a named export arrives as `default.config`.
  if (namespace.config === undefined && isObject(exported) && 'config' in exported && Object.keys(exported).length === 1)
    exported = exported.config;
  if (exported === undefined)
    throw new ConfigError(
      where,
      'exports nothing to use: give it a default export (or an export named config) with any of store, novitaClient, policy, lock, logger, close',
    );
  if (typeof exported === 'function') {
    try {
      exported = await (exported as (context: { env: typeof env }) => unknown)({ env });
    } catch (error) {
      throw new ConfigError(where, `its exported function threw: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  try {
    return checkConfig(exported);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(where, error.message, { cause: error });
    throw error;
  }
}

function checkConfig(value: unknown): CliConfig {
  if (!isObject(value))
    throw new ConfigError(
      'export',
      'must be an object with any of store, novitaClient, policy, lock, logger, close (or a function returning one)',
      { received: value },
    );
  const config = checkOptionKeys<CliConfig>('a novita-reconcile config', value, CONFIG_FIELDS);
  if (config.store !== undefined) requireMethods('store', config.store, ['readBatches', 'writeBatch']);
  if (config.novitaClient !== undefined) requireMethods('novitaClient', config.novitaClient, ['listInstances', 'getInstance']);
  if (config.lock !== undefined) {
    requireMethods('lock', config.lock, ['acquire']);
    functionOption('lock.lastCompletedRun', config.lock.lastCompletedRun);
  }
  if (config.policy !== undefined && !isObject(config.policy))
    throw new ConfigError('policy', 'must be an object of policy fields', { received: config.policy });
  if (config.logger !== undefined) {
    if (!isObject(config.logger)) throw new ConfigError('logger', 'must be a pino-compatible logger object', { received: config.logger });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) functionOption(`logger.${level}`, config.logger[level]);
  }
  functionOption('close', config.close);
  return config;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
