/**
 * The options of {@link createReconciler} and of its methods, checked once with the shared option
 * rule (src/options.ts) and resolved into the context every run works with.
 */
import { ConfigError } from '../errors.js';
import { booleanOption, checkOptionKeys, functionOption, integerOption, requireMethods, signalOption } from '../options.js';
import type { ReconcilerEvent, ReconcilerLogger } from './events.js';
import type { SyncLock } from './ports/lock.js';
import type { NovitaClient, NovitaInstance } from './ports/novita-client.js';
import { RUN_OPTION_NAMES, resolveRunOptions, type RunOptionsInput } from './config/run-options.js';
import type { SyncScope } from './plan/plan-types.js';
import { defaultAdoptRecord } from './plan/record-writes.js';
import { resolvePolicy, type SyncPolicy, type SyncPolicyInput } from './config/sync-policy.js';
import type { InstanceRecord } from './record.js';
import type { SyncRunOptions } from '../report.js';
import type { StartOptions } from './runtime/scheduler.js';
import {
  DESTRUCTIVE_GUARD_METHODS,
  INSTANCE_ACTION_METHODS,
  keepsDestructiveGuards,
  keepsInstanceActions,
  type InstanceActionStore,
  type ReconcilerStore,
} from './ports/store.js';
import type { LivenessCheckOption } from './run/run-callbacks.js';
import type { RunConfiguration } from './run/run-context.js';

/** Options of {@link createReconciler}. */
export interface ReconcilerOptions {
  /** Where the records live: `createMemoryStore()`, `createRedisStore(...)` or your own (it needs only `readBatches` and `writeBatch`). */
  store: ReconcilerStore;
  /** How Novita is read: `createNovitaClient(...)` or your own. */
  novitaClient: NovitaClient;
  /** The policy; missing fields take their defaults. @default {} (all defaults) */
  policy?: SyncPolicyInput;
  /** A pino-compatible logger. @default silent */
  logger?: ReconcilerLogger;
  /**
   * A lock shared by replicas (`createRedisLock`); without one, runs are serialised only within this
   * process. A lock with `lastCompletedRun` also lets replicas share one schedule.
   */
  lock?: SyncLock;
  /** The time source. @default () => new Date() */
  clock?: () => Date;
  /**
   * Receives each run's start, progress, listing restarts, each action, a safety trip, and each run's
   * end or failure, and the schedule's skipped turns ({@link ReconcilerEvent}). Called synchronously;
   * errors it throws, and rejections of a promise it returns (an async handler), are logged and ignored.
   */
  onEvent?: (event: ReconcilerEvent) => void;
  /** Limits this reconciler to the records and instances it owns. @default everything */
  scope?: SyncScope;
  /**
   * Builds the record for an adopted Novita-only instance; the reconciler then sets the fields it owns
   * (`novitaInstanceId`, `status`, `novitaStatus`, timestamps). @default id = the Novita id, plus the
   * instance's `name` and `adopted: true`
   */
  adoptRecord?: (instance: NovitaInstance) => InstanceRecord;
  /**
   * What an instance costs, in USD per hour, or `undefined` when unknown: prices the Novita-only
   * instances of each report (`costPerHour`, summed over the orphans in `report.orphans`). Called at
   * most once per instance per run; a throw or anything but a finite number of 0 or more counts as
   * unknown (and is logged). Novita's own prices are integers in 1/100,000 USD: divide by 100,000 (see
   * docs/spend.md). @default none: no prices
   */
  priceOf?: (instance: NovitaInstance) => number | undefined;
  /**
   * The application's veto on ending a record: asked about every record the run would mark terminated
   * or remove as obsolete or never-started (not retention), after the safety limit and before the
   * per-run cap and the window budget, at most once per record per run, at most 8 at once. Only `false`
   * (the application agrees the instance is gone, for example its job's heartbeat stopped) lets the run
   * go on; `true`, anything else, a throw, a rejection or no answer within `livenessTimeoutMs` keeps the
   * record this run (`skipped.liveness`, `report.liveness`). `signal` aborts when the answer is no longer
   * awaited (the timeout, or the run's end). A dry run asks too, so its preview is exact.
   * @default none (no veto)
   */
  livenessCheck?: (record: InstanceRecord, context: { signal: AbortSignal }) => boolean | Promise<boolean>;
  /** Milliseconds one `livenessCheck` answer may take; then the record is kept (`verdict: 'timeout'`). @default 10000 */
  livenessTimeoutMs?: number;
  /** Confirmations with `getInstance` in flight at once. @default the client's `maxConcurrency`, else 4 */
  confirmConcurrency?: number;
  /**
   * Failed confirmations in a row after which the run stops asking Novita (a circuit breaker); the
   * remaining candidates are left `unverified` for the next run. @default 3 (the first wave of confirmations at the default concurrency of 4 failing is enough)
   */
  confirmFailureLimit?: number;
  /**
   * Milliseconds all confirmations of one run may take; then the calls in flight are abandoned and the
   * remaining candidates are left `unverified`. @default 120000 (2 minutes)
   */
  confirmBudgetMs?: number;
  /**
   * The deadline of one store or lock call, in milliseconds. A call that does not answer in time fails
   * the run with `STORE_UNAVAILABLE` (a write batch then counts as `unknown`), so a store client without
   * a command timeout of its own (`new Redis(url)`) cannot keep a run pending. @default 30000
   */
  storeTimeoutMs?: number;
  /** The deadline of the whole Novita listing (every page, every walk), in milliseconds. @default 600000 (10 minutes) */
  listingTimeoutMs?: number;
  /** Records per store read batch. @default 500 */
  readBatchSize?: number;
  /** Writes per store write batch. @default 100 */
  writeBatchSize?: number;
}

