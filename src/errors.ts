/**
 * The errors every part of novita-reconciler throws. One base class with a closed {@link ErrorCode}
 * union, a `cause`, and a `Symbol.for` brand so that {@link isReconcilerError} works even when the ESM
 * and the CommonJS copies of this package are both loaded (where `instanceof` fails).
 *
 * No error message, property or cause chain built here ever carries the Novita API key or instance
 * credentials: callers pass only what is safe to show.
 */

/** Every error code this package throws. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'RECORD_INVALID'
  | 'NOVITA_API'
  | 'NOVITA_AUTH'
  | 'NOVITA_INCOMPLETE_LISTING'
  | 'NOVITA_INVALID_RESPONSE'
  | 'STORE_UNAVAILABLE'
  | 'SYNC_IN_PROGRESS'
  | 'LOCK_LOST'
  | 'ABORTED'
  | 'INTERNAL_ERROR';

const BRAND = Symbol.for('novita-reconciler.error');

/** Options common to every error of this package. */
export interface ReconcilerErrorOptions {
  /** The underlying error, if any. Must not carry secrets. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by novita-reconciler. Check with {@link isReconcilerError}, not
 * `instanceof`, when the error may come from another copy of the package.
 */
export class ReconcilerError extends Error {
  /** What went wrong, as a stable machine-readable code. */
  readonly code: ErrorCode;
  /**
   * The report of what a sync run had applied before it failed: set by the reconciler when a real (not
   * dry) run failed during its confirmations or its writes, with each write's outcome (`applied`,
   * `not-applied`, `unknown`, ...). `undefined` for a failure before that (the lock, the listing, the
   * records, planning), for a dry run, and for errors that did not end a run.
   */
  report?: import('./report.js').SyncReport;

