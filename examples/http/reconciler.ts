/**
 * The reconciler every HTTP example serves, built in one of two ways:
 *
 * - `REDIS_URL` set: the production wiring. The Redis store (`REDIS_KEY_PREFIX`) with its lock, so
 *   replicas never run two syncs at once; the Novita client from `NOVITA_API_KEY` (and
 *   `NOVITA_API_BASE_URL`); the policy from the `SYNC_*` variables. The variables the
 *   `novita-reconcile` command reads, with the same meaning.
 * - otherwise a demo that needs nothing installed or running: the fake Novita on loopback and a memory
 *   store, seeded so that a sync has something to do (a status to refresh, a vanished instance).
 *
 * In your application, keep the first branch and delete the second.
 *
 * Part of: examples/http/express.ts (and every other HTTP example, which say how to run them)
 */
import { createMemoryStore, createReconciler, policyFromEnv, type InstanceRecord, type Reconciler } from 'novita-reconciler';

type Env = Readonly<Record<string, string | undefined>>;

/** A built reconciler and what to release when the server stops. */
export interface ExampleReconciler {
  readonly reconciler: Reconciler;
  /** `redis`: from the environment; `demo`: the fake Novita and a memory store. */
  readonly mode: 'redis' | 'demo';
  /** Closes the Redis connection, or stops the fake Novita. */
  close(): Promise<void>;
}

/** A variable's value; empty counts as unset, as everywhere in this package. */
const envValue = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** Builds the reconciler from `env`; see the module comment. */
export async function buildReconciler(env: Env = process.env): Promise<ExampleReconciler> {
  return envValue(env, 'REDIS_URL') === undefined ? demoReconciler() : redisReconciler(env);
}

async function redisReconciler(env: Env): Promise<ExampleReconciler> {
  // Imported here rather than at the top, so the demo runs without ioredis installed.
  const { createNovitaClient } = await import('novita-reconciler/novita');
  const { createRedisLock, createRedisStore } = await import('novita-reconciler/redis');
  // The client and the policy first: a missing key or a bad SYNC_* value throws before a connection opens.
  const novitaClient = createNovitaClient({ env });
  const policy = policyFromEnv(env);
  const store = createRedisStore({ env, audit: true });
  const reconciler = createReconciler({ store, lock: createRedisLock({ store }), novitaClient, policy });
  return { reconciler, mode: 'redis', close: () => store.close() };
}

async function demoReconciler(): Promise<ExampleReconciler> {
  const { startFakeNovita } = await import('novita-reconciler/testing');
  const { createNovitaClient } = await import('novita-reconciler/novita');
  const dayAgo = Date.now() - 86_400_000;
  // job-1 runs and Novita agrees; job-2's instance has stopped; job-3's was deleted behind the app's back.
  const fake = await startFakeNovita({
    instances: [
      { id: 'a1b2c3d4e5f60718', name: 'train-llama', createdAtMs: dayAgo },
      { id: '3560b7fec915bbf9', name: 'batch-embed', status: 'exited', createdAtMs: dayAgo, lastStoppedAtMs: Date.now() - 600_000 },
    ],
  });
  const created = new Date(dayAgo).toISOString();
  const records: InstanceRecord[] = ['a1b2c3d4e5f60718', '3560b7fec915bbf9', '9d8c7b6a5f4e3d2c'].map((novitaInstanceId, index) => ({
    id: `job-${index + 1}`,
    novitaInstanceId,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  }));
  const reconciler = createReconciler({
    store: createMemoryStore({ records }),
    novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url }),
  });
  return { reconciler, mode: 'demo', close: () => fake.close() };
}
