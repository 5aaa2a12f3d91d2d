/**
 * The application's callbacks (`scope.record`, `scope.instance`, `adoptRecord`, `priceOf`), called at most once
 * per record or instance per run. Nothing makes them pure: an `adoptRecord` that returns a fresh
 * `randomUUID()` each time, or a scope that answers differently on each call, would otherwise let two
 * plans of one run decide one record two ways, and the report would describe writes that were never
 * sent. Each answer (or throw) is kept for the run, keyed by the very object the planner is handed.
 */
import type { NovitaInstance } from '../ports/novita-client.js';
import type { SyncScope } from '../plan/planner.js';
import type { InstanceRecord } from '../record.js';

/** The callbacks one run hands the planner. */
export interface RunCallbacks {
  scope: SyncScope | undefined;
  adoptRecord: (instance: NovitaInstance) => InstanceRecord;
  /** The price of an instance (USD per hour), or `undefined`: a throw or a value that is no price counts as unknown. */
  priceOf: ((instance: NovitaInstance) => number | undefined) | undefined;
}

/** Told about a `priceOf` that threw or answered something that is not a price (the run goes on without it). */
export type PriceProblem = (instance: NovitaInstance, problem: string) => void;

type Answer<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** `callback`, answering each key object once: later calls get the first answer (or the first throw) again. */
function once<K extends object, T>(callback: (key: K) => T): (key: K) => T {
  const answers = new WeakMap<K, Answer<T>>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined) {
      try {
        answer = { ok: true, value: callback(key) };
      } catch (error) {
        answer = { ok: false, error };
      }
      answers.set(key, answer);
    }
    if (!answer.ok) throw answer.error;
    return answer.value;
  };
}

/** The callbacks of one run: each called at most once per record or instance. */
export function callbacksForRun(
  scope: SyncScope | undefined,
  adoptRecord: (instance: NovitaInstance) => InstanceRecord,
  priceOf?: (instance: NovitaInstance) => number | undefined,
  onPriceProblem: PriceProblem = () => undefined,
): RunCallbacks {
  const record = scope?.record;
  const instance = scope?.instance;
  return {
    scope:
      scope === undefined
        ? undefined
        : {
            // Called as methods of the application's scope object, as the planner would call them.
            ...(record ? { record: once((value: InstanceRecord) => record.call(scope, value)) } : {}),
            ...(instance ? { instance: once((value: NovitaInstance) => instance.call(scope, value)) } : {}),
          },
    adoptRecord: once((value: NovitaInstance) => adoptRecord(value)),
    // A price is for a report: a pricing table that fails must never fail the run.
    priceOf: priceOf
      ? once((value: NovitaInstance) => {
          let price: unknown;
          try {
            price = priceOf(value);
          } catch (error) {
            onPriceProblem(value, `priceOf threw: ${error instanceof Error ? error.message : String(error)}`);
            return undefined;
          }
          if (price === undefined) return undefined;
          if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
            onPriceProblem(
              value,
              `priceOf returned ${typeof price === 'number' ? String(price) : typeof price}, not a number of USD per hour`,
            );
            return undefined;
          }
          return price;
        })
      : undefined,
  };
}