  constructor(code: ErrorCode, message: string, options: ReconcilerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReconcilerError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/** A configuration value (an option, a policy field or an environment variable) is invalid. */
export class ConfigError extends ReconcilerError {
  /** The option, policy field or environment variable at fault, for example `policy.syncIntervalMinutes` or `SYNC_INTERVAL_MINUTES`. */
  readonly field: string;
  /** What was received, rendered for a person (never a secret). */
  readonly received: string;
  /** For an unknown option key: the nearest valid option name, when one is close enough to be a typo. */
  readonly suggestion?: string;
  /** The environment variable the bad value came from, when it came from one (`SYNC_INTERVAL_MINUTES`). */
  readonly envVariable?: string;

  constructor(
    field: string,
    message: string,
    options: ReconcilerErrorOptions & { received?: unknown; suggestion?: string; envVariable?: string } = {},
  ) {
    const received = describeValue(options.received);
    super('CONFIG_INVALID', `${field}: ${message}${'received' in options ? ` (got ${received})` : ''}`, options);
    this.name = 'ConfigError';
    this.field = field;
    this.received = received;
    if (options.suggestion !== undefined) this.suggestion = options.suggestion;
    if (options.envVariable !== undefined) this.envVariable = options.envVariable;
  }
}

/** A record handed to a store is not a valid instance record. */
export class RecordInvalidError extends ReconcilerError {
  /** The record id, when it had one. */
  readonly recordId: string | undefined;
  /** The path of the offending field, for example `timestamps.created`. */
  readonly field: string;

  constructor(recordId: string | undefined, field: string, message: string, options: ReconcilerErrorOptions = {}) {
    super(
      'RECORD_INVALID',
      `record ${recordId === undefined ? '(without id)' : JSON.stringify(recordId)} is invalid at ${field || '(root)'}: ${message}`,
      options,
    );
    this.name = 'RecordInvalidError';
    this.recordId = recordId;
    this.field = field;
  }
}

/** Options of a {@link NovitaApiError}. */
export interface NovitaApiErrorOptions extends ReconcilerErrorOptions {
  /** HTTP status, or `undefined` for a network error or a timeout. */
  status?: number;
  /** Novita's `reason`, for example `RESOURCE_NOT_FOUND`, when the body carried one. */
  reason?: string;
  /** Whether sending the same request again may succeed. */
  retryable?: boolean;
  /** The endpoint that failed, without query secrets, for example `GET /gpu/instances`. */
  endpoint?: string;
}

/** Novita answered with an error, or could not be reached. */
export class NovitaApiError extends ReconcilerError {
  /** HTTP status, or `undefined` for a network error or a timeout. */
  readonly status: number | undefined;
  /** Novita's error `reason`, when its body carried one. */
  readonly reason: string | undefined;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
  /** The endpoint that failed, for example `GET /gpu/instances`. */
  readonly endpoint: string | undefined;

  constructor(message: string, options: NovitaApiErrorOptions = {}, code: ErrorCode = 'NOVITA_API') {
    super(code, message, options);
    this.name = 'NovitaApiError';
    this.status = options.status;
    this.reason = options.reason;
    this.retryable = options.retryable ?? false;
    this.endpoint = options.endpoint;
  }
}

/** Novita refused the API key (HTTP 401 or 403). The key itself is never part of the error. */
export class NovitaAuthError extends NovitaApiError {
  constructor(message: string, options: NovitaApiErrorOptions = {}) {
    super(message, { ...options, retryable: false }, 'NOVITA_AUTH');
    this.name = 'NovitaAuthError';
  }
}

/** Options of a {@link NovitaIncompleteListingError}. */
export interface IncompleteListingOptions extends ReconcilerErrorOptions {
  /** Distinct instances gathered before the walk stopped. */
  received: number;
  /** The `total` Novita announced, when it announced one. */
  expected?: number;
  /** Pages read. */
  pages: number;
}

/** The Novita listing could not be read completely, so it must not be taken as the truth. */
export class NovitaIncompleteListingError extends ReconcilerError {
  /** Distinct instances gathered before the walk stopped. */
  readonly received: number;
  /** The `total` Novita announced, when known. */
  readonly expected: number | undefined;
  /** Pages read. */
  readonly pages: number;

  constructor(message: string, options: IncompleteListingOptions) {
    super('NOVITA_INCOMPLETE_LISTING', message, options);
    this.name = 'NovitaIncompleteListingError';
    this.received = options.received;
    this.expected = options.expected;
    this.pages = options.pages;
  }
}

/** Novita's response could not be parsed. */
export class NovitaInvalidResponseError extends ReconcilerError {
  /** The path of the offending field, for example `instances[3].status`. */
  readonly field: string;

  constructor(field: string, message: string, options: ReconcilerErrorOptions = {}) {
    super('NOVITA_INVALID_RESPONSE', `Novita response invalid at ${field || '(root)'}: ${message}`, options);
    this.name = 'NovitaInvalidResponseError';
    this.field = field;
  }
}

/** The store could not be read or written (connection refused, timeout, read-only replica, script error). */
export class StoreUnavailableError extends ReconcilerError {
  constructor(message: string, options: ReconcilerErrorOptions = {}) {
    super('STORE_UNAVAILABLE', message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Another sync run holds the lock (in another process or replica). */
export class SyncInProgressError extends ReconcilerError {
  constructor(message = 'another sync run holds the lock', options: ReconcilerErrorOptions = {}) {
    super('SYNC_IN_PROGRESS', message, options);
    this.name = 'SyncInProgressError';
  }
}

/** The run's lock lease was lost (expired or taken over) before it finished; it stopped writing. */
export class LockLostError extends ReconcilerError {
  constructor(message = 'the sync lock was lost before the run finished; it stopped writing', options: ReconcilerErrorOptions = {}) {
    super('LOCK_LOST', message, options);
    this.name = 'LockLostError';
  }
}

/** The operation was aborted through its `AbortSignal`. */
export class AbortedError extends ReconcilerError {
  constructor(message = 'the operation was aborted', options: ReconcilerErrorOptions = {}) {
    super('ABORTED', message, options);
    this.name = 'AbortedError';
  }
}

/**
 * Whether `value` is an error of this package (from any copy of it, ESM or CommonJS), optionally
 * with the given code.
 *
 * @example
 * ```ts
 * try { await reconciler.sync(); } catch (error) {
 *   if (isReconcilerError(error, 'SYNC_IN_PROGRESS')) return; // another replica is on it
 *   throw error;
 * }
 * ```
 */
export function isReconcilerError<C extends ErrorCode>(value: unknown, code?: C): value is ReconcilerError & { code: C } {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as ReconcilerError).code === code;
}

/** Throws {@link AbortedError} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
