/**
 * The reconciler of a Next.js server process (`lib/reconciler.ts` in your app), built on first use and
 * shared by the route handlers. Not at import: `next build` imports every route module without the
 * runtime's environment, so a reconciler built there would fail the build (no `NOVITA_API_KEY`) or
 * connect to Redis from the build machine. A failed build of it (a missing variable) is answered as a
 * 500 `CONFIG_INVALID` naming the variable, and retried on the next request.
 *
 * `next dev` re-evaluates modules on every change; keep the promise on `globalThis` if the extra Redis
 * connections bother you there.
 *
 * Part of: examples/http/next/app/api/instances/sync/route.ts
 */
import type { Reconciler } from 'novita-reconciler';
import { buildReconciler, type ExampleReconciler } from '../../reconciler';

let shared: Promise<ExampleReconciler> | undefined;

function built(): Promise<ExampleReconciler> {
  shared ??= buildReconciler(process.env).catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** What the handlers call: each call waits for the one reconciler of this process. */
export const reconciler: Pick<Reconciler, 'sync' | 'listInstances'> = {
  sync: async (options) => (await built()).reconciler.sync(options),
  listInstances: async (options) => (await built()).reconciler.listInstances(options),
};

/** Releases the reconciler's connection; for tests and a custom server's shutdown (Next never unloads a route). */
export async function closeReconciler(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) await (await current.catch(() => undefined))?.close();
}
