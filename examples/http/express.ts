/**
 * Express 5 (Express 4 is wired the same way): both endpoints behind an admin check, mounted through
 * `toNodeHandler`. The adapter takes the body `express.json()` or `express.urlencoded()` parsed, and
 * reads the stream itself when no parser did, so the app's own parsers may stay as they are.
 *
 * Run:
 *   node --import tsx examples/http/express.ts            # a demo: the fake Novita and a memory store
 *   REDIS_URL=... NOVITA_API_KEY=... ADMIN_TOKEN=... PORT=8080 node --import tsx examples/http/express.ts
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import type { Reconciler } from 'novita-reconciler';
import { createListHandler, createSyncHandler, toNodeHandler } from 'novita-reconciler/http';
import { isAdminAuthorization, UNAUTHORIZED_BODY } from './admin-token.js';
import { isMain, listenOptions, prepareExample, runStandalone, type ListenOptions, type RunningExample } from './standalone.js';

/** The app: `POST /api/instances/sync` and `GET /api/instances`, for callers with the admin token. */
export function createApp(reconciler: Reconciler, adminToken: string): express.Express {
  const requireAdmin: RequestHandler = (req, res, next) => {
    if (isAdminAuthorization(req.get('authorization'), adminToken)) next();
    else res.status(401).json(UNAUTHORIZED_BODY);
  };
  const app = express();
  app.use(express.json());
  // `all`, not `post`/`get`: the adapter answers any other method with 405 and `Allow`, not Express's 404.
  app.all('/api/instances/sync', requireAdmin, toNodeHandler(createSyncHandler(reconciler)));
  app.all('/api/instances', requireAdmin, toNodeHandler(createListHandler(reconciler)));
  return app;
}

/** Builds the reconciler (see reconciler.ts) and serves the app. */
export async function start(options?: ListenOptions): Promise<RunningExample> {
  const { port, host, env } = listenOptions(options);
  const { built, admin } = await prepareExample(env);
  const server = createApp(built.reconciler, admin.token).listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await built.close();
    throw error;
  }
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    built,
    admin,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close();
    },
  };
}

if (isMain(import.meta.url)) await runStandalone('express', () => start());
