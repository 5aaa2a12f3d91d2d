/**
 * The reconciler: the one place that sequences I/O. One run, in order:
 * lock -> complete Novita listing -> every stored record -> plan -> confirm candidates with
 * getInstance -> final plan -> conditional batch writes -> report. The decisions themselves are made
 * by the pure planner (planner.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  AbortedError,
  ConfigError,
  LockLostError,
  NovitaApiError,
  NovitaIncompleteListingError,
  NovitaInvalidResponseError,
  ReconcilerError,
  StoreUnavailableError,
  SyncInProgressError,
  isReconcilerError,
} from '../errors.js';
import { mapBounded } from './bounded-map.js';
import type { ReconcilerEvent, ReconcilerLogger } from './events.js';
import { mergeInstanceView, type InstanceView } from './instance-view.js';
import type { LockLease, SyncLock } from './lock.js';
import type { NovitaClient, NovitaInstance } from './novita-instance.js';
import { planSync, defaultAdoptRecord, type Confirmation, type Plan, type PlannedAction, type SyncScope } from './planner.js';
import { resolvePolicy, type SyncPolicy, type SyncPolicyInput } from './policy.js';
import { createSyncScheduler, type StartOptions } from './scheduler.js';
import type { InstanceRecord } from './record.js';
import type { ActionOutcome, SkippedCounts, SyncAction, SyncReport, SyncRunOptions } from './report.js';
import type { InstanceStore, StoreEntry, WriteOutcome } from './store.js';

/** Options of {@link createReconciler}. */
export interface ReconcilerOptions {
  /** Where the records live: `createMemoryStore()`, `createRedisStore(...)` or your own. */
  store: InstanceStore;
  /** How Novita is read: `createNovitaClient(...)` or your own. */
  novitaClient: NovitaClient;
  /** The policy; missing fields take their defaults. @default {} (all defaults) */
  policy?: SyncPolicyInput;
  /** A pino-compatible logger. @default silent */
  logger?: ReconcilerLogger;
  /** A lock shared by replicas (`createRedisLock`); without one, runs are serialised only within this process. */
  lock?: SyncLock;
  /** The time source. @default () => new Date() */
  clock?: () => Date;
  /** Receives each run's start, each action, a safety trip, and each run's end or failure. Errors it throws are logged and ignored. */
  onEvent?: (event: ReconcilerEvent) => void;
  /** Limits this reconciler to the records and instances it owns. @default everything */
  scope?: SyncScope;
  /** Builds the record for an adopted Novita-only instance. @default id = the Novita id, plus the instance name */
  adoptRecord?: (instance: NovitaInstance) => InstanceRecord;
  /** Confirmations with `getInstance` in flight at once. @default the client's `maxConcurrency`, else 4 */
  confirmConcurrency?: number;
  /** Records per store read batch. @default 500 */
  readBatchSize?: number;
  /** Writes per store write batch. @default 100 */
  writeBatchSize?: number;
}

/** Options of one {@link Reconciler.sync} run. */
export interface SyncOptions {
  /** Decide everything, write nothing, report the actions a real run would take. @default false */
  dryRun?: boolean;
  /** `false` still refreshes statuses but leaves obsolete records (and retention) alone. @default true */
  handleObsoleteInstances?: boolean;
  /** Proceed although the safety limit tripped. Overrides nothing else. @default false */
  forceSync?: boolean;
  /** Aborts the run: it rejects with `ABORTED`, and `error.report` says what it had applied. */
  signal?: AbortSignal;
}

/** Options of {@link Reconciler.listInstances}. */
export interface ListInstancesOptions {
  /** Include Novita instances that no record names. @default true */
  includeNovitaOnly?: boolean;
  /** Run a sync first and return its report beside the view. @default false */
  syncLocalState?: boolean;
  signal?: AbortSignal;
}

/** The merged view, with the report of the sync that ran first when `syncLocalState` was set. */
export interface ListInstancesResult extends InstanceView {
  report?: SyncReport;
}

