/**
 * toNodeHandler over real HTTP on loopback, with the real reconciler, the memory store and the
 * scripted Novita client: the content types clients really send, on a plain node:http server and
 * behind an imitation of Express 4's and Express 5's `express.json()`. "Nothing ran" is proved by the
 * Novita client's call log, "no record changed" by reading the store.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createListHandler, createSyncHandler, toNodeHandler } from '../../src/index.js';
import {
  curlForm,
  expectOutcome,
  fleet,
  send,
  snapshot,
  startServer,
  SYNC_CASES,
  type Outcome,
  type SentRequest,
} from '../support/http-adapter-kit.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A plain node:http server: the sync endpoint and the list endpoint, each through toNodeHandler. */
async function plainServer() {
  const world = fleet();
  const sync = toNodeHandler(createSyncHandler(world.reconciler));
  const list = toNodeHandler(createListHandler(world.reconciler));
  const server = await startServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/api/instances/sync') return sync(req, res);
    if (path === '/api/instances') return list(req, res);
    res.statusCode = 404;
    res.end();
  });
  servers.push(server);
  return { ...world, server, before: await snapshot(world.store) };
}

describe('toNodeHandler on node:http: the sync endpoint', () => {
  it.each(SYNC_CASES)('%s', async (_case, sent, outcome) => {
    const world = await plainServer();
    const answer = await send(world.server.port, sent);
    await world.server.idle();
    await expectOutcome(answer, outcome, world);
  });

  it('after a 413 the server goes on answering on the same port', async () => {
    const world = await plainServer();
    const oversized = await send(world.server.port, {
      method: 'POST',
      path: '/api/instances/sync',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(200_000),
      chunked: true,
    });
    expect(oversized.status).toBe(413);
    const next = await send(world.server.port, curlForm('dryRun=true'));
    await expectOutcome(next, 'dry-run', world);
  });

  it('bodyLimit is an option: a 100-byte limit refuses a 200-byte form body with 413', async () => {
    const world = fleet();
    const handler = toNodeHandler(createSyncHandler(world.reconciler), { bodyLimit: 100 });
    const server = await startServer(async (req, res) => handler(req, res));
    servers.push(server);
    const before = await snapshot(world.store);
    const answer = await send(server.port, curlForm(`dryRun=true&${'x'.repeat(200)}`));
    expect(answer).toMatchObject({
      status: 413,
      json: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 100 bytes' } },
    });
    expect(world.novita.calls).toHaveLength(0);
    expect(await snapshot(world.store)).toBe(before);
  });

  it('a client that goes away in the middle of its body runs nothing', async () => {
    const world = await plainServer();
    const { request } = await import('node:http');
    const req = request({
      host: '127.0.0.1',
      port: world.server.port,
      method: 'POST',
      path: '/api/instances/sync',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
    });
    req.on('error', () => undefined);
    req.write('{"dryRun":');
    await new Promise((resolve) => setTimeout(resolve, 20));
    req.destroy();
    await world.server.idle();
    expect(world.novita.calls).toHaveLength(0);
    expect(await snapshot(world.store)).toBe(world.before);
  });
});

