import { ConfigError } from '../errors.js';
import type { HandlerCallOptions } from './envelope.js';

/** @internal Checks the reconciler a handler wraps has the method the handler calls. */
export function requireReconcilerMethod(reconciler: unknown, method: 'sync' | 'listInstances'): void {
  if (typeof reconciler !== 'object' || reconciler === null || typeof (reconciler as Record<string, unknown>)[method] !== 'function') {
    throw new ConfigError('reconciler', `must be a reconciler from createReconciler() (with a ${method} method)`, { received: reconciler });
  }
}

/**
 * @internal The `signal` of a handler call. The call options come from the application, not from the
 * request, so a bad one is a `ConfigError` (a 500 `CONFIG_INVALID`), never a thrown getter.
 */
export function readCallSignal(callOptions: HandlerCallOptions | undefined): AbortSignal | undefined {
  if (callOptions === undefined || callOptions === null) return undefined;
  let signal: unknown;
  try {
    signal = (callOptions as { signal?: unknown }).signal;
  } catch {
    throw new ConfigError('signal', 'the handler call options could not be read (a getter or a Proxy threw)');
  }
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new ConfigError('signal', 'must be an AbortSignal', { received: signal });
  return signal;
}

/** @internal Calls the application's `onError` hook; a hook that throws must not change the answer. */
export function notify(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  if (!onError) return;
  try {
    onError(error);
  } catch {
    // The answer is already decided; a broken logging hook must not turn it into an unhandled rejection.
  }
}
