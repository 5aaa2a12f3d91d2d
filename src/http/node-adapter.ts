/**
 * `toNodeHandler`: a handler as a Node `(req, res)` listener for `node:http`, Express and Connect.
 * Typed structurally, so the core entry point imports nothing of Node at run time or in its types.
 */
import { concatBytes, formatOf, mediaTypeOf, type ReceivedBody } from './read-body.js';
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
import { internalErrorResult, type HttpResult } from './envelope.js';

type Listener = (...args: never[]) => void;

/** What {@link toNodeHandler} reads of a request: a `node:http` `IncomingMessage` or a framework's request built on it. */
export interface NodeRequestLike {
  /** The HTTP method, compared exactly (Node sends it upper-case): anything but the endpoint's one, or none, is a 405. */
  readonly method?: string | undefined;
  /** The request target (`/api/instances?dryRun=true`); only its query string, after `?`, is read. */
  readonly url?: string | undefined;
  /**
   * The headers, by lower-case name as Node gives them; `content-type`, `content-encoding`,
   * `content-length` and `transfer-encoding` are read (the first value of a repeated one).
   */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body a framework parsed, if any (Express's `express.json()`, `express.urlencoded()`). */
  readonly body?: unknown;
  /** `true` once the body stream ended: it was read before this handler (see `readableDidRead`). */
  readonly readableEnded?: boolean;
  /**
   * `true` once any of the body stream was read. When this, `readableEnded` or `destroyed` says the stream
   * was consumed, the handler does not read it: it uses `body` as a framework parsed it, or refuses with a
   * 400 a body that was sent but not parsed (it never runs a sync on a body it could not read).
   */
  readonly readableDidRead?: boolean;
  /** `true` once the request stream was destroyed: its body can no longer be read (see `readableDidRead`). */
  readonly destroyed?: boolean;
  /** Listens to the body stream: `data`, `end`, `close` and `error`. */
  on(event: string, listener: Listener): unknown;
  /** Removes the `data`, `end` and `close` listeners once the body is read; the `error` one stays, so a late error cannot crash the process. */
  removeListener(event: string, listener: Listener): unknown;
  /** Restarts a body stream a middleware paused, before it is read; optional, as on any `Readable`. */
  resume?(): unknown;
}

/** What {@link toNodeHandler} writes to: a `node:http` `ServerResponse` or a framework's response built on it. */
export interface NodeResponseLike {
  /** Set to the answer's HTTP status (200, or a failure's: see `HttpStatus`). */
  statusCode: number;
  /** `true` when someone else already sent headers: the handler then writes nothing. */
  readonly headersSent?: boolean;
  /** `true` when someone else already ended the response: the handler then writes nothing. */
  readonly writableEnded?: boolean;
  /**
   * `true` once the answer was flushed; a `close` before that means the client went away, and aborts the
   * run it asked for.
   */
  readonly writableFinished?: boolean;
  /** Sets `content-type` (`application/json; charset=utf-8`), `cache-control: no-store`, and `allow` on a 405. */
  setHeader(name: string, value: string): unknown;
  /** Sends the JSON text of the body and ends the response. */
  end(chunk: string): unknown;
  /** Listens to `close`, to abort the run when the client disconnects before the answer is written. */
  on(event: string, listener: Listener): unknown;
  /** Removes the `close` listener once the answer is written. */
  removeListener(event: string, listener: Listener): unknown;
}

/** A Node request listener, also an Express or Connect handler. Its promise never rejects. */
export type NodeHandler = (req: NodeRequestLike, res: NodeResponseLike) => Promise<void>;

/**
 * Serves a handler from {@link createSyncHandler} or {@link createListHandler} as a Node
 * `(req, res)` listener: `http.createServer(toNodeHandler(sync))`, `app.post(path, toNodeHandler(sync))`.
 *
 * - Methods: the sync endpoint answers `POST` only, the list endpoint `GET` only; anything else
 *   (`HEAD`, `OPTIONS`, a `GET` to sync) is a 405 `METHOD_NOT_ALLOWED` with `Allow`, and runs nothing.
 * - Fields: the query string and the body, merged; a field in both is a 400.
 * - Body: when a framework parsed it (`req.body` is an object, as `express.json()` leaves it) that is
 *   used; otherwise the adapter reads the stream itself: JSON (`application/json`, `application/*+json`)
 *   or a form (`application/x-www-form-urlencoded`), UTF-8. Invalid or non-object JSON is a 400, any
 *   other content type a 415 `UNSUPPORTED_MEDIA_TYPE`, more than `bodyLimit` bytes a 413
 *   `PAYLOAD_TOO_LARGE`. A body that was sent but can no longer be read (another middleware consumed
 *   it without parsing it) is refused too: it never runs a sync. An empty body is no fields.
 * - The run is aborted when the client disconnects before the answer is written.
 *
 * @throws {ConfigError} at creation, naming `handler` or the option at fault.
 *
 * @example
 * ```ts
 * app.post('/api/instances/sync', requireAdmin, toNodeHandler(createSyncHandler(reconciler)));
 * app.get('/api/instances', requireAdmin, toNodeHandler(createListHandler(reconciler)));
 * ```
 */
export function toNodeHandler<T>(handler: AdaptableHandler<T>, options?: HttpAdapterOptions): NodeHandler {
  const adapter = resolveAdapter('toNodeHandler', handler, options);
  return async (req, res) => {
    const disconnected = new AbortController();
    const onClose = (): void => {
      if (res.writableFinished !== true) disconnected.abort(new Error('the client disconnected before the answer was sent'));
    };
    let result: HttpResult<unknown>;
    try {
      res.on('close', onClose);
      result = refuseMethod(adapter, req.method) ?? (await answerNodeRequest(adapter, req, disconnected.signal));
    } catch {
      // Only a request object that is not one gets here (its headers getter threw, say): nothing ran.
      result = internalErrorResult();
    }
    send(adapter, res, result);
    try {
      res.removeListener('close', onClose);
    } catch {
      // Nothing to undo on a response object that cannot remove listeners.
    }
  };
}

async function answerNodeRequest<T>(adapter: ResolvedAdapter<T>, req: NodeRequestLike, signal: AbortSignal): Promise<HttpResult<T>> {
  const url = req.url ?? '';
  const queryStart = url.indexOf('?');
  return answerRequest(
    adapter,
    {
      search: queryStart < 0 ? '' : url.slice(queryStart + 1),
      contentType: header(req, 'content-type'),
      contentEncoding: header(req, 'content-encoding'),
      body: await receiveNodeBody(req, adapter.bodyLimit),
    },
    signal,
  );
}

function header(req: NodeRequestLike, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The body of `req`: what a framework parsed, or the stream read here.
 *
 * An empty object is ambiguous. Express 4's `express.json()` sets `req.body = {}` before it looks at
 * the content type, and marks `req._body` only when it parsed; Express 5's leaves `req.body`
 * undefined unless it parsed, and marks nothing. So `{}` with the stream unread is a placeholder (the
 * stream is read here); `{}` with the mark, or for a JSON body, is a parsed `{}`; `{}` for any other
 * body already read is a body someone consumed without parsing it, refused.
 */
async function receiveNodeBody(req: NodeRequestLike, limit: number): Promise<ReceivedBody> {
  const declared = declaredLength(header(req, 'content-length'), header(req, 'transfer-encoding'));
  const bodySent = declared !== undefined && declared !== 0;
  const streamRead = req.readableEnded === true || req.readableDidRead === true || req.destroyed === true;
  let parsed: unknown;
  try {
    parsed = req.body;
  } catch {
    return { kind: 'unreadable', reason: "could not be read (the request's body getter threw)" };
  }
  if (parsed !== undefined && parsed !== null) {
    if (!isEmptyObject(parsed) || (req as { _body?: unknown })._body === true) return { kind: 'parsed', value: parsed };
    if (streamRead && (!bodySent || formatOf(mediaTypeOf(header(req, 'content-type'))?.type ?? '') === 'json'))
      return { kind: 'parsed', value: parsed };
  }
  if (streamRead) {
    if (!bodySent) return { kind: 'none' };
    return {
      kind: 'unreadable',
      reason: 'was read before this handler could read it, and not parsed: mount a JSON or form body parser before it, or none at all',
    };
  }
  if (typeof declared === 'number' && declared > limit) return { kind: 'too-large', limit };
  return readStream(req, limit);
}

function isEmptyObject(value: unknown): boolean {
  try {
    return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

function readStream(req: NodeRequestLike, limit: number): Promise<ReceivedBody> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let settled = false;
    const finish = (body: ReceivedBody): void => {
      if (settled) return;
      settled = true;
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('close', onAbort);
      // 'error' stays listened to: an error after this point must not crash the process.
      resolve(body);
    };
    const onData = (chunk: unknown): void => {
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : (chunk as Uint8Array);
      size += bytes.length;
      if (size > limit) finish({ kind: 'too-large', limit });
      else chunks.push(bytes);
    };
    const onEnd = (): void => {
      finish(size === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: concatBytes(chunks, size) });
    };
    const onAbort = (): void => finish({ kind: 'unreadable', reason: 'ended before it was complete (the client went away)' });
    const onError = (): void => onAbort();
    req.on('error', onError);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onAbort);
    // A 'data' listener does not restart a stream a middleware paused; without this the read would wait forever.
    req.resume?.();
  });
}

function send(adapter: ResolvedAdapter<unknown>, res: NodeResponseLike, result: HttpResult<unknown>): void {
  const answer = writeAnswer(adapter, result);
  try {
    if (res.headersSent === true || res.writableEnded === true) return;
    res.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(answer.text);
  } catch {
    // The connection is gone or the response was written by someone else; nothing left to tell.
  }
}