/** What {@link createReconciler} returns. */
export interface Reconciler {
  /** One reconcile run. Runs never overlap: a call made while another runs waits for it. */
  sync(options?: SyncOptions): Promise<SyncReport>;
  /** The merged view of local records and Novita instances. */
  listInstances(options?: ListInstancesOptions): Promise<ListInstancesResult>;
  /**
   * Starts automatic syncs every `policy.syncIntervalMinutes` (with 10% jitter either way), each run
   * after the previous one settled. Failures are logged (and emitted as `run-failed`), never thrown into
   * the process. Returns `false`, scheduling nothing, when `policy.enableAutomaticSync` is `false`.
   * Calling it again while started changes nothing.
   */
  start(options?: StartOptions): boolean;
  /** Stops automatic syncs and waits for a run in flight. */
  stop(): Promise<void>;
  /** The resolved policy. */
  readonly policy: Readonly<SyncPolicy>;
}

const DEFAULT_CONFIRM_CONCURRENCY = 4;

/**
 * Creates a reconciler. Validates every option up front and throws {@link ConfigError} naming the
 * option at fault.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({ store: createMemoryStore(), novitaClient, policy: { obsoleteRetentionDays: 3 } });
 * const report = await reconciler.sync({ dryRun: true });
 * ```
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object', { received: options });
  requireMethods('store', options.store, ['readBatches', 'writeBatch', 'get', 'put', 'delete', 'list', 'count']);
  requireMethods('novitaClient', options.novitaClient, ['listInstances', 'getInstance']);
  const policy = resolvePolicy(options.policy ?? {}, 'policy');
  if (options.logger !== undefined) {
    if (typeof options.logger !== 'object' || options.logger === null) throw new ConfigError('logger', 'must be a pino-compatible logger object', { received: options.logger });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      const method = options.logger[level];
      if (method !== undefined && typeof method !== 'function') throw new ConfigError(`logger.${level}`, 'must be a function', { received: method });
    }
  }
  if (options.lock !== undefined) requireMethods('lock', options.lock, ['acquire']);
  optionalFunction('clock', options.clock);
  optionalFunction('onEvent', options.onEvent);
  optionalFunction('adoptRecord', options.adoptRecord);
  if (options.scope !== undefined) {
    if (typeof options.scope !== 'object' || options.scope === null) throw new ConfigError('scope', 'must be an object with optional record and instance predicates', { received: options.scope });
    optionalFunction('scope.record', options.scope.record);
    optionalFunction('scope.instance', options.scope.instance);
  }
  const clientBound = options.novitaClient.maxConcurrency;
  const confirmConcurrency = positiveInteger('confirmConcurrency', options.confirmConcurrency, typeof clientBound === 'number' && clientBound >= 1 ? Math.floor(clientBound) : DEFAULT_CONFIRM_CONCURRENCY);
  const readBatchSize = positiveInteger('readBatchSize', options.readBatchSize, 500);
  const writeBatchSize = positiveInteger('writeBatchSize', options.writeBatchSize, 100);

  const { store, novitaClient, lock, scope } = options;
  const clock = options.clock ?? (() => new Date());
  const adoptRecord = options.adoptRecord ?? defaultAdoptRecord;
  const logger = options.logger ?? {};
  const log = (level: keyof ReconcilerLogger, fields: Record<string, unknown>, message: string): void => {
    try {
      logger[level]?.(fields, message);
    } catch {
      // A broken logger must not break a run.
    }
  };
  const emit = (event: ReconcilerEvent): void => {
    if (!options.onEvent) return;
    try {
      options.onEvent(event);
    } catch (error) {
      log('warn', { event: event.type, err: describeError(error) }, 'onEvent handler threw; ignored');
    }
  };

  // Runs in this process form a queue: a sync called while another runs waits for it, then runs.
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  /** One run; resolves the report together with the listing it used. */
  async function runOnce(runOptions: SyncRunOptions, signal: AbortSignal | undefined): Promise<{ report: SyncReport; instances: NovitaInstance[] }> {
    const runId = randomUUID();
    const startedAt = clock();
    const startedMs = Date.now();
    if (signal?.aborted) throw new AbortedError('sync aborted before it started', { cause: signal.reason });

    let lease: LockLease | null = null;
    if (lock) {
      try {
        lease = await lock.acquire(signal ? { signal } : {});
      } catch (error) {
        throw asStoreError(error, 'taking the sync lock failed');
      }
      if (!lease) throw new SyncInProgressError('another replica is running a sync (the lock is held)');
    }
    const runSignal = combineSignals(signal, lease?.lost);
    let partial: SyncReport | undefined;
    try {
      emit({ type: 'run-started', runId, options: runOptions, timestamp: startedAt.toISOString() });
      const instances = await readListing(runSignal, lease);
      const entries = await readEntries(runSignal, lease);
      const now = clock();
      const planInput = {
        entries,
        instances,
        policy,
        now,
        handleObsoleteInstances: runOptions.handleObsoleteInstances,
        forceSync: runOptions.forceSync,
        adoptRecord,
        ...(scope ? { scope } : {}),
      };
      let plan = planSync(planInput);
      if (plan.toConfirm.length > 0) {
        const confirmations = await confirm(plan.toConfirm, runSignal, lease);
        plan = planSync({ ...planInput, confirmations });
      }
      if (plan.safety.tripped) {
        log('error', { runId, ...plan.safety }, plan.safety.overridden ? 'Sync safety limit tripped; forceSync overrode it' : 'Sync safety limit tripped; obsolete handling and retention held back');
        emit({ type: 'safety-tripped', runId, safety: plan.safety });
      }

      const planned = [...plan.decisions.flatMap((decision) => (decision.action ? [decision.action] : [])), ...plan.adoptions];
      const outcomes = new Map<PlannedAction, ActionOutcome>();
      const finish = (): SyncReport => buildReport({ runId, plan, planned, outcomes, runOptions, instances: instances.length, startedAt, durationMs: Date.now() - startedMs });

      if (runOptions.dryRun) {
        for (const action of planned) outcomes.set(action, 'planned');
      } else {
        for (const action of planned) outcomes.set(action, 'not-applied');
        for (let start = 0; start < planned.length; start += writeBatchSize) {
          const batch = planned.slice(start, start + writeBatchSize);
          if (runSignal?.aborted) {
            partial = finish();
            throw abortError(runSignal, lease);
          }
          let results;
          try {
            results = await store.writeBatch(
              batch.map((action) => ({ ...action.write, reason: action.reason })),
              { runId, ...(lease?.fence ? { fence: lease.fence } : {}), ...(runSignal ? { signal: runSignal } : {}) },
            );
          } catch (error) {
            partial = finish();
            if (lease?.lost.aborted) throw new LockLostError(undefined, { cause: error });
            throw asStoreError(error, 'writing to the store failed');
          }
          batch.forEach((action, index) => outcomes.set(action, toOutcome(results[index]?.outcome)));
        }
      }

      const report = finish();
      announceActions(report);
      log('info', summaryFields(report), 'Instance sync completed');
      emit({ type: 'run-finished', runId, report });
      return { report, instances };
    } catch (error) {
      // Store and Novita failures arrive classified; anything else is a bug or a throwing callback
      // (adoptRecord, a scope predicate): never pass it off as a store or Novita outage.
      const failure = isReconcilerError(error) ? (error as ReconcilerError) : new ReconcilerError('INTERNAL_ERROR', `sync failed unexpectedly: ${describeError(error)}`, { cause: error });
      if (partial) {
        failure.report = partial;
        // What a failed run did apply is announced like any action: "where did my record go" has an answer.
        announceActions(partial);
      }
      log('error', { runId, code: failure.code, err: failure.message, applied: partial?.actions.filter((action) => action.outcome === 'applied').length ?? 0 }, 'Instance sync failed');
      emit({ type: 'run-failed', runId, error: failure, ...(partial ? { report: partial } : {}) });
      throw failure;
    } finally {
      if (lease) {
        try {
          await lease.release();
        } catch (error) {
          log('warn', { runId, err: describeError(error) }, 'releasing the sync lock failed; it expires by itself');
        }
      }
    }
  }

  /** Logs each obsolete action and emits each action that was planned or attempted (not the ones a failed run never reached). */
  function announceActions(report: SyncReport): void {
    for (const action of report.actions) {
      if (action.outcome === 'not-applied') continue;
      if (action.kind === 'markTerminated' || action.kind === 'remove') {
        log(
          'info',
          { runId: report.runId, recordId: action.recordId, novitaInstanceId: action.novitaInstanceId, lastStatus: action.from, novitaStatus: action.novitaStatus, reason: action.reason, outcome: action.outcome, dryRun: report.dryRun },
          action.kind === 'remove' ? 'Obsolete instance record removed' : 'Obsolete instance record marked terminated',
        );
      }
      emit({ type: 'action', runId: report.runId, dryRun: report.dryRun, action });
    }
  }

  async function readListing(signal: AbortSignal | undefined, lease: LockLease | null): Promise<NovitaInstance[]> {
    let listing: unknown;
    try {
      listing = await novitaClient.listInstances(signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, lease);
      if (isReconcilerError(error)) throw error;
      throw new NovitaApiError(`Novita listing failed: ${describeError(error)}`, { cause: error, endpoint: 'listInstances' });
    }
    return checkListing(listing);
  }

  async function readEntries(signal: AbortSignal | undefined, lease: LockLease | null): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = [];
    try {
      for await (const batch of store.readBatches({ batchSize: readBatchSize, ...(signal ? { signal } : {}) })) entries.push(...batch);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, lease);
      throw asStoreError(error, 'reading the store failed');
    }
    return entries;
  }

  async function confirm(ids: readonly string[], signal: AbortSignal | undefined, lease: LockLease | null): Promise<Map<string, Confirmation>> {
    try {
      const answers = await mapBounded(
        ids,
        confirmConcurrency,
        async (id): Promise<Confirmation> => {
          try {
            const instance = await novitaClient.getInstance(id, signal ? { signal } : {});
            return instance === null ? { kind: 'not-found' } : { kind: 'found', instance };
          } catch (error) {
            if (signal?.aborted) throw error;
            log('warn', { novitaInstanceId: id, err: describeError(error) }, 'Could not confirm an obsolete candidate with Novita; left for the next run');
            return { kind: 'error', message: describeError(error) };
          }
        },
        signal,
      );
      return new Map(ids.map((id, index) => [id, answers[index] as Confirmation]));
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, lease);
      throw error;
    }
  }

  const sync = (syncOptions: SyncOptions = {}): Promise<SyncReport> => {
    const { runOptions, signal } = resolveSyncOptions(syncOptions);
    return serialise(async () => (await runOnce(runOptions, signal)).report);
  };
  const scheduler = createSyncScheduler({ runSync: () => sync(), intervalMinutes: policy.syncIntervalMinutes, logger: { info: (f, m) => log('info', f, m), error: (f, m) => log('error', f, m) } });

  return {
    policy,
    sync,
    start(startOptions: StartOptions = {}) {
      if (typeof startOptions !== 'object' || startOptions === null) throw new ConfigError('start options', 'must be an object', { received: startOptions });
      const runImmediately = optionalBoolean('runImmediately', startOptions.runImmediately, false);
      if (!policy.enableAutomaticSync) {
        log('info', { enableAutomaticSync: false }, 'Automatic sync is disabled by policy; start() scheduled nothing');
        return false;
      }
      if (!scheduler.started) log('info', { syncIntervalMinutes: policy.syncIntervalMinutes, runImmediately }, 'Automatic sync started');
      scheduler.start({ runImmediately });
      return true;
    },
    async stop() {
      const wasStarted = scheduler.started;
      await scheduler.stop();
      if (wasStarted) log('info', {}, 'Automatic sync stopped');
    },
    async listInstances(listOptions: ListInstancesOptions = {}) {
      if (typeof listOptions !== 'object' || listOptions === null) throw new ConfigError('listInstances options', 'must be an object', { received: listOptions });
      const includeNovitaOnly = optionalBoolean('includeNovitaOnly', listOptions.includeNovitaOnly, true);
      const syncLocalState = optionalBoolean('syncLocalState', listOptions.syncLocalState, false);
      const signal = optionalSignal('signal', listOptions.signal);
      let report: SyncReport | undefined;
      let instances: NovitaInstance[];
      if (syncLocalState) {
        const result = await serialise(() => runOnce({ dryRun: false, handleObsoleteInstances: true, forceSync: false }, signal));
        report = result.report;
        instances = result.instances;
      } else {
        instances = await readListing(signal, null);
      }
      const records = (await readEntries(signal, null)).flatMap((entry) => (entry.record ? [entry.record] : []));
      const ownRecords = scope?.record ? records.filter((record) => scope.record?.(record)) : records;
      const ownInstances = scope?.instance ? instances.filter((instance) => scope.instance?.(instance)) : instances;
      const view = mergeInstanceView(ownRecords, ownInstances, includeNovitaOnly);
      return report ? { ...view, report } : view;
    },
  };
}

