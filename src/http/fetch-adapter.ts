/**
 * `toFetchHandler`: a handler as a Fetch API `(request) => Promise<Response>` for Hono, Next.js route
 * handlers, Bun, Deno and workers. Uses only the Fetch globals (`Request`, `Response`, streams).
 */
import { internalErrorResult, type HttpResult } from './envelope.js';
import {
  answerRequest,
  declaredLength,
  refuseMethod,
  resolveAdapter,
  writeAnswer,
  type AdaptableHandler,
  type HttpAdapterOptions,
  type ResolvedAdapter,
} from './http-adapter.js';
import { concatBytes, type ReceivedBody } from './read-body.js';

/** A Fetch API handler. Its promise never rejects. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Serves a handler from {@link createSyncHandler} or {@link createListHandler} as a Fetch API
 * handler: `export const POST = toFetchHandler(sync)` in a Next.js route, `app.post(path, (c) =>
 * fetchSync(c.req.raw))` in Hono, `Bun.serve({ fetch: fetchSync })`.
 *
 * The rules are those of {@link toNodeHandler}: `POST` only to sync and `GET` only to list (405 with
 * `Allow` otherwise, running nothing); the query string and a JSON or form body merged, a field in
 * both a 400; invalid or non-object JSON a 400; another content type a 415; more than `bodyLimit`
 * bytes a 413; an empty body is no fields. A body that was already read (`await request.json()` before
 * the handler) is refused, never taken as no fields. The request's `signal` aborts the run.
 *
 * @throws {ConfigError} at creation, naming `handler` or the option at fault.
 *
 * @example Next.js (app/api/instances/sync/route.ts)
 * ```ts
 * export const POST = toFetchHandler(createSyncHandler(reconciler));
 * ```
 */
export function toFetchHandler<T>(handler: AdaptableHandler<T>, options?: HttpAdapterOptions): FetchHandler {
  const adapter = resolveAdapter('toFetchHandler', handler, options);
  return async (request) => {
    let result: HttpResult<unknown>;
    try {
      result = refuseMethod(adapter, request.method) ?? (await answerFetchRequest(adapter, request));
    } catch {
      // Only an argument that is not a Request gets here: nothing ran.
      result = internalErrorResult();
    }
    const answer = writeAnswer(adapter, result);
    return new Response(answer.text, { status: answer.status, headers: answer.headers });
  };
}

async function answerFetchRequest<T>(adapter: ResolvedAdapter<T>, request: Request): Promise<HttpResult<T>> {
  const queryStart = request.url.indexOf('?');
  return answerRequest(
    adapter,
    {
      search: queryStart < 0 ? '' : request.url.slice(queryStart + 1),
      contentType: request.headers.get('content-type') ?? undefined,
      contentEncoding: request.headers.get('content-encoding') ?? undefined,
      body: await receiveFetchBody(request, adapter.bodyLimit),
    },
    request.signal,
  );
}

async function receiveFetchBody(request: Request, limit: number): Promise<ReceivedBody> {
  const declared = declaredLength(request.headers.get('content-length'), request.headers.get('transfer-encoding'));
  if (request.body === null) return { kind: 'none' };
  if (request.bodyUsed) {
    if (declared === 0) return { kind: 'none' };
    return {
      kind: 'unreadable',
      reason: 'was read before this handler could read it (by request.json(), request.text() or a middleware): pass the request unread',
    };
  }
  // A body too large is left unread, not cancelled: cancelling can tear down the connection (it does
  // through Node's Readable.toWeb) before the 413 reaches the client; the server drains or drops it.
  if (typeof declared === 'number' && declared > limit) return { kind: 'too-large', limit };
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.body.getReader();
  } catch {
    return { kind: 'unreadable', reason: 'could not be read (its stream is locked by another reader)' };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        reader.releaseLock();
        return { kind: 'too-large', limit };
      }
      chunks.push(value);
    }
  } catch {
    return { kind: 'unreadable', reason: 'ended before it was complete (the client went away)' };
  }
  return size === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: concatBytes(chunks, size) };
}
