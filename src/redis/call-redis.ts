import { isReconcilerError, StoreUnavailableError } from '../errors.js';

/**
 * @internal Runs one Redis operation and turns whatever Redis or ioredis throws (connection refused,
 * a command timeout, `READONLY` from a replica, a script error, the max-retries limit while
 * reconnecting) into `STORE_UNAVAILABLE`, keeping the original as `cause`. Errors of this package
 * pass through as they are.
 */
export async function callRedis<T>(operation: string, run: () => Promise<T>, connectionError?: () => Error | undefined): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreUnavailable(operation, error, connectionError?.());
  }
}

/** @internal See {@link callRedis}. */
export function toStoreUnavailable(operation: string, error: unknown, connectionError?: Error): Error {
  if (isReconcilerError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const connection = connectionError !== undefined && connectionError.message !== reason ? ` (connection: ${connectionError.message})` : '';
  return new StoreUnavailableError(`Redis store: ${operation} failed: ${reason}${connection}`, { cause: error });
}
