/**
 * toFetchHandler over real HTTP: a node:http server that turns each request into a real Fetch
 * `Request` (its body the request stream, as @hono/node-server and Next.js do) and writes the
 * `Response` back, with the real reconciler, the memory store and the scripted Novita client. The same
 * table of requests as the Node adapter, plus what only a Fetch handler meets: a body already read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createListHandler, createSyncHandler, toFetchHandler, type FetchHandler } from '../../src/index.js';
import { curlForm, expectOutcome, fleet, send, snapshot, startServer, SYNC_CASES } from '../support/http-adapter-kit.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The request as a Fetch `Request`, the way a Node host for Fetch handlers builds it. */
function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of [value ?? []].flat()) headers.append(name, item);
  }
  const withBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    signal,
    ...(withBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  res.end(Buffer.from(await response.arrayBuffer()));
  // What the handler left unread (a 413) is drained, so the connection stays usable.
  if (!req.complete) req.resume();
}

/** Serves `route(path)` as Fetch handlers; `before` may touch the Request first (a middleware). */
async function fetchServer(route: (path: string) => FetchHandler | undefined, before?: (request: Request) => Promise<void>) {
  const server = await startServer(async (req, res) => {
    const handler = route((req.url ?? '').split('?')[0] ?? '');
    if (!handler) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const disconnected = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) disconnected.abort();
    });
    const request = toRequest(req, disconnected.signal);
    if (before) await before(request);
    await writeResponse(await handler(request), req, res);
  });
  servers.push(server);
  return server;
}

async function world(before?: (request: Request) => Promise<void>) {
  const fleetWorld = fleet();
  const sync = toFetchHandler(createSyncHandler(fleetWorld.reconciler));
  const list = toFetchHandler(createListHandler(fleetWorld.reconciler));
  const server = await fetchServer(
    (path) => (path === '/api/instances/sync' ? sync : path === '/api/instances' ? list : undefined),
    before,
  );
  return { ...fleetWorld, server, before: await snapshot(fleetWorld.store) };
}

describe('toFetchHandler behind a real HTTP server: the sync endpoint', () => {
  it.each(SYNC_CASES)('%s', async (_case, sent, outcome) => {
    const current = await world();
    const answer = await send(current.server.port, sent);
    await current.server.idle();
    await expectOutcome(answer, outcome, current);
  });

  it.each([
    ['request.text()', (request: Request) => request.text().then(() => undefined)],
    ['request.formData()', (request: Request) => request.formData().then(() => undefined)],
  ])('a body already read by %s before the handler is refused with 400, never synced as no fields', async (_case, readFirst) => {
    const current = await world(readFirst);
    const answer = await send(current.server.port, curlForm('dryRun=true'));
    await current.server.idle();
    await expectOutcome(answer, { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } }, current);
    expect(answer.json.error.message).toMatch(/was read before this handler could read it/);
  });

  it('a client that goes away in the middle of its body runs nothing', async () => {
    const current = await world();
    const req = httpRequest({
      host: '127.0.0.1',
      port: current.server.port,
      method: 'POST',
      path: '/api/instances/sync',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
    });
    req.on('error', () => undefined);
    req.write('{"dryRun":');
    await new Promise((resolve) => setTimeout(resolve, 20));
    req.destroy();
    await current.server.idle();
    expect(current.novita.calls).toHaveLength(0);
    expect(await snapshot(current.store)).toBe(current.before);
  });
});

describe('toFetchHandler behind a real HTTP server: the list endpoint', () => {
  it('GET answers the merged view, with no-store', async () => {
    const current = await world();
    const answer = await send(current.server.port, { method: 'GET', path: '/api/instances?includeNovitaOnly=false' });
    expect(answer).toMatchObject({ status: 200, json: { success: true, data: { counts: { total: 3 } } } });
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it.each(['POST', 'HEAD', 'DELETE'])('%s is a 405 with Allow: GET and runs nothing, not even syncLocalState', async (method) => {
    const current = await world();
    const answer = await send(current.server.port, { method, path: '/api/instances?syncLocalState=true' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
    expect(current.novita.calls).toHaveLength(0);
    expect(await snapshot(current.store)).toBe(current.before);
  });
});

describe('toFetchHandler called directly', () => {
  it('an argument that is not a Request resolves a 500, never rejects, and runs nothing', async () => {
    const { novita, reconciler } = fleet();
    const response = await toFetchHandler(createSyncHandler(reconciler))({ method: 'POST' } as Request);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ success: false, error: { code: 'INTERNAL_ERROR' } });
    expect(novita.calls).toHaveLength(0);
  });

  it('refuses a handler it does not know and unknown options at creation', () => {
    const { reconciler } = fleet();
    expect(() => toFetchHandler((async () => ({})) as never)).toThrow(ConfigError);
    expect(() => toFetchHandler(createListHandler(reconciler), { limit: 1 } as never)).toThrow(/limit: is not an option of toFetchHandler/);
  });
});
