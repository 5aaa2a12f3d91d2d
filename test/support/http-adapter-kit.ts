/**
 * Shared by the adapter tests: a fleet whose real sync visibly changes records, a loopback server, a
 * raw HTTP client that sends exactly the headers a real client sends, and the table of requests both
 * adapters must answer alike.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceStore, type MemoryStore } from '../../src/index.js';
import { createScriptedNovitaClient, type ScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { instance, NOW, record } from './reconcile-fixtures.js';

/** r0 runs and Novita agrees; r1 runs but Novita says exited (a sync stops it); r2's instance is gone (a sync terminates it). */
export function fleet() {
  const store = createMemoryStore({ records: [record('r0'), record('r1'), record('r2')] });
  const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running'), instance('nv-r1', 'exited')] });
  const reconciler = createReconciler({ store, novitaClient: novita, clock: () => NOW });
  return { store, novita, reconciler };
}

export const snapshot = async (store: InstanceStore): Promise<string> => JSON.stringify(await store.list());

/** A loopback server; every request's listener promise is kept, so a test can wait for the handler to finish. */
export async function startServer(listener: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  const settled: Promise<void>[] = [];
  const server: Server = createServer((req, res) => {
    settled.push(listener(req, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    /** Resolves when every listener started so far has finished. */
    idle: async (): Promise<void> => {
      await Promise.all(settled);
    },
    close: async (): Promise<void> => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface SentRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is; with `chunked`, in pieces without a Content-Length. */
  body?: string | Buffer;
  chunked?: boolean;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (`undefined` for a HEAD). */
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON the adapter answered.
  json: any;
}

/** Sends one request with exactly the given headers (plus Host and, unless chunked, Content-Length). */
export async function send(port: number, sent: SentRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...sent.headers };
  if (sent.body !== undefined && !sent.chunked) headers['content-length'] = String(Buffer.byteLength(sent.body));
  const req = httpRequest({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers });
  if (sent.body !== undefined && sent.chunked) {
    const bytes = Buffer.from(sent.body);
    for (let offset = 0; offset < bytes.length; offset += 1000) req.write(bytes.subarray(offset, offset + 1000));
  } else if (sent.body !== undefined) req.write(sent.body);
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: res.statusCode ?? 0, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

/** What curl sends for `curl -d '<body>' <url>`: its default content type is a form. */
export const curlForm = (body: string): SentRequest => ({
  method: 'POST',
  path: '/api/instances/sync',
  headers: { 'user-agent': 'curl/8.5.0', accept: '*/*', 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

const post = (contentType: string | undefined, body: string | Buffer | undefined, path = '/api/instances/sync'): SentRequest => ({
  method: 'POST',
  path,
  headers: contentType === undefined ? {} : { 'content-type': contentType },
  ...(body === undefined ? {} : { body }),
});

/** What a request must lead to. `refused`: nothing ran (no Novita call) and no record changed. */
export type Outcome = { refused: { status: number; code: string; field?: string } } | 'dry-run' | 'synced' | 'synced-without-obsolete';

/** The requests both adapters must answer alike, by the rules of issue 8. */
export const SYNC_CASES: readonly [string, SentRequest, Outcome][] = [
  [
    'curl -d \'{"dryRun":true}\' (a form body whose one key is the JSON text): 400, nothing runs',
    curlForm('{"dryRun":true}'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '{"dryRun":true}' } },
  ],
  ['curl -d dryRun=true (a form): a dry run', curlForm('dryRun=true'), 'dry-run'],
  ['a JSON body {"dryRun":true}: a dry run', post('application/json', '{"dryRun":true}'), 'dry-run'],
  [
    'JSON with a charset (application/json; charset=UTF-8): a dry run',
    post('application/json; charset=UTF-8', '{"dryRun":true}'),
    'dry-run',
  ],
  ['an application/*+json body: a dry run', post('application/vnd.api+json', '{"dryRun":true}'), 'dry-run'],
  ['a JSON body with the string "true": a dry run', post('application/json', '{"dryRun":"true"}'), 'dry-run'],
  ['a form body with a charset: a dry run', post('application/x-www-form-urlencoded; charset=utf-8', 'dryRun=true'), 'dry-run'],
  ['the query string ?dryRun=true on an empty POST: a dry run', post(undefined, undefined, '/api/instances/sync?dryRun=true'), 'dry-run'],
  [
    'query and body with different fields are merged',
    post('application/x-www-form-urlencoded', 'handleObsoleteInstances=false', '/api/instances/sync?dryRun=false'),
    'synced-without-obsolete',
  ],
  ['an empty POST (no body, no headers): a real sync with the defaults', post(undefined, undefined), 'synced'],
  ['an empty POST with Content-Type: application/json and no body: a real sync', post('application/json', undefined), 'synced'],
  ['an empty POST with Content-Length: 0 and a form type: a real sync', post('application/x-www-form-urlencoded', ''), 'synced'],
  ['a JSON body {}: a real sync', post('application/json', '{}'), 'synced'],
  [
    'text/plain carrying JSON (fetch with a string body and no headers): 415',
    post('text/plain;charset=UTF-8', '{"dryRun":true}'),
    { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ],
  ['a body without a Content-Type: 415', post(undefined, '{"dryRun":true}'), { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } }],
  [
    'multipart/form-data (curl -F dryRun=true): 415',
    post('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="dryRun"\r\n\r\ntrue\r\n--x--\r\n'),
    { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ],
  [
    'JSON in another charset: 415',
    post('application/json; charset=iso-8859-1', '{"dryRun":true}'),
    { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ],
  [
    'a gzip Content-Encoding: 415',
    { ...post('application/json', '{"dryRun":true}'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
    { refused: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } },
  ],
  [
    'a JSON body that names dryRun twice ({"dryRun":true,"dryRun":false}): 400 naming it, nothing runs',
    post('application/json', '{"dryRun":true,"dryRun":false}'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    'a JSON key repeated under another spelling of the same name (dry\\u0052un): 400',
    post('application/json', '{"dryRun":false, "dry\\u0052un":true}'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    'a key repeated at depth ({"dryRun":true,"x":[{"a":1,"a":2}]}): 400 naming its path',
    post('application/json', '{"dryRun":true,"x":[{"b":0},{"a":1,"a":2}]}'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'x[1].a' } },
  ],
  [
    'a JSON body of only whitespace: 400, not a sync with the defaults',
    post('application/json', ' \n\t '),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } },
  ],
  ['a 0-byte JSON body: a real sync with the defaults', post('application/json', ''), 'synced'],
  ['invalid JSON: 400', post('application/json', '{"dryRun":tru'), { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } }],
  [
    'a JSON array: 400',
    post('application/json', '[{"dryRun":true}]'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } },
  ],
  ['JSON null: 400', post('application/json', 'null'), { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } }],
  [
    'a JSON string: 400',
    post('application/json', '"dryRun=true"'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } },
  ],
  [
    'a body that is not UTF-8: 400',
    post('application/json', Buffer.from([0x7b, 0xff, 0x7d])),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: '(body)' } },
  ],
  [
    'a field in both the query and the body (even with the same value): 400',
    post('application/json', '{"dryRun":true}', '/api/instances/sync?dryRun=true'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    '?dryRun=true with a body dryRun=false: 400, neither wins',
    post('application/x-www-form-urlencoded', 'dryRun=false', '/api/instances/sync?dryRun=true'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    'a form key given twice: 400',
    curlForm('dryRun=true&dryRun=false'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  [
    'a query key given twice: 400',
    post(undefined, undefined, '/api/instances/sync?dryRun=true&dryRun=false'),
    { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } },
  ],
  ['a form value "1": 400', curlForm('dryRun=1'), { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } }],
  ['a bare form key (dryRun): 400, not true', curlForm('dryRun'), { refused: { status: 400, code: 'VALIDATION_ERROR', field: 'dryRun' } }],
  [
    'a body over the 64 KiB limit: 413',
    post('application/json', JSON.stringify({ dryRun: true, pad: 'x'.repeat(70_000) })),
    { refused: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  ],
  [
    'a chunked body over the limit (no Content-Length): 413',
    { ...post('application/json', JSON.stringify({ dryRun: true, pad: 'x'.repeat(70_000) })), chunked: true },
    { refused: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  ],
  [
    'a chunked JSON body within the limit: a dry run',
    { ...post('application/json', JSON.stringify({ dryRun: true })), chunked: true },
    'dry-run',
  ],
  ...(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'] as const).map((method): [string, SentRequest, Outcome] => [
    `${method} never syncs: 405 with Allow: POST`,
    { method, path: '/api/instances/sync?dryRun=false' },
    { refused: { status: 405, code: 'METHOD_NOT_ALLOWED' } },
  ]),
];

/** Checks `answer` and the fleet against `outcome`. */
export async function expectOutcome(
  answer: Answer,
  outcome: Outcome,
  world: { store: MemoryStore; novita: ScriptedNovitaClient; before: string },
): Promise<void> {
  if (typeof outcome === 'object') {
    const { status, code, field } = outcome.refused;
    expect(answer.status).toBe(status);
    if (answer.json !== undefined) {
      expect(answer.json).toMatchObject({ success: false, error: { code, ...(field === undefined ? {} : { details: { field } }) } });
    }
    if (status === 405) expect(answer.headers.allow).toBe('POST');
    expect(world.novita.calls, 'nothing ran').toHaveLength(0);
    expect(await snapshot(world.store), 'no record changed').toBe(world.before);
    return;
  }
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  if (outcome === 'dry-run') {
    expect(answer.json).toMatchObject({ success: true, data: { dryRun: true } });
    expect(await snapshot(world.store), 'a dry run changes no record').toBe(world.before);
    return;
  }
  expect(answer.json).toMatchObject({ success: true, data: { dryRun: false, options: { handleObsoleteInstances: outcome === 'synced' } } });
  expect((await world.store.get('r1'))?.status).toBe('stopped');
  expect((await world.store.get('r2'))?.status).toBe(outcome === 'synced' ? 'terminated' : 'running');
}
