/**
 * The reconciler on the Redis store with the audit trail on: every destructive action it applies
 * answers "where did my record go" with the run, the reason and the record's last state.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createReconciler } from '../../src/index.js';
import { createRedisLock, createRedisStore } from '../../src/redis/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { connectRedis, dropPrefix, uniquePrefix } from '../support/redis-test-kit.js';

const redis = connectRedis();
afterAll(() => redis.quit());

describe('reconciler on Redis with the audit trail', () => {
  it('records each mark-terminated and removal with the run id, the reason and the last state', async () => {
    const prefix = uniquePrefix('audit-run');
    const store = createRedisStore({ redis, prefix, audit: true });
    try {
      const created = new Date(Date.now() - 86_400_000).toISOString();
      await store.put({ id: 'kept', novitaInstanceId: 'nv-kept', status: 'running', novitaStatus: 'running', timestamps: { created } });
      await store.put({
        id: 'vanished',
        novitaInstanceId: 'nv-vanished',
        status: 'running',
        owner: 'alice',
        timestamps: { created, started: created },
      });
      await store.put({ id: 'never', novitaInstanceId: 'nv-never', status: 'starting', timestamps: { created } });
      const novita = createScriptedNovitaClient({ instances: [{ id: 'nv-kept', status: 'running' }] });
      const reconciler = createReconciler({ store, novitaClient: novita, lock: createRedisLock({ store, ttlMs: 5_000 }) });
      const report = await reconciler.sync();
      expect(report).toMatchObject({ markedTerminated: 1, removed: 1, unchanged: 1 });

      const trail = await store.readAuditTrail();
      const byRecord = new Map(trail.map((entry) => [entry.recordId, entry]));
      expect(trail).toHaveLength(2);
      expect(byRecord.get('vanished')).toMatchObject({ kind: 'mark-terminated', runId: report.runId, reason: 'instance-not-found' });
      expect(JSON.stringify(byRecord.get('vanished'))).toContain('alice');
      expect(byRecord.get('never')).toMatchObject({ kind: 'remove', runId: report.runId, reason: 'never-started' });
    } finally {
      await dropPrefix(redis, prefix);
    }
  });
});
