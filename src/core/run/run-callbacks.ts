/**
 * The application's callbacks (`scope.record`, `scope.instance`, `adoptRecord`), called at most once
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
}

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
export function callbacksForRun(scope: SyncScope | undefined, adoptRecord: (instance: NovitaInstance) => InstanceRecord): RunCallbacks {
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
  };
}