describe('toNodeHandler on node:http: the list endpoint', () => {
  it('GET answers the merged view; the query string is read', async () => {
    const world = await plainServer();
    const all = await send(world.server.port, { method: 'GET', path: '/api/instances' });
    expect(all).toMatchObject({ status: 200, json: { success: true, data: { counts: { total: 3, merged: 2, local: 1, novita: 0 } } } });
    expect(all.headers['cache-control']).toBe('no-store');
    const refused = await send(world.server.port, { method: 'GET', path: '/api/instances?includeNovitaOnly=maybe' });
    expect(refused).toMatchObject({ status: 400, json: { error: { code: 'VALIDATION_ERROR', details: { field: 'includeNovitaOnly' } } } });
    expect(await snapshot(world.store)).toBe(world.before);
  });

  it.each(['POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])('%s is a 405 with Allow: GET and lists nothing', async (method) => {
    const world = await plainServer();
    const answer = await send(world.server.port, { method, path: '/api/instances?syncLocalState=true' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
    expect(world.novita.calls).toHaveLength(0);
    expect(await snapshot(world.store)).toBe(world.before);
  });
});

type ExpressRequest = IncomingMessage & { body?: unknown; _body?: boolean };
type Middleware = (req: ExpressRequest, res: ServerResponse, next: (error?: { status: number }) => void) => void;

/** type-is's hasBody, which both majors of body-parser use. */
const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length'] ?? 'x'));

/**
 * `express.json()` as body-parser does it (1.x in Express 4, 2.x in Express 5), for `application/json`
 * only (its default `type`). Express 4 sets `req.body = {}` before looking at the body and `req._body`
 * when it reads; Express 5 skips a finished request, leaves `req.body` undefined unless it parses, and
 * marks nothing.
 */
function imitateExpressJson(major: 4 | 5): Middleware {
  return (req, _res, next) => {
    if (major === 4) {
      if (req._body) return next();
      req.body = req.body ?? {};
    } else {
      if (req.complete && !req.readable) return next();
      if (!('body' in req)) req.body = undefined;
    }
    if (!hasBody(req)) return next();
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return next();
    if (major === 4) req._body = true;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.length === 0) {
        req.body = {};
        return next();
      }
      if (!/^\s*[[{]/.test(text)) return next({ status: 400 });
      try {
        req.body = JSON.parse(text);
      } catch {
        return next({ status: 400 });
      }
      next();
    });
  };
}

/** A middleware that reads the body and parses nothing (a request logger, a signature check). */
const bodyEater: Middleware = (req, _res, next) => {
  req.on('data', () => undefined);
  req.on('end', () => next());
};

/** A minimal Express: runs the middlewares in order, then the handler; an error answers like Express's default handler (HTML). */
function expressLike(middlewares: Middleware[], handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const run = (index: number, error?: { status: number }): void => {
        if (error) {
          res.statusCode = error.status;
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end('<pre>Bad Request</pre>');
          resolve();
          return;
        }
        const middleware = middlewares[index];
        if (middleware) middleware(req, res, (next) => run(index + 1, next));
        else void handler(req, res).then(resolve);
      };
      run(0);
    });
}

const post = (contentType: string, body: string): SentRequest => ({
  method: 'POST',
  path: '/api/instances/sync',
  headers: { 'content-type': contentType },
  body,
});
const EXPRESS_CASES: [string, SentRequest, Outcome][] = [
  ['JSON {"dryRun":true}, parsed by express.json(): a dry run', post('application/json', '{"dryRun":true}'), 'dry-run'],
  ['JSON {}, parsed by express.json(): a real sync', post('application/json', '{}'), 'synced'],
  [
    'curl -d \'{"dryRun":true}\' (a form express.json() skips): 400, nothing runs',
    curlForm('{"dryRun":true}'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '{"dryRun":true}' } },
  ],
  ['a form dryRun=true that express.json() skips: read by the adapter, a dry run', curlForm('dryRun=true'), 'dry-run'],
  [
    'application/vnd.api+json, which express.json() skips by default: a dry run',
    post('application/vnd.api+json', '{"dryRun":true}'),
    'dry-run',
  ],
  [
    'text/plain that express.json() skips: 415',
    post('text/plain', '{"dryRun":true}'),
    { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ],
  ['an empty POST: a real sync', { method: 'POST', path: '/api/instances/sync' }, 'synced'],
  [
    '?dryRun=true with a JSON dryRun=false parsed by express.json(): 400',
    { ...post('application/json', '{"dryRun":false}'), path: '/api/instances/sync?dryRun=true' },
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
];

describe.each([4, 5] as const)('toNodeHandler behind an imitation of Express %i with express.json() only', (major) => {
  async function expressServer(middlewares: Middleware[]) {
    const world = fleet();
    const server = await startServer(expressLike(middlewares, toNodeHandler(createSyncHandler(world.reconciler))));
    servers.push(server);
    return { ...world, server, before: await snapshot(world.store) };
  }

  it.each(EXPRESS_CASES)('%s', async (_case, sent, outcome) => {
    const world = await expressServer([imitateExpressJson(major)]);
    const answer = await send(world.server.port, sent);
    await world.server.idle();
    await expectOutcome(answer, outcome, world);
  });

  it.each([
    ['a form dryRun=true (400)', curlForm('dryRun=true'), 400],
    ['a JSON-looking text/plain body (415)', post('text/plain', '{"dryRun":true}'), 415],
  ] as const)('%s consumed by a middleware that parses nothing is refused, never synced', async (_case, sent, status) => {
    const world = await expressServer([imitateExpressJson(major), bodyEater]);
    const answer = await send(world.server.port, sent);
    await world.server.idle();
    await expectOutcome(answer, { refused: { status, code: status === 400 ? 'VALIDATION_ERROR' : 'UNSUPPORTED_MEDIA_TYPE' } }, world);
    if (status === 400) expect(answer.json.error.message).toMatch(/was read before this handler could read it/);
  });
});

/** `express.raw()` or `express.text()` with a type matching everything: every body handed over unparsed, as a Buffer or a string. */
function imitateRawParser(as: 'buffer' | 'string'): Middleware {
  return (req, _res, next) => {
    if (!hasBody(req)) return next();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      req.body = as === 'buffer' ? bytes : bytes.toString('utf8');
      next();
    });
  };
}

