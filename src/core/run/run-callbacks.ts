/**
 * The application's callbacks (`scope.record`, `scope.instance`, `adoptRecord`, `livenessCheck`), called at most once
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
  /** The application's veto, asked at most once per record per run; `undefined` without one. */
  livenessCheck: LivenessCheck | undefined;
}

/**
 * The application's veto on ending a record (`createReconciler({ livenessCheck })`): `false` means the
 * application agrees the record's instance is gone; anything else keeps the record.
 */
export type LivenessCheckOption = (record: InstanceRecord, context: { signal: AbortSignal }) => boolean | Promise<boolean>;

/** What one liveness question came to: `gone` (answered `false`), `alive` (anything else), `error` (threw or rejected), `timeout`. */
export type LivenessVerdict = { kind: 'gone' } | { kind: 'alive' } | { kind: 'error' | 'timeout'; message: string };

/** A run's liveness check: never rejects; resolves the verdict (the run's own abort is the caller's to check). */
export type LivenessCheck = (record: InstanceRecord, runSignal: AbortSignal | undefined) => Promise<LivenessVerdict>;

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

/**
 * The application's `livenessCheck` for one run: asked at most once per record, raced against
 * `timeoutMs` and the run's signal (the call gets a signal that aborts on either). Only `false` is `gone`.
 */
function livenessForRun(check: LivenessCheckOption, timeoutMs: number): LivenessCheck {
  const answers = new WeakMap<InstanceRecord, Promise<LivenessVerdict>>();
  const ask = async (record: InstanceRecord, runSignal: AbortSignal | undefined): Promise<LivenessVerdict> => {
    const timeout = new AbortController();
    const signal = runSignal ? AbortSignal.any([runSignal, timeout.signal]) : timeout.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<LivenessVerdict>((resolve) => {
      timer = setTimeout(() => {
        const message = `no answer within ${timeoutMs} ms`;
        timeout.abort(new Error(`livenessCheck: ${message}`));
        resolve({ kind: 'timeout', message });
      }, timeoutMs);
    });
    // The run's abort ends the wait too (the caller then rejects the run); the listener goes with the call.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<LivenessVerdict>((resolve) => {
      onAbort = () => resolve({ kind: 'error', message: 'the run was aborted' });
      if (runSignal?.aborted) onAbort();
      else runSignal?.addEventListener('abort', onAbort, { once: true });
    });
    const answer = (async (): Promise<LivenessVerdict> => {
      try {
        const value: unknown = await check(record, { signal });
        return value === false ? { kind: 'gone' } : { kind: 'alive' };
      } catch (error) {
        return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      }
    })();
    try {
      return await Promise.race([answer, deadline, aborted]);
    } finally {
      clearTimeout(timer);
      if (onAbort) runSignal?.removeEventListener('abort', onAbort);
    }
  };
  return (record, runSignal) => {
    let answer = answers.get(record);
    if (answer === undefined) {
      answer = ask(record, runSignal);
      answers.set(record, answer);
    }
    return answer;
  };
}

/** The callbacks of one run: each called at most once per record or instance. */
export function callbacksForRun(
  scope: SyncScope | undefined,
  adoptRecord: (instance: NovitaInstance) => InstanceRecord,
  liveness?: { check: LivenessCheckOption; timeoutMs: number },
): RunCallbacks {
  const record = scope?.record;
  const instance = scope?.instance;
  return {
    livenessCheck: liveness ? livenessForRun(liveness.check, liveness.timeoutMs) : undefined,
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
