import { ConfigError } from '../errors.js';

/** @internal Checks the reconciler a handler wraps has the method the handler calls. */
export function requireReconcilerMethod(reconciler: unknown, method: 'sync' | 'listInstances'): void {
  if (typeof reconciler !== 'object' || reconciler === null || typeof (reconciler as Record<string, unknown>)[method] !== 'function') {
    throw new ConfigError('reconciler', `must be a reconciler from createReconciler() (with a ${method} method)`, { received: reconciler });
  }
}

/** @internal Checks a handler's options object: only known keys, and each known key by its own check. */
export function checkHandlerOptions(options: unknown, checks: Record<string, (value: unknown) => string | undefined>): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError('options', 'must be an object', { received: options });
  }
  const known = Object.keys(checks);
  for (const [key, value] of Object.entries(options)) {
    const check = checks[key];
    if (check === undefined) throw new ConfigError(key, `unknown handler option; known: ${known.join(', ')}`);
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) throw new ConfigError(key, problem, { received: value });
  }
  return options as Record<string, unknown>;
}

/** @internal The check of a boolean option. */
export const booleanOption = (value: unknown): string | undefined => (typeof value === 'boolean' ? undefined : 'must be true or false');

/** @internal The check of a function option. */
export const functionOption = (value: unknown): string | undefined => (typeof value === 'function' ? undefined : 'must be a function');

/** @internal Calls the application's `onError` hook; a hook that throws must not change the answer. */
export function notify(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  if (!onError) return;
  try {
    onError(error);
  } catch {
    // The answer is already decided; a broken logging hook must not turn it into an unhandled rejection.
  }
}