/**
 * Options of one {@link Reconciler.sync} run: the run options (one shape from the HTTP handler to the
 * run's report, see {@link SyncRunOptions}), each optional, and this call's `signal`.
 */
export interface SyncOptions extends RunOptionsInput {
  /**
   * Aborts this call: it rejects with `ABORTED`. When the run is shared with other callers (single
   * flight), only this call rejects; the run itself stops (and `error.report` says what it had applied)
   * only when every caller sharing it has aborted.
   */
  signal?: AbortSignal;
}

/** Options of {@link Reconciler.listInstances}. */
export interface ListInstancesOptions {
  /** Include Novita instances that no record names. @default true */
  includeNovitaOnly?: boolean;
  /** Run a sync first and return its report beside the view. @default false */
  syncLocalState?: boolean;
  /** Aborts the call: it rejects with `ABORTED`. */
  signal?: AbortSignal;
}

const RECONCILER_OPTIONS = [
  'store',
  'novitaClient',
  'policy',
  'logger',
  'lock',
  'clock',
  'onEvent',
  'scope',
  'adoptRecord',
  'priceOf',
  'livenessCheck',
  'livenessTimeoutMs',
  'confirmConcurrency',
  'confirmFailureLimit',
  'confirmBudgetMs',
  'storeTimeoutMs',
  'listingTimeoutMs',
  'readBatchSize',
  'writeBatchSize',
] as const satisfies readonly (keyof ReconcilerOptions)[];

const DEFAULT_CONFIRM_CONCURRENCY = 4;
const HOUR_MS = 3_600_000;

/** The options of {@link createReconciler}, checked and with their defaults: what every run is configured with, and where it logs and emits. */
export interface ResolvedReconcilerOptions extends RunConfiguration {
  logger: ReconcilerLogger;
  onEvent: ((event: ReconcilerEvent) => void) | undefined;
}

/** Checks every option of {@link createReconciler} up front; throws {@link ConfigError} naming the one at fault. */
export function resolveReconcilerOptions(input: unknown): ResolvedReconcilerOptions {
  if (typeof input !== 'object' || input === null)
    throw new ConfigError('options', 'createReconciler needs an options object with store and novitaClient', { received: input });
  const options = checkOptionKeys<ReconcilerOptions>('createReconciler', input, RECONCILER_OPTIONS);
  const store = requireMethods<ReconcilerStore>('store', options.store, ['readBatches', 'writeBatch']);
  const novitaClient = requireMethods<NovitaClient>('novitaClient', options.novitaClient, ['listInstances', 'getInstance']);
  const policy: SyncPolicy = resolvePolicy(options.policy ?? {}, 'policy');
  const guardStore = keepsDestructiveGuards(store) ? store : undefined;
  if (policy.destructiveBudget !== null && guardStore === undefined)
    throw new ConfigError(
      'policy.destructiveBudget',
      `needs a store that keeps it (with ${DESTRUCTIVE_GUARD_METHODS.join(', ')}: the memory and Redis stores do); this store cannot, and the budget is never ignored`,
      { received: policy.destructiveBudget },
    );
  const logger = options.logger ?? {};
  if (typeof logger !== 'object' || logger === null)
    throw new ConfigError('logger', 'must be a pino-compatible logger object', { received: logger });
  for (const level of ['debug', 'info', 'warn', 'error'] as const) functionOption(`logger.${level}`, logger[level]);
  const lock = options.lock === undefined ? undefined : requireMethods<SyncLock>('lock', options.lock, ['acquire']);
  if (lock !== undefined) functionOption('lock.lastCompletedRun', lock.lastCompletedRun);
  const scope = options.scope;
  if (scope !== undefined) {
    if (typeof scope !== 'object' || scope === null)
      throw new ConfigError('scope', 'must be an object with optional record and instance predicates', { received: scope });
    checkOptionKeys('createReconciler', scope, ['record', 'instance'], 'scope');
    functionOption('scope.record', scope.record);
    functionOption('scope.instance', scope.instance);
  }
  const actionStore = keepsInstanceActions(store) ? store : undefined;
  if (policy.novitaOnly === 'stop' || policy.novitaOnly === 'delete')
    checkEndingOrphans(policy.novitaOnly, scope, novitaClient, actionStore);
  const clientBound = novitaClient.maxConcurrency;
  const defaultConcurrency = typeof clientBound === 'number' && clientBound >= 1 ? Math.floor(clientBound) : DEFAULT_CONFIRM_CONCURRENCY;
  return {
    store,
    novitaClient,
    lock,
    policy,
    logger,
    clock: functionOption<() => Date>('clock', options.clock) ?? (() => new Date()),
    onEvent: functionOption<(event: ReconcilerEvent) => void>('onEvent', options.onEvent),
    scope,
    adoptRecord: functionOption<(instance: NovitaInstance) => InstanceRecord>('adoptRecord', options.adoptRecord) ?? defaultAdoptRecord,
    priceOf: functionOption<(instance: NovitaInstance) => number | undefined>('priceOf', options.priceOf),
    livenessCheck: functionOption<LivenessCheckOption>('livenessCheck', options.livenessCheck),
    livenessTimeoutMs: integerOption('livenessTimeoutMs', options.livenessTimeoutMs, 10_000, 1, HOUR_MS),
    guardStore,
    actionStore,
    storeTimeoutMs: integerOption('storeTimeoutMs', options.storeTimeoutMs, 30_000, 1, HOUR_MS),
    listingTimeoutMs: integerOption('listingTimeoutMs', options.listingTimeoutMs, 600_000, 1, 24 * HOUR_MS),
    readBatchSize: integerOption('readBatchSize', options.readBatchSize, 500, 1, 100_000),
    writeBatchSize: integerOption('writeBatchSize', options.writeBatchSize, 100, 1, 100_000),
    confirm: {
      concurrency: integerOption('confirmConcurrency', options.confirmConcurrency, defaultConcurrency, 1, 1_000),
      failureLimit: integerOption('confirmFailureLimit', options.confirmFailureLimit, 3, 1, 1_000_000),
      budgetMs: integerOption('confirmBudgetMs', options.confirmBudgetMs, 120_000, 1, 24 * HOUR_MS),
    },
  };
}

