/**
 * A fake Novita v1 GPU instance API on a real HTTP server (127.0.0.1 and a free port unless told
 * otherwise): the endpoints, the field types, the pagination, the error envelope and the lifecycle of
 * the real one, plus scripted faults and a request log. For this package's tests and for the tests of
 * its users.
 *
 * Longer than our usual 350 lines on purpose: it is the one request handler that routes an endpoint,
 * applies the faults that hit it and answers, kept in one place so a fault's effect can be read from top
 * to bottom. The listing, fault book, options, request log, fleet state and instance rendering already
 * live in files of their own beside it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { FakeEndpoint, FakeFault, FakeFaultHandle, FakeFleetControl } from './fake-faults.js';
import { createFaultBook, isTerminalFault } from './fake-faults.js';
import type { FakeNovitaInstance } from './fake-instance.js';
import { renderDetail, renderListItem } from './fake-instance.js';
import type { FakeNovitaOptions } from './fake-options.js';
import { checkSeed, resolveFakeOptions } from './fake-options.js';
import type { FakeRequest } from './fake-request-log.js';
import { loggedBody, loggedHeaders, loggedQuery } from './fake-request-log.js';
import type { FakeLifecycleAction } from './fake-state.js';
import { createFakeFleet } from './fake-state.js';
import { envelope, listPage, orderInstances, relayErrorBody } from './fake-listing.js';

export type { FakeNovitaOptions } from './fake-options.js';
export type { FakeRequest } from './fake-request-log.js';
export type { FakeNovitaInstance } from './fake-instance.js';

/** A running fake Novita: its fleet (see {@link FakeFleetControl}), its faults, its request log. */
export interface FakeNovita extends FakeFleetControl {
  /** The base URL to give the client, for example `http://127.0.0.1:41234/gpu-instance/openapi/v1`. */
  readonly url: string;
  /** The key the fake accepts. */
  readonly apiKey: string;
  /** Scripts a fault; it hits the matching requests `times` times (default once). */
  fault(fault: FakeFault): FakeFaultHandle;
  /** Drops every scripted fault. */
  clearFaults(): void;
  /** Every request received so far, oldest first. */
  readonly requests: readonly FakeRequest[];
  /** Empties the request log and the concurrency statistics. */
  clearRequests(): void;
  /** Requests being handled now, and the most at once since the last {@link clearRequests}. */
  readonly concurrency: { readonly inFlight: number; readonly maxInFlight: number };
  /** Stops the server, cutting every open connection (hung requests included). */
  close(): Promise<void>;
}

/** A clock a test moves by hand, for the fake's lifecycle. */
export interface FakeClock {
  /** The current time, epoch milliseconds. */
  now(): number;
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Sets the clock. */
  set(epochMs: number): void;
}

/** Creates a {@link FakeClock} starting at `startMs`. @param startMs @default Date.UTC(2025, 0, 1) */
export function createFakeClock(startMs: number = Date.UTC(2025, 0, 1)): FakeClock {
  let time = startMs;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
    set(epochMs) {
      time = epochMs;
    },
  };
}

const LIFECYCLE_PATHS: Record<string, FakeLifecycleAction> = {
  '/gpu/instance/start': 'start',
  '/gpu/instance/stop': 'stop',
  '/gpu/instance/restart': 'restart',
  '/gpu/instance/delete': 'delete',
};

/**
 * Starts a fake Novita, by default on 127.0.0.1 and a free port (`port` and `host` choose others).
 *
 * @throws {ConfigError} for an unknown option key (with the nearest valid name) or a bad value.
 *
 * @example
 * ```ts
 * import { startFakeNovita } from 'novita-reconciler/testing';
 * import { createNovitaClient } from 'novita-reconciler/novita';
 *
 * const fake = await startFakeNovita({ instances: [{ id: 'aaaa000000000001', status: 'running' }] });
 * fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 503, times: Infinity });
 * const client = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url });
 * // ... and finally
 * await fake.close();
 * ```
 */
