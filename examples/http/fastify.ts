/**
 * Fastify 5: both endpoints behind an admin hook, served by `toNodeHandler` on Fastify's raw request
 * and response, in a plugin of their own whose body parsing is switched off.
 *
 * Why not call the handler with `request.body`: Fastify answers 415 itself to a form (curl's default
 * body), and `request.body ?? request.query` drops the query string whenever a body came, so
 * `POST /sync?dryRun=true` with a JSON body would run for real. The adapter reads the query and the
 * body itself and refuses a field given in both. The encapsulated plugin keeps this to these routes:
 * the rest of the app keeps Fastify's parsers, body limit and hooks. `reply.hijack()` tells Fastify
 * that the adapter writes the answer, which also means Fastify's onSend and onResponse hooks (and
 * its response log line) do not run for these two routes.
 *
 * On its own it is a demo on the fake Novita and a memory store; with REDIS_URL, the production wiring
 * of reconciler.ts.
 *
 * Run:
 *   node --import tsx examples/http/fastify.ts
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Reconciler } from 'novita-reconciler';
import { createListHandler, createSyncHandler, toNodeHandler } from 'novita-reconciler/http';
import { isAdminAuthorization, UNAUTHORIZED_BODY } from './admin-token.js';
import { isMain, listenOptions, prepareExample, runStandalone, type ListenOptions, type RunningExample } from './standalone.js';

/** The plugin: `POST /api/instances/sync` and `GET /api/instances`, for callers with the admin token. */
export function reconcilerRoutes(reconciler: Reconciler, adminToken: string) {
  const sync = toNodeHandler(createSyncHandler(reconciler));
  const list = toNodeHandler(createListHandler(reconciler));
  return async (api: FastifyInstance): Promise<void> => {
    // Leave every body unread (whatever its type) for the adapter, which reads and checks it.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', (_request, _payload, done) => done(null));
    api.addHook('onRequest', async (request, reply) => {
      if (!isAdminAuthorization(request.headers.authorization, adminToken)) return reply.code(401).send(UNAUTHORIZED_BODY);
    });
    // `all`: the adapter answers any other method with 405 and `Allow`.
    api.all('/api/instances/sync', (request, reply) => {
      reply.hijack();
      return sync(request.raw, reply.raw);
    });
    api.all('/api/instances', (request, reply) => {
      reply.hijack();
      return list(request.raw, reply.raw);
    });
  };
}

/** The app, with the plugin registered. */
export async function createApp(reconciler: Reconciler, adminToken: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(reconcilerRoutes(reconciler, adminToken));
  return app;
}

/** Builds the reconciler (see reconciler.ts) and serves the app. */
export async function start(options?: ListenOptions): Promise<RunningExample> {
  const { port, host, env } = listenOptions(options);
  const { built, admin } = await prepareExample(env);
  const app = await createApp(built.reconciler, admin.token);
  try {
    await app.listen({ port, host });
  } catch (error) {
    await built.close();
    throw error;
  }
  const address = app.server.address();
  return {
    url: `http://${host}:${typeof address === 'object' && address ? address.port : port}`,
    built,
    admin,
    async close() {
      await app.close();
      await built.close();
    },
  };
}

if (isMain(import.meta.url)) await runStandalone('fastify', () => start());
