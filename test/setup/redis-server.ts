/**
 * Vitest globalSetup: one Redis for the integration tests. Uses `REDIS_URL` when set (it must answer
 * PING), else starts a throwaway `redis-server` on a free port. Tests read the URL with
 * `inject('redisUrl')`.
 *
 * No Redis is never a silent skip: under `CI=true` the whole run fails here; elsewhere the unit tests
 * still run and every integration test fails with the reason (see `requireRedisUrl`).
 */
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';
import { spawnRedis, type RedisProcess } from './spawn-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis the integration tests share, or `` when none could be had. */
    redisUrl: string;
    /** Why there is no Redis, when `redisUrl` is ``. */
    redisUnavailable: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: RedisProcess | undefined;
  let url = '';
  let reason = '';
  try {
    if (process.env.REDIS_URL) {
      url = process.env.REDIS_URL;
      await ping(url);
    } else {
      server = await spawnRedis();
      url = server.url;
    }
  } catch (error) {
    reason = `no Redis for the integration tests: ${error instanceof Error ? error.message : String(error)}; install redis-server or set REDIS_URL`;
    url = '';
    if (process.env.CI === 'true') throw new Error(reason, { cause: error });
    console.error(`\n\u001b[31m${reason}\u001b[0m\n`);
  }
  project.provide('redisUrl', url);
  project.provide('redisUnavailable', reason);
  return async () => {
    await server?.stop();
  };
}

async function ping(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectionError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    // "Connection is closed" says nothing; the connection's own error (ECONNREFUSED, ...) does.
    throw new Error(`REDIS_URL does not answer PING (${(connectionError ?? (error as Error)).message})`, { cause: error });
  } finally {
    redis.disconnect();
  }
}
