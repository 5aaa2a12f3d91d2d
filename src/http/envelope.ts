/**
 * The response envelope of the HTTP helpers and how a failed run maps to an HTTP status. Framework
 * agnostic: a handler returns `{ status, body }` and the application writes it with its own framework.
 */
import { isReconcilerError, type ErrorCode } from '../errors.js';
import type { SyncReport } from '../report.js';

/**
 * Every `error.code` an answer carries: the request was invalid (`VALIDATION_ERROR`), one the
 * adapters refuse before any handler runs (`METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`,
 * `UNSUPPORTED_MEDIA_TYPE`), a reconciler error code, or an unexpected failure (`INTERNAL_ERROR`).
 */
export type HttpErrorCode =
  | 'VALIDATION_ERROR'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INTERNAL_ERROR'
  | ErrorCode;

/**
 * Every HTTP status an answer has, as literals, so that a framework typed by status code (Hono's
 * `c.json(body, status)`) accepts it. 405, 413 and 415 come only from the adapters.
 */
export type HttpStatus = 200 | 400 | 405 | 409 | 413 | 415 | 500 | 502 | 503;

/** The statuses of a failed answer. */
export type HttpErrorStatus = Exclude<HttpStatus, 200>;

/** One problem with the request input. */
export interface HttpValidationIssue {
  /** The field at fault, for example `dryRun`; `(input)` when the input as a whole is wrong. */
  field: string;
  /** What is wrong with it, for a person. */
  message: string;
}

/** Extra facts about a failure. Never carries a stack, a cause chain, the API key or instance credentials. */
export interface HttpErrorDetails {
  /** `VALIDATION_ERROR`: the first field at fault (also named in the message). */
  field?: string;
  /** `VALIDATION_ERROR`: every problem found. */
  issues?: HttpValidationIssue[];
  /** A run that failed midway: the report of what it had applied before it stopped (`error.report`). */
  report?: SyncReport;
  /** `NOVITA_*`: whether sending the same request again may succeed. */
  retryable?: boolean;
}

/** The body of a successful answer. */
export interface HttpSuccessBody<T> {
  /** Always `true`: tells this body apart from {@link HttpFailureBody}. */
  success: true;
  /** A one-line summary for a person. */
  message: string;
  /** The sync handler's `SyncReport`, or the list handler's merged view (`ListInstancesResult`). */
  data: T;
}

/** The body of a failed answer. */
export interface HttpFailureBody {
  /** Always `false`: tells this body apart from {@link HttpSuccessBody}. */
  success: false;
  /** What went wrong: a code to branch on, a message for a person, and details when there are any. */
  error: {
    /** What failed, stable for code to branch on; it decides the answer's status (see {@link httpStatusOf}). */
    code: HttpErrorCode;
    /** For a reconciler error, its own message (which never carries secrets); a fixed text for anything unexpected. */
    message: string;
    /** Present only when there is something to add: the fields at fault, a failed run's partial report, `retryable`. */
    details?: HttpErrorDetails;
  };
}

/** What a handler resolves: the HTTP status and the JSON body to send. Handlers never reject. */
export interface HttpResult<T> {
  /** 200 with a {@link HttpSuccessBody}; any other status with a {@link HttpFailureBody} (see {@link httpStatusOf}). */
  status: HttpStatus;
  /** The JSON body to send; `body.success` tells which of the two it is. */
  body: HttpSuccessBody<T> | HttpFailureBody;
}

/** Options of one handler call. */
export interface HandlerCallOptions {
  /**
   * Aborts the run, for example when the client disconnects or the server shuts down; the handler then
   * answers 503 `ABORTED`, with the partial report under `details.report` when a real run was aborted
   * during its confirmations or writes.
   */
  signal?: AbortSignal;
}

/**
 * The HTTP status of each failure:
 * 400 `VALIDATION_ERROR`, 405 `METHOD_NOT_ALLOWED`, 409 `SYNC_IN_PROGRESS`, 413 `PAYLOAD_TOO_LARGE`,
 * 415 `UNSUPPORTED_MEDIA_TYPE`, 502 any `NOVITA_*`, 503 `STORE_UNAVAILABLE` and `ABORTED`, 500
 * anything else (`LOCK_LOST`, `CONFIG_INVALID`, `RECORD_INVALID`, `INTERNAL_ERROR`).
 *
 * `ABORTED` is 503: a run is aborted by its caller's signal, which in a server means the client went
 * away or the server is shutting down. Nothing is wrong with the request or the server's code, and
 * the same request may succeed later, which is what 503 says; 500 would page someone for a deploy.
 */
export function httpStatusOf(code: HttpErrorCode): HttpErrorStatus {
  if (code === 'VALIDATION_ERROR') return 400;
  if (code === 'METHOD_NOT_ALLOWED') return 405;
  if (code === 'SYNC_IN_PROGRESS') return 409;
  if (code === 'PAYLOAD_TOO_LARGE') return 413;
  if (code === 'UNSUPPORTED_MEDIA_TYPE') return 415;
  if (code.startsWith('NOVITA_')) return 502;
  if (code === 'STORE_UNAVAILABLE' || code === 'ABORTED') return 503;
  return 500;
}

/** @internal The message of a failure that is not a reconciler error: its own text may hold anything. */
export const INTERNAL_ERROR_MESSAGE = 'internal error: the reconciler failed unexpectedly (see the server log)';

/** @internal A successful answer. */
export function successResult<T>(message: string, data: T): HttpResult<T> {
  return { status: 200, body: { success: true, message, data } };
}

/** @internal A failure answer with a fixed code and message (the adapters' 405, 413, 415). */
export function failureResult(code: HttpErrorCode, message: string): HttpResult<never> {
  return { status: httpStatusOf(code), body: { success: false, error: { code, message } } };
}

/** @internal The fixed 500 of a failure that is not a reconciler error. */
export function internalErrorResult(): HttpResult<never> {
  return { status: 500, body: { success: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_ERROR_MESSAGE } } };
}

/** @internal A 400 naming the first field at fault. */
export function validationResult(issues: readonly HttpValidationIssue[]): HttpResult<never> {
  const first = issues[0] ?? { field: '(input)', message: 'is invalid' };
  return {
    status: 400,
    body: {
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: `${first.field}: ${first.message}`,
        details: { field: first.field, issues: [...issues] },
      },
    },
  };
}

/**
 * @internal The answer to an error thrown by the reconciler. A reconciler error keeps its code and its
 * own message (the package guarantees neither carries secrets); anything else becomes a fixed 500 so
 * that no driver message, path or stack reaches the client.
 */
export function errorResult(error: unknown): HttpResult<never> {
  // INTERNAL_ERROR wraps a bug or a throwing callback: its message is the application's, not ours to show.
  if (!isReconcilerError(error) || error.code === 'INTERNAL_ERROR') return internalErrorResult();
  const details: HttpErrorDetails = {};
  if (error.report !== undefined) details.report = error.report;
  const retryable = (error as { retryable?: unknown }).retryable;
  if (error.code.startsWith('NOVITA_') && typeof retryable === 'boolean') details.retryable = retryable;
  return {
    status: httpStatusOf(error.code),
    body: {
      success: false,
      error: { code: error.code, message: String(error.message), ...(Object.keys(details).length > 0 ? { details } : {}) },
    },
  };
}