/** `express.urlencoded({ extended: false })`: a form parsed into an object of strings. */
const imitateUrlencoded: Middleware = (req, _res, next) => {
  if (!hasBody(req) || !(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return next();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    req.body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    next();
  });
};

/** A middleware that pauses the request stream and leaves it paused (some proxies and rate limiters do). */
const pauser: Middleware = (req, _res, next) => {
  req.pause();
  next();
};

describe('toNodeHandler behind other body parsers', () => {
  async function serverWith(middleware: Middleware) {
    const world = fleet();
    const server = await startServer(expressLike([middleware], toNodeHandler(createSyncHandler(world.reconciler))));
    servers.push(server);
    return { ...world, server, before: await snapshot(world.store) };
  }

  it.each([
    ['express.raw() (a Buffer): a form dryRun=true is a dry run', imitateRawParser('buffer'), curlForm('dryRun=true'), 'dry-run'],
    [
      'express.raw() (a Buffer): text/plain is still a 415',
      imitateRawParser('buffer'),
      post('text/plain', '{"dryRun":true}'),
      { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
    ],
    ['express.text() (a string): JSON is a dry run', imitateRawParser('string'), post('application/json', '{"dryRun":true}'), 'dry-run'],
    [
      'express.text() (a string): invalid JSON is a 400',
      imitateRawParser('string'),
      post('application/json', '{dryRun}'),
      { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } },
    ],
    ['express.urlencoded(): the parsed form dryRun=true is a dry run', imitateUrlencoded, curlForm('dryRun=true'), 'dry-run'],
    [
      'express.urlencoded(): curl -d \'{"dryRun":true}\' is a 400',
      imitateUrlencoded,
      curlForm('{"dryRun":true}'),
      { refused: { status: 400, code: 'VALIDATION_ERROR', field: '{"dryRun":true}' } },
    ],
    ['a middleware that paused the stream: the adapter still reads it, a dry run', pauser, curlForm('dryRun=true'), 'dry-run'],
  ] as [string, Middleware, SentRequest, Outcome][])('%s', async (_case, middleware, sent, outcome) => {
    const world = await serverWith(middleware);
    const answer = await send(world.server.port, sent);
    await world.server.idle();
    await expectOutcome(answer, outcome, world);
  });
});

describe('toNodeHandler at creation', () => {
  const { reconciler } = fleet();
  it.each([
    [
      'a function that is not a handler of this package',
      'handler',
      () => toNodeHandler(async () => ({ status: 200, body: { success: true, message: '', data: null } })),
    ],
    ['a misspelled option', 'bodylimit', () => toNodeHandler(createSyncHandler(reconciler), { bodylimit: 10 } as never)],
    ['a negative bodyLimit', 'bodyLimit', () => toNodeHandler(createSyncHandler(reconciler), { bodyLimit: -1 })],
  ] as const)('%s throws ConfigError naming %s', (_case, field, create) => {
    expect(create).toThrow(ConfigError);
    try {
      create();
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });
});