/** Checks the options of one `sync()` call. */
export function resolveSyncOptions(input: unknown): { runOptions: SyncRunOptions; signal: AbortSignal | undefined } {
  const options = checkOptionKeys<SyncOptions>('sync', input, [...RUN_OPTION_NAMES, 'signal']);
  return { runOptions: resolveRunOptions(options), signal: signalOption('signal', options.signal) };
}

/** Checks the options of one `listInstances()` call. */
export function resolveListOptions(input: unknown): {
  includeNovitaOnly: boolean;
  syncLocalState: boolean;
  signal: AbortSignal | undefined;
} {
  const options = checkOptionKeys<ListInstancesOptions>('listInstances', input, ['includeNovitaOnly', 'syncLocalState', 'signal']);
  return {
    includeNovitaOnly: booleanOption('includeNovitaOnly', options.includeNovitaOnly, true),
    syncLocalState: booleanOption('syncLocalState', options.syncLocalState, false),
    signal: signalOption('signal', options.signal),
  };
}

/** Checks the options of `start()`. */
export function resolveStartOptions(input: unknown): { runImmediately: boolean } {
  const options = checkOptionKeys<StartOptions>('start', input, ['runImmediately']);
  return { runImmediately: booleanOption('runImmediately', options.runImmediately, false) };
}

/**
 * `novitaOnly: 'stop' | 'delete'` ends GPU instances: only those the application says it owns
 * (`scope.instance`), with a client that has the calls, on a store that keeps the trail of every call and
 * when this library stopped each orphan. Anything less is refused when the reconciler is created.
 */
function checkEndingOrphans(
  mode: 'stop' | 'delete',
  scope: ReconcilerOptions['scope'],
  novitaClient: NovitaClient,
  actionStore: InstanceActionStore | undefined,
): void {
  if (typeof scope?.instance !== 'function')
    throw new ConfigError(
      'policy.novitaOnly',
      `'${mode}' needs scope.instance: the reconciler ends only the instances the application says it owns, and without a scope it would end every instance of the account that no record names`,
      { received: mode },
    );
  const calls = mode === 'stop' ? (['stopInstance'] as const) : (['stopInstance', 'deleteInstance'] as const);
  for (const call of calls)
    if (typeof novitaClient[call] !== 'function')
      throw new ConfigError(
        `novitaClient.${call}`,
        `must be a function: policy.novitaOnly '${mode}' calls it (createNovitaClient has it)`,
        {
          received: mode,
        },
      );
  if (actionStore === undefined)
    throw new ConfigError(
      'policy.novitaOnly',
      `'${mode}' needs a store that keeps the instance-action trail (with ${INSTANCE_ACTION_METHODS.join(', ')}: the memory and Redis stores do): every call is audited`,
      { received: mode },
    );
}