function resolveSyncOptions(options: SyncOptions): { runOptions: SyncRunOptions; signal: AbortSignal | undefined } {
  if (typeof options !== 'object' || options === null) throw new ConfigError('sync options', 'must be an object', { received: options });
  const known = new Set(['dryRun', 'handleObsoleteInstances', 'forceSync', 'signal']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new ConfigError(key, `unknown sync option; known: ${[...known].join(', ')}`);
  return {
    runOptions: {
      dryRun: optionalBoolean('dryRun', options.dryRun, false),
      handleObsoleteInstances: optionalBoolean('handleObsoleteInstances', options.handleObsoleteInstances, true),
      forceSync: optionalBoolean('forceSync', options.forceSync, false),
    },
    signal: optionalSignal('signal', options.signal),
  };
}

/** Rejects any listing that is not provably complete, whatever client produced it. */
function checkListing(listing: unknown): NovitaInstance[] {
  if (typeof listing !== 'object' || listing === null) throw new NovitaInvalidResponseError('', 'the client resolved no listing object');
  const { instances, total } = listing as { instances?: unknown; total?: unknown };
  if (!Array.isArray(instances)) throw new NovitaInvalidResponseError('instances', 'must be an array');
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) throw new NovitaInvalidResponseError('total', 'must be a whole number');
  const seen = new Set<string>();
  instances.forEach((instance: unknown, index) => {
    const item = instance as { id?: unknown; status?: unknown } | null;
    if (typeof item !== 'object' || item === null) throw new NovitaInvalidResponseError(`instances[${index}]`, 'must be an object');
    if (typeof item.id !== 'string' || item.id === '') throw new NovitaInvalidResponseError(`instances[${index}].id`, 'must be a non-empty string');
    if (typeof item.status !== 'string') throw new NovitaInvalidResponseError(`instances[${index}].status`, 'must be a string');
    seen.add(item.id);
  });
  if (seen.size !== instances.length || seen.size !== total) {
    throw new NovitaIncompleteListingError(
      `Novita listing incomplete: ${seen.size} distinct instances (${instances.length} items) but total says ${total}; not taken as the truth`,
      { received: seen.size, expected: total, pages: 0 },
    );
  }
  return instances as NovitaInstance[];
}

