/**
 * `requestParts({ query, body })`: the way to call a handler from a framework that parsed the request
 * itself. Real Fastify and Express apps with their own parsers, real HTTP requests with the content
 * types clients send: the query and the body reach the handler separately and are merged by the
 * adapters' rule, so `POST ?dryRun=true` with a body `{}` is a dry run, never a real sync.
 */
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncHandler, requestParts } from '../../src/http/index.js';
import { expectOutcome, fleet, type Outcome, type SentRequest, send, snapshot, startServer } from '../support/http-adapter-kit.js';

const json = (body: string, path: string): SentRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body,
});
const form = (body: string, path: string): SentRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

/** What the frameworks' own parsers hand over, and what must come of it. */
const CASES: readonly [string, SentRequest, Outcome][] = [
  [
    'POST ?dryRun=true with a JSON body {}: a dry run (request.body ?? request.query synced for real)',
    json('{}', '/sync?dryRun=true'),
    'dry-run',
  ],
  ['a JSON body {"dryRun":true}: a dry run', json('{"dryRun":true}', '/sync'), 'dry-run'],
  [
    '?dryRun=true with a JSON body {"dryRun":false}: 400 naming dryRun, neither wins',
    json('{"dryRun":false}', '/sync?dryRun=true'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    'the same field in both, even with the same value: 400',
    json('{"dryRun":true}', '/sync?dryRun=true'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    '?handleObsoleteInstances=false with a JSON body {"dryRun":false}: both fields count',
    json('{"dryRun":false}', '/sync?handleObsoleteInstances=false'),
    'synced-without-obsolete',
  ],
  [
    'a query value that is not a boolean (?dryRun=1): 400',
    json('{}', '/sync?dryRun=1'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  ['an empty JSON body and no query: a real sync with the defaults', json('{}', '/sync'), 'synced'],
];

const FORM_CASES: readonly [string, SentRequest, Outcome][] = [
  ['a form body dryRun=true: a dry run', form('dryRun=true', '/sync'), 'dry-run'],
  [
    '?dryRun=true with a form body dryRun=false: 400',
    form('dryRun=false', '/sync?dryRun=true'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('requestParts with Fastify (its own JSON parser, request.query and request.body)', () => {
  it.each(CASES)('%s', async (_name, sent, outcome) => {
    const world = fleet();
    const before = await snapshot(world.store);
    const sync = createSyncHandler(world.reconciler);
    const app = Fastify();
    app.post('/sync', async (request, reply) => {
      const { status, body } = await sync(requestParts({ query: request.query, body: request.body }));
      return reply.code(status).send(body);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await expectOutcome(await send(port, sent), outcome, { ...world, before });
  });
});

describe('requestParts with Express (express.json() and express.urlencoded(), req.query and req.body)', () => {
  it.each([...CASES, ...FORM_CASES])('%s', async (_name, sent, outcome) => {
    const world = fleet();
    const before = await snapshot(world.store);
    const sync = createSyncHandler(world.reconciler);
    const app = express();
    app.use(express.json(), express.urlencoded({ extended: false }));
    app.post('/sync', async (req, res) => {
      const { status, body } = await sync(requestParts({ query: req.query, body: req.body }));
      res.status(status).json(body);
    });
    const server = await startServer(async (req, res) => {
      app(req, res);
    });
    closers.push(server.close);
    const answer = await send(server.port, sent);
    await server.idle();
    // Express answers `application/json; charset=utf-8` through res.json, as the adapters do.
    await expectOutcome(answer, outcome, { ...world, before });
  });
});

describe('requestParts refuses what is not an object of fields', () => {
  it.each([
    ['a raw string body (a text parser)', { body: '{"dryRun":true}' }, '(body)'],
    ['a JSON array body', { body: [{ dryRun: true }] }, '(body)'],
    ['a Request handed over as the body', { body: new Request('http://x/', { method: 'POST', body: '{}' }) }, '(body)'],
    ['a query given twice in a URLSearchParams', { query: new URLSearchParams('dryRun=true&dryRun=false') }, 'dryRun'],
    ['a query that is a number', { query: 3 }, '(query)'],
  ] as const)('%s: 400 naming %s, nothing runs', async (_name, parts, field) => {
    const world = fleet();
    const before = await snapshot(world.store);
    const result = await createSyncHandler(world.reconciler)(requestParts(parts));
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', details: { field } } });
    expect(world.novita.calls).toHaveLength(0);
    expect(await snapshot(world.store)).toBe(before);
  });

  it('names the part in the message: "in the query string", "in the body", "both"', async () => {
    const world = fleet();
    const handler = createSyncHandler(world.reconciler);
    const messages = await Promise.all(
      [
        requestParts({ query: new URLSearchParams('dryRun=true&dryRun=false') }),
        requestParts({ body: new URLSearchParams('dryRun=true&dryRun=false') }),
        requestParts({ query: { dryRun: 'true' }, body: { dryRun: true } }),
      ].map(async (input) => {
        const result = await handler(input);
        return result.body.success ? '' : JSON.stringify(result.body.error);
      }),
    );
    expect(messages[0]).toContain('is given more than once in the query string');
    expect(messages[1]).toContain('is given more than once in the body');
    expect(messages[2]).toContain('is given both in the query string and in the body');
  });

  it('a plain object that looks like parts is read as fields, and refused', async () => {
    const world = fleet();
    const result = await createSyncHandler(world.reconciler)({ query: { dryRun: 'true' }, body: {} });
    expect(result.status).toBe(400);
    expect(world.novita.calls).toHaveLength(0);
  });
});
