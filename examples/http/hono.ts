/**
 * Hono 4 on Node (`@hono/node-server`): both endpoints behind Hono's `bearerAuth`, served by
 * `toFetchHandler` with the raw `Request`. Pass `c.req.raw` unread: a body a validator or
 * `c.req.json()` already read is refused with a 400, never taken as no fields. The same app runs on
 * Bun, Deno and workers with their own `serve`.
 *
 * On its own it is a demo on the fake Novita and a memory store; with REDIS_URL, the production wiring
 * of reconciler.ts.
 *
 * Run:
 *   node --import tsx examples/http/hono.ts
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { Reconciler } from 'novita-reconciler';
import { createListHandler, createSyncHandler, toFetchHandler } from 'novita-reconciler/http';
import { isMain, listenOptions, prepareExample, runStandalone, type ListenOptions, type RunningExample } from './standalone.js';

/** The app: `POST /api/instances/sync` and `GET /api/instances`, for callers with the admin token. */
export function createApp(reconciler: Reconciler, adminToken: string): Hono {
  const sync = toFetchHandler(createSyncHandler(reconciler));
  const list = toFetchHandler(createListHandler(reconciler));
  const app = new Hono();
  // Hono's `/api/instances/*` matches `/api/instances` itself too.
  app.use('/api/instances/*', bearerAuth({ token: adminToken }));
  // `all`: the adapter answers any other method with 405 and `Allow`, not Hono's 404.
  app.all('/api/instances/sync', (c) => sync(c.req.raw));
  app.all('/api/instances', (c) => list(c.req.raw));
  return app;
}

/** Builds the reconciler (see reconciler.ts) and serves the app. */
export async function start(options?: ListenOptions): Promise<RunningExample> {
  const { port, host, env } = listenOptions(options);
  const { built, admin } = await prepareExample(env);
  const server = serve({ fetch: createApp(built.reconciler, admin.token).fetch, port, hostname: host });
  try {
    if (!server.listening) await once(server, 'listening');
  } catch (error) {
    await built.close();
    throw error;
  }
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    built,
    admin,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await built.close();
    },
  };
}

if (isMain(import.meta.url)) await runStandalone('hono', () => start());
