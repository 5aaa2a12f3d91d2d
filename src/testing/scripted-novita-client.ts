import type { NovitaCallOptions, NovitaClient, NovitaInstance, NovitaListing } from '../core/ports/novita-client.js';
import { AbortedError, NovitaApiError } from '../errors.js';

/** Options of {@link createScriptedNovitaClient}. */
export interface ScriptedNovitaClientOptions {
  /** The account's instances: what both `listInstances` and `getInstance` see, unless scripted otherwise. */
  instances?: readonly NovitaInstance[];
  /** The bound the reconciler uses for confirmations. @default 4 */
  maxConcurrency?: number;
  /** Milliseconds every call waits before answering (to observe concurrency). @default 0 */
  latencyMs?: number;
}

/** One call the scripted client received. */
export interface ScriptedCall {
  /** Which method was called. */
  method: 'listInstances' | 'getInstance';
  /** The instance id asked for: `getInstance` calls only. */
  id?: string;
}

/**
 * An in-process Novita client whose answers a test (or the demo) scripts: the fleet, a listing that
 * fails or lags behind, `getInstance` errors per id. It implements the same `NovitaClient` interface
 * as `createNovitaClient`, without HTTP; use `startFakeNovita` to test over real HTTP.
 */
export interface ScriptedNovitaClient extends NovitaClient {
  /** The `maxConcurrency` option (4 unless given): the reconciler confirms candidates within it. */
  readonly maxConcurrency: number;
  /** Replaces the whole fleet. */
  setInstances(instances: readonly NovitaInstance[]): void;
  /** Adds or replaces one instance. */
  upsertInstance(instance: NovitaInstance): void;
  /** Removes an instance entirely (Novita no longer knows it). */
  removeInstance(id: string): void;
  /** Makes every `listInstances` call reject with `error` until cleared with `null`. */
  failListing(error: Error | null): void;
  /**
   * Leaves these ids out of the listing while `getInstance` still finds them (a lagging listing).
   * Replaces the ids hidden before: `hideFromListing([])` lists every instance again.
   */
  hideFromListing(ids: readonly string[]): void;
  /** Makes `getInstance(id)` reject with `error` until cleared with `null`. */
  failGetInstance(id: string, error: Error | null): void;
  /** Every call received, in order, including calls that then failed or were aborted. */
  readonly calls: readonly ScriptedCall[];
  /** The most `getInstance` calls that were in flight at once. */
  readonly maxInFlight: number;
}

/** Creates a scripted in-process Novita client. */
export function createScriptedNovitaClient(options: ScriptedNovitaClientOptions = {}): ScriptedNovitaClient {
  const fleet = new Map<string, NovitaInstance>();
  for (const instance of options.instances ?? []) fleet.set(instance.id, { ...instance });
  let listingError: Error | null = null;
  let hidden = new Set<string>();
  const getErrors = new Map<string, Error>();
  const calls: ScriptedCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const latency = options.latencyMs ?? 0;

  const wait = async (signal: AbortSignal | undefined): Promise<void> => {
    if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
    if (latency <= 0) return;
    await new Promise<void>((resolve, reject) => {
      // The listener goes when the wait ends, however it ends: calls share the run's signal.
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new AbortedError(undefined, { cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, latency);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  return {
    maxConcurrency: options.maxConcurrency ?? 4,
    get calls() {
      return calls;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    async listInstances(callOptions: NovitaCallOptions = {}): Promise<NovitaListing> {
      calls.push({ method: 'listInstances' });
      await wait(callOptions.signal);
      if (listingError) throw listingError;
      const instances = [...fleet.values()].filter((instance) => !hidden.has(instance.id)).map((instance) => ({ ...instance }));
      return { instances, total: instances.length };
    },
    async getInstance(id: string, callOptions: NovitaCallOptions = {}): Promise<NovitaInstance | null> {
      calls.push({ method: 'getInstance', id });
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await wait(callOptions.signal);
        const error = getErrors.get(id);
        if (error) throw error;
        const instance = fleet.get(id);
        return instance ? { ...instance } : null;
      } finally {
        inFlight -= 1;
      }
    },
    setInstances(instances) {
      fleet.clear();
      for (const instance of instances) fleet.set(instance.id, { ...instance });
    },
    upsertInstance(instance) {
      fleet.set(instance.id, { ...instance });
    },
    removeInstance(id) {
      fleet.delete(id);
    },
    failListing(error) {
      listingError = error;
    },
    hideFromListing(ids) {
      hidden = new Set(ids);
    },
    failGetInstance(id, error) {
      if (error) getErrors.set(id, error);
      else getErrors.delete(id);
    },
  };
}

/** A ready-made Novita error for scripts: a 503 that a real client would have retried and given up on. */
export function scriptedNovitaOutage(message = 'Novita answered 503 after retries'): NovitaApiError {
  return new NovitaApiError(message, { status: 503, retryable: true, endpoint: 'GET /gpu/instances' });
}
