/**
 * The production wiring, end to end on one machine: the Redis store and lock, the built-in Novita
 * client, and the fake Novita standing in for api.novita.ai.
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx examples/redis-and-fake-novita.ts
 *
 * It writes under a throwaway key prefix and deletes it at the end.
 */
import { Redis } from 'ioredis';
import { createReconciler } from 'novita-reconciler';
import { createNovitaClient } from 'novita-reconciler/novita';
import { createRedisLock, createRedisStore } from 'novita-reconciler/redis';
import { startFakeNovita } from 'novita-reconciler/testing';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `example-${process.pid}`;
const redis = new Redis(url);
const fake = await startFakeNovita();

try {
  const day = 86_400_000;
  const [alive, stopped, doomed] = fake.addInstances(3, (index) => ({ name: `job-${index}`, createdAtMs: Date.now() - day }));
  const store = createRedisStore({ redis, prefix, audit: true });
  for (const [index, instance] of [alive, stopped, doomed].entries()) {
    await store.put({
      id: `rec-${index}`,
      novitaInstanceId: instance?.id,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created: new Date(Date.now() - day).toISOString() },
    });
  }
  fake.setStatus(stopped!.id, 'exited');
  fake.removeInstance(doomed!.id);

  const reconciler = createReconciler({
    store,
    lock: createRedisLock({ store, ttlMs: 10_000 }),
    novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url }),
  });
  const report = await reconciler.sync();
  for (const action of report.actions)
    console.log(`${action.kind} ${action.recordId}: ${action.from} -> ${action.to ?? '(removed)'} (${action.reason})`);
  console.log(
    `before ${report.beforeSync}, after ${report.afterSync}, updated ${report.updated}, marked terminated ${report.markedTerminated}`,
  );
  for (const entry of await store.readAuditTrail())
    console.log(`audit: ${entry.kind} ${entry.recordId} (${entry.reason}, run ${entry.runId.slice(0, 8)})`);
} finally {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `{${prefix}}*`, count: 500 })) keys.push(...(batch as string[]));
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await fake.close();
}