export async function startFakeNovita(input?: FakeNovitaOptions): Promise<FakeNovita> {
  const options = resolveFakeOptions(input);
  const { apiKey, basePath, firstPageNum, notFoundStatus, clock } = options;
  const fleet = createFakeFleet({
    now: clock,
    stepMs: options.transitionStepMs,
    removedVisibleMs: options.removedVisibleMs,
  });
  const faults = createFaultBook();
  let requests: FakeRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  // The listing order changes only when instances join or leave: sorted once per membership change.
  let orderedCache: { version: number; instances: ReturnType<typeof fleet.all> } | undefined;
  const ordered = () => {
    const version = fleet.version;
    if (orderedCache?.version !== version) orderedCache = { version, instances: orderInstances(fleet.all(), options.order) };
    return orderedCache.instances;
  };

  const server = createServer((request, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const done = (): void => {
      if (counted) {
        counted = false;
        inFlight -= 1;
      }
    };
    response.on('close', done);
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, envelope(500, 'UNKNOWN', 'fake novita failed'));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.novita');
    const bodyText = await readBody(request);
    const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
    const inBase = url.pathname.startsWith(`${basePath}/`);
    const method = request.method ?? 'GET';
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const body = parseBody(bodyText);

    let endpoint: FakeEndpoint | undefined;
    if (inBase && method === 'GET' && path === '/gpu/instances') endpoint = 'list';
    else if (inBase && method === 'GET' && path === '/gpu/instance') endpoint = 'get';
    else if (inBase && method === 'POST' && path === '/gpu/instance/create') endpoint = 'create';
    else if (inBase && method === 'POST' && LIFECYCLE_PATHS[path]) endpoint = LIFECYCLE_PATHS[path];

    let page: number | undefined;
    if (endpoint === 'list') {
      const pageNum = query.pageNum === undefined ? firstPageNum : Number(query.pageNum);
      page = Number.isInteger(pageNum) ? Math.max(1, pageNum - firstPageNum + 1) : undefined;
    }
    const instanceId =
      endpoint === 'get'
        ? query.instanceId
        : typeof (body as { instanceId?: unknown })?.instanceId === 'string'
          ? (body as { instanceId: string }).instanceId
          : undefined;

    // The log is for assertions and may be printed by a failing test: credentials stay out of it.
    const entry: FakeRequest = {
      method,
      path,
      query: loggedQuery(query),
      headers: loggedHeaders(request),
      body: loggedBody(body),
      endpoint,
      page,
      status: undefined,
      at: clock(),
    };
    requests.push(entry);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      const relayed = status >= 400 && options.errorBodies === 'relay' ? relayErrorBody(payload as Record<string, unknown>) : payload;
      sendJson(response, status, relayed, headers);
    };

    const hitting = faults.take({ endpoint, page, instanceId });
    for (const fault of hitting) if (fault.kind === 'mutate') fault.run(fake);
    const latency = hitting.reduce((sum, fault) => sum + (fault.kind === 'latency' ? fault.ms : 0), 0);
    if (latency > 0) await delay(latency);
    const terminal = hitting.find(isTerminalFault);
    if (terminal) {
      switch (terminal.kind) {
        case 'error':
          if (terminal.body !== undefined) {
            entry.status = terminal.status;
            response.writeHead(terminal.status, { 'content-type': 'text/plain' }).end(terminal.body);
          } else {
            answer(
              terminal.status,
              envelope(
                terminal.status,
                terminal.reason ?? defaultReason(terminal.status),
                terminal.message ?? 'fault injected by the fake',
              ),
            );
          }
          return;
        case 'route-404':
          // What a route, proxy or gateway in front of Novita may answer: a 404 in Novita's own format.
          answer(404, envelope(404, terminal.reason ?? 'RESOURCE_NOT_FOUND', terminal.message ?? 'route not found'));
          return;
        case 'html': {
          const status = terminal.status ?? 502;
          entry.status = status;
          response
            .writeHead(status, { 'content-type': 'text/html' })
            .end(
              `<html>\r\n<head><title>${status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${status} Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n`,
            );
          return;
        }
        case 'rate-limit':
          answer(
            429,
            envelope(429, 'RATE_LIMIT_EXCEEDED', 'rate limit exceeded'),
            terminal.retryAfter === undefined ? {} : { 'retry-after': String(terminal.retryAfter) },
          );
          return;
        case 'hang':
          return;
        case 'drop':
          request.socket.destroy();
          return;
        case 'malformed-json':
          entry.status = 200;
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"instances": [{"id": "trunc');
          return;
        default:
          break;
      }
    }

    if (endpoint === undefined) {
      // A gateway's bare 404: not Novita's envelope.
      entry.status = 404;
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
      return;
    }
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      if (options.refusedKeyStatus === 403) answer(403, { code: 403, reason: 'INVALID_API_KEY', message: 'invalid api-key' });
      else answer(401, envelope(401, 'UNAUTHORIZED', 'invalid api key'));
      return;
    }

    const notFound = (): void => answer(notFoundStatus, envelope(notFoundStatus, 'RESOURCE_NOT_FOUND', 'instance not found'));
    switch (endpoint) {
      case 'list': {
        const page = listPage(query, hitting, options, ordered());
        answer(page.status, page.body);
        return;
      }
      case 'get': {
        if (!query.instanceId) {
          answer(400, envelope(400, 'VALIDATOR_PARAM', 'instanceId is required'));
          return;
        }
        const instance = fleet.get(query.instanceId);
        if (!instance) notFound();
        else answer(200, renderDetail(instance, options));
        return;
      }
      case 'create': {
        const input = body as Record<string, unknown> | undefined;
        if (typeof input !== 'object' || input === null || typeof input.productId !== 'string' || typeof input.imageUrl !== 'string') {
          answer(400, envelope(400, 'VALIDATOR_PARAM', 'productId and imageUrl are required'));
          return;
        }
        const created = fleet.create({
          productId: input.productId,
          imageUrl: input.imageUrl,
          ...(typeof input.name === 'string' ? { name: input.name } : {}),
          ...(typeof input.gpuNum === 'number' ? { gpuNum: input.gpuNum } : {}),
          ...(typeof input.rootfsSize === 'number' ? { rootfsSize: input.rootfsSize } : {}),
          ...(input.kind === 'cpu' || input.kind === 'gpu' ? { kind: input.kind } : {}),
          ...(typeof input.clusterId === 'string' ? { clusterId: input.clusterId } : {}),
          ...(typeof input.billingMode === 'string' ? { billingMode: input.billingMode } : {}),
          ...(Array.isArray(input.envs) ? { envs: input.envs as Array<{ key: string; value: string }> } : {}),
        });
        answer(200, { id: created.id });
        return;
      }
      default: {
        if (!instanceId) {
          answer(400, envelope(400, 'VALIDATOR_PARAM', 'instanceId is required'));
          return;
        }
        const outcome = fleet.act(instanceId, endpoint);
        if (outcome.ok) answer(200, { instanceId, state: outcome.status });
        else if (outcome.problem === 'not-found') notFound();
        else answer(400, envelope(400, 'CONFLICT', 'invalid state change'));
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  const render = (id: string): FakeNovitaInstance | undefined => {
    const instance = fleet.get(id);
    return instance ? (renderListItem(instance, options) as FakeNovitaInstance) : undefined;
  };

  const fake: FakeNovita = {
    url: `http://${urlHost}:${port}${basePath}`,
    apiKey,
    addInstance(seed = {}) {
      return renderListItem(fleet.add(checkSeed(seed, 'seed')), options) as FakeNovitaInstance;
    },
    addInstances(count, seed) {
      return Array.from({ length: count }, (_, index) => fake.addInstance(seed ? seed(index) : {}));
    },
    setStatus(id, status) {
      fleet.setStatus(id, status);
    },
    deleteInstance(id) {
      const outcome = fleet.act(id, 'delete');
      if (!outcome.ok && outcome.problem === 'not-found') throw new Error(`the fake has no instance ${id}`);
    },
    removeInstance(id) {
      fleet.remove(id);
    },
    clearInstances() {
      fleet.clear();
    },
    getInstance: render,
    listInstances() {
      return ordered().map((instance) => renderListItem(instance, options) as FakeNovitaInstance);
    },
    fault: (fault) => faults.add(fault),
    clearFaults() {
      faults.clear();
    },
    get requests() {
      return requests;
    },
    clearRequests() {
      requests = [];
      maxInFlight = inFlight;
    },
    get concurrency() {
      return { inFlight, maxInFlight };
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  for (const seed of options.instances) fleet.add(seed);
  return fake;
}

function defaultReason(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'RESOURCE_NOT_FOUND';
  if (status === 429) return 'RATE_LIMIT_EXCEEDED';
  if (status >= 500) return 'UNKNOWN';
  return 'VALIDATOR_PARAM';
}

function sendJson(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