interface ReportInput {
  runId: string;
  plan: Plan;
  planned: PlannedAction[];
  outcomes: Map<PlannedAction, ActionOutcome>;
  runOptions: SyncRunOptions;
  instances: number;
  startedAt: Date;
  durationMs: number;
}

function buildReport(input: ReportInput): SyncReport {
  const { plan, outcomes } = input;
  const skipped: SkippedCounts = { grace: 0, unknownStatus: 0, invalid: 0, duplicate: 0, outOfScope: 0, safety: 0 };
  const counts = { updated: 0, markedTerminated: 0, removed: 0, unchanged: 0, conflicts: 0, unverified: 0, notApplied: 0 };
  let merged = 0;
  for (const decision of plan.decisions) {
    if (decision.merged) merged += 1;
    const outcome = decision.action ? outcomes.get(decision.action) : undefined;
    if (outcome === 'not-applied') counts.notApplied += 1;
    else if (outcome === 'conflict' || (outcome === 'missing' && decision.action?.write.op === 'put')) counts.conflicts += 1;
    else if (decision.category === 'pending' || decision.category === 'unverified') counts.unverified += 1;
    else if (decision.category.startsWith('skipped.')) skipped[decision.category.slice('skipped.'.length) as keyof SkippedCounts] += 1;
    else counts[decision.category as 'updated' | 'markedTerminated' | 'removed' | 'unchanged'] += 1;
  }
  let adopted = 0;
  let failedAdoptions = 0;
  for (const action of plan.adoptions) {
    const outcome = outcomes.get(action);
    if (outcome === 'applied' || outcome === 'planned') adopted += 1;
    else failedAdoptions += 1;
  }
  const beforeSync = plan.decisions.length;
  const afterSync = beforeSync - counts.removed + adopted;
  const actions: SyncAction[] = input.planned.map((action) => ({
    kind: action.kind,
    recordId: action.recordId,
    novitaInstanceId: action.novitaInstanceId,
    from: action.from,
    to: action.to,
    reason: action.reason,
    novitaStatus: action.novitaStatus,
    outcome: outcomes.get(action) ?? 'not-applied',
  }));
  return {
    runId: input.runId,
    beforeSync,
    afterSync,
    ...counts,
    skipped,
    obsoleteCandidates: plan.obsoleteCandidates,
    novitaInstances: input.instances,
    localInstances: beforeSync,
    mergedInstances: merged,
    totalInstances: afterSync + plan.unadoptedNovitaOnly + failedAdoptions,
    instancesRemoved: counts.removed,
    adopted,
    novitaOnly: plan.novitaOnly,
    safety: plan.safety,
    duration: input.durationMs,
    timestamp: input.startedAt.toISOString(),
    dryRun: input.runOptions.dryRun,
    options: input.runOptions,
    actions,
  };
}

