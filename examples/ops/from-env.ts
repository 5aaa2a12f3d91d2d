/**
 * What the runnable ops examples share when they run on their own: the production wiring from the
 * environment (the Redis store and lock of REDIS_URL and REDIS_KEY_PREFIX, the Novita client of
 * NOVITA_API_KEY and NOVITA_API_BASE_URL, the policy of the SYNC_* variables: what the
 * `novita-reconcile` command reads), whether a module is the script node was started with, and a
 * clean stop on SIGTERM or SIGINT. Not needed when you copy an example's functions into your own code.
 *
 * Part of: examples/ops/croner-schedule.ts (and prometheus-metrics.ts, opentelemetry.ts, which say how to run them)
 */
import { pathToFileURL } from 'node:url';
import type { Reconciler, ReconcilerEvent, ReconcilerLogger } from 'novita-reconciler';

/** A reconciler built from the environment, and what closes its connection. */
export interface ReconcilerFromEnv {
  readonly reconciler: Reconciler;
  close(): Promise<void>;
}

/** The reconciler of the environment (see the module comment), with your `onEvent` and `logger`. */
export async function reconcilerFromEnv(
  options: { onEvent?: (event: ReconcilerEvent) => void; logger?: ReconcilerLogger } = {},
): Promise<ReconcilerFromEnv> {
  // Imported here, not at the top: the modules that import this one stay free of ioredis.
  const { createReconciler, policyFromEnv } = await import('novita-reconciler');
  const { createNovitaClient } = await import('novita-reconciler/novita');
  const { createRedisLock, createRedisStore } = await import('novita-reconciler/redis');
  // The client and the policy first: a missing key or a bad SYNC_* value throws before a connection opens.
  const novitaClient = createNovitaClient();
  const policy = policyFromEnv(process.env);
  const store = createRedisStore();
  const reconciler = createReconciler({ store, lock: createRedisLock({ store }), novitaClient, policy, ...options });
  return { reconciler, close: () => store.close() };
}

/** True when `moduleUrl` (pass `import.meta.url`) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

/** Calls `stop` once on the first SIGTERM or SIGINT, then exits 0 (1 when `stop` failed). */
export function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = (): void => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
