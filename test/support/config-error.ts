import { type ConfigError, isReconcilerError } from '../../src/errors.js';

/** The `ConfigError` that `run` throws; fails the test when it throws anything else, or nothing. */
export function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (isReconcilerError(error, 'CONFIG_INVALID')) return error as ConfigError;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