function summaryFields(report: SyncReport): Record<string, unknown> {
  return {
    runId: report.runId,
    dryRun: report.dryRun,
    beforeSync: report.beforeSync,
    afterSync: report.afterSync,
    updated: report.updated,
    markedTerminated: report.markedTerminated,
    removed: report.removed,
    unchanged: report.unchanged,
    conflicts: report.conflicts,
    unverified: report.unverified,
    skipped: report.skipped,
    novitaInstances: report.novitaInstances,
    adopted: report.adopted,
    novitaOnly: report.novitaOnly.length,
    safetyTripped: report.safety.tripped,
    durationMs: report.duration,
  };
}

function toOutcome(outcome: WriteOutcome | undefined): ActionOutcome {
  if (outcome === 'ok') return 'applied';
  if (outcome === 'conflict' || outcome === 'missing') return outcome;
  // A store that answered fewer results than writes: the write's fate is unknown, so count it as not applied.
  return 'not-applied';
}

function abortError(signal: AbortSignal, lease: LockLease | null): ReconcilerError {
  if (lease?.lost.aborted) return new LockLostError();
  return new AbortedError('sync aborted', { cause: signal.reason });
}

function asStoreError(error: unknown, what: string): ReconcilerError {
  if (isReconcilerError(error)) return error;
  return new StoreUnavailableError(`${what}: ${describeError(error)}`, { cause: error });
}

function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function requireMethods(name: string, value: unknown, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) throw new ConfigError(name, `must be an object with ${methods.join(', ')}`, { received: value });
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') throw new ConfigError(`${name}.${method}`, 'must be a function', { received: (value as Record<string, unknown>)[method] });
  }
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(name, 'must be a function', { received: value });
}

function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(name, 'must be true or false', { received: value });
  return value;
}

function optionalSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new ConfigError(name, 'must be an AbortSignal', { received: value });
  return value;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ConfigError(name, 'must be a whole number of 1 or more', { received: value });
  return value;
}
