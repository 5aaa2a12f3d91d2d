/**
 * What the Node and the Fetch adapters share: which methods an endpoint answers, how the query string
 * and the body become one set of fields, and how an answer is written. Each adapter only reads the
 * request its own way (a Node stream, a Fetch `Request`) and writes the answer back.
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys, integerOption } from '../options.js';
import { failureResult, internalErrorResult, type HandlerCallOptions, type HttpResult, type HttpStatus } from './envelope.js';
import { handlerKindOf } from './handler-kind.js';
import { understandBody, type BodyFields, type ContentHeaders, type ReceivedBody } from './read-body.js';
import { echoedName, requestParts } from './request-input.js';

/** Options of {@link toNodeHandler} and {@link toFetchHandler}. */
export interface HttpAdapterOptions {
  /**
   * The largest request body read, in bytes; a larger one is answered 413 `PAYLOAD_TOO_LARGE` without
   * running anything. The fields of either endpoint fit in a few dozen bytes. When a framework parsed
   * the body already, its own limit applied instead.
   * @default 65536
   */
  bodyLimit?: number;
}

/** A handler an adapter can serve: one from {@link createSyncHandler} or {@link createListHandler}. */
export type AdaptableHandler<T> = (input: unknown, options?: HandlerCallOptions) => Promise<HttpResult<T>>;

/** @internal An adapter's settings, resolved once when it is created. */
export interface ResolvedAdapter<T> {
  handler: AdaptableHandler<T>;
  /** The one method the endpoint answers: `POST` runs a sync, `GET` lists. */
  method: 'POST' | 'GET';
  bodyLimit: number;
}

/** The default of {@link HttpAdapterOptions.bodyLimit}. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** @internal Checks an adapter's handler and options. */
export function resolveAdapter<T>(
  owner: string,
  handler: AdaptableHandler<T>,
  options: HttpAdapterOptions | undefined,
): ResolvedAdapter<T> {
  const kind = handlerKindOf(handler);
  if (kind === undefined) {
    throw new ConfigError('handler', 'must be a handler from createSyncHandler() or createListHandler()', { received: handler });
  }
  const checked = checkOptionKeys<HttpAdapterOptions>(owner, options, ['bodyLimit']);
  return {
    handler,
    // A sync changes records, so it answers only POST: a prefetch, a crawler or a HEAD never runs one.
    method: kind === 'sync' ? 'POST' : 'GET',
    bodyLimit: integerOption('bodyLimit', checked.bodyLimit, DEFAULT_BODY_LIMIT, 0, 2 ** 30),
  };
}

/** @internal The 405 for a method the endpoint does not answer, or `undefined` when it does. */
export function refuseMethod(adapter: ResolvedAdapter<unknown>, method: string | undefined): HttpResult<never> | undefined {
  if (method === adapter.method) return undefined;
  const shown = method === undefined || method === '' ? 'a request without a method' : JSON.stringify(echoedName(method));
  return failureResult('METHOD_NOT_ALLOWED', `${shown} is not allowed here: send ${adapter.method}`);
}

/** What an adapter read of a request (after the method check). */
export interface AdaptedRequest extends ContentHeaders {
  /** The query string, without its `?`. */
  search: string;
  body: ReceivedBody;
}

/**
 * @internal Understands the body, merges it with the query string and runs the handler. A field given
 * in both the query string and the body is refused: which one wins would be a guess, and a guess
 * between `dryRun=true` and `dryRun=false` must not be ours. Never rejects.
 */
export async function answerRequest<T>(
  adapter: ResolvedAdapter<T>,
  request: AdaptedRequest,
  signal: AbortSignal | undefined,
): Promise<HttpResult<T>> {
  try {
    const understood = understandBody(request.body, request);
    if (!understood.ok) return understood.result;
    // The handler merges the parts by the one rule every caller meets (request-input.ts): a field in
    // both is refused, as is a key repeated in the query string or in a form.
    const input = requestParts({ query: new URLSearchParams(request.search), body: bodyPart(understood.fields) });
    return await adapter.handler(input, signal === undefined ? {} : { signal });
  } catch {
    // The handlers never reject; only a bug of ours gets here.
    return internalErrorResult();
  }
}

/** The body as a part of a request: nothing, the form's entries, or the object of fields. */
function bodyPart(fields: BodyFields): unknown {
  if (fields.kind === 'form') return fields.params;
  if (fields.kind === 'object') return fields.value;
  return undefined;
}

/** An answer ready to write: status, headers and the JSON text. */
export interface WrittenAnswer {
  status: HttpStatus;
  headers: Record<string, string>;
  text: string;
}

/** @internal The status, headers and JSON text of `result`; `Allow` on a 405. Never throws. */
export function writeAnswer(adapter: ResolvedAdapter<unknown>, result: HttpResult<unknown>): WrittenAnswer {
  let status = result.status;
  let text: string;
  try {
    text = JSON.stringify(result.body);
  } catch {
    const internal = internalErrorResult();
    status = internal.status;
    text = JSON.stringify(internal.body);
  }
  // The list answer carries records whole: no cache on the way may keep a copy.
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (status === 405) headers.allow = adapter.method;
  return { status, headers, text };
}

/** @internal The declared length of a body: a number, `'unknown'` for a chunked body, `undefined` for none declared. */
export function declaredLength(
  contentLength: string | undefined | null,
  transferEncoding: string | undefined | null,
): number | 'unknown' | undefined {
  if (contentLength !== undefined && contentLength !== null && /^\s*\d+\s*$/.test(contentLength)) return Number(contentLength);
  if (transferEncoding !== undefined && transferEncoding !== null && transferEncoding !== '') return 'unknown';
  return undefined;
}
