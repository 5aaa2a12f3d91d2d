/**
 * The doctor's store checks for the Redis store, read-only: reachable, version, the store's scripts,
 * Cluster or not, the records under the prefix and how many decode, the lock, and the clock skew
 * between Redis and this machine (the shared schedule runs on Redis's clock).
 */
import type { Cluster, Redis } from 'ioredis';
import type { DoctorCheck } from '../core/doctor/doctor.js';
import { isClusterClient } from './connection.js';
import { createRedisLock } from './redis-lock.js';
import type { RedisStore } from './redis-store.js';

/** Options of {@link checkRedisStore}. */
export interface RedisDoctorOptions {
  /** The lock key, when the reconciler's lock does not use the store's default `{prefix}:lock`. */
  lockKey?: string;
  /** Ends the checks; a check cut short fails. */
  signal?: AbortSignal;
  /** This machine's clock, for the skew. @default Date.now */
  now?: () => number;
}

/** A clock skew above this is worth a warning: schedules and record ages are read on two clocks. */
const SKEW_WARN_MS = 2_000;

/**
 * Checks a Redis store without writing anything: `store.redis` (reachable, Redis version, Cluster or
 * not, clock skew), `store.scripts` (the read script runs), `store.records` (records under the prefix
 * and how many decode) and `store.lock` (held or free, until when, the last completed run). Never
 * rejects: a failure is a failed check.
 */
export async function checkRedisStore(store: RedisStore, options: RedisDoctorOptions = {}): Promise<DoctorCheck[]> {
  const now = options.now ?? Date.now;
  const redis = store.redis;
  const cluster = isClusterClient(redis);
  const checks: DoctorCheck[] = [];
  const failed = (id: string, title: string, error: unknown, todo: string): DoctorCheck => ({
    id,
    title,
    status: 'fail',
    why: error instanceof Error ? error.message.slice(0, 300) : String(error),
    todo,
  });

  // Reachable, version, skew.
  try {
    const sent = now();
    const [seconds, micros] = await withSignal((redis as Redis).time(), options.signal);
    const received = now();
    const serverMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const skewMs = serverMs - Math.round((sent + received) / 2);
    const info = await withSignal(infoOf(redis), options.signal);
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? 'unknown';
    const skewText = `clock skew ${skewMs >= 0 ? '+' : ''}${skewMs} ms (Redis minus this machine, ${received - sent} ms round trip)`;
    const why = `reachable in ${received - sent} ms; Redis ${version}; ${cluster ? 'Redis Cluster' : 'a single server (not Cluster)'}; ${skewText}`;
    const details = { version, cluster, skewMs, roundTripMs: received - sent, prefix: store.keys.prefix };
    checks.push(
      Math.abs(skewMs) > SKEW_WARN_MS
        ? {
            id: 'store.redis',
            title: 'Redis',
            status: 'warn',
            why,
            todo: "sync this machine's clock (NTP): record ages are read here, the shared schedule on Redis",
            details,
          }
        : { id: 'store.redis', title: 'Redis', status: 'ok', why, details },
    );
  } catch (error) {
    checks.push(failed('store.redis', 'Redis', error, 'check REDIS_URL, the network and the Redis password'));
    return checks;
  }

  // The store's read script, on one key that does not exist: loads the script, reads nothing.
  try {
    await withSignal(store.get('novita-reconciler-doctor-probe'), options.signal);
    checks.push({ id: 'store.scripts', title: 'Store scripts', status: 'ok', why: "the store's Lua scripts load and run" });
  } catch (error) {
    checks.push(
      failed(
        'store.scripts',
        'Store scripts',
        error,
        'the server must run Lua scripts (EVAL, EVALSHA); a managed Redis may need them enabled',
      ),
    );
  }

  // Every record under the prefix.
  try {
    let valid = 0;
    const invalid: string[] = [];
    for await (const batch of store.readBatches(options.signal ? { signal: options.signal } : {})) {
      for (const entry of batch) {
        if (entry.invalid === undefined) valid += 1;
        else invalid.push(entry.id);
      }
    }
    const total = valid + invalid.length;
    const why = `${total} record${total === 1 ? '' : 's'} under the prefix ${JSON.stringify(store.keys.prefix)}, ${valid} decode`;
    const details = { records: total, valid, invalid: invalid.length };
    checks.push(
      invalid.length > 0
        ? {
            id: 'store.records',
            title: 'Records',
            status: 'warn',
            why: `${why}; ${invalid.length} do not (left alone by every run, reported as skipped.invalid)`,
            todo: `inspect them, for example ${invalid
              .slice(0, 3)
              .map((id) => JSON.stringify(id))
              .join(', ')}`,
            details,
          }
        : total === 0
          ? {
              id: 'store.records',
              title: 'Records',
              status: 'warn',
              why: `${why}: nothing to reconcile`,
              todo: 'check REDIS_KEY_PREFIX: is this the prefix your backend writes under?',
              details,
            }
          : { id: 'store.records', title: 'Records', status: 'ok', why, details },
    );
  } catch (error) {
    checks.push(failed('store.records', 'Records', error, 'check that the Redis user may read the keys under the prefix'));
  }

  // The lock: who holds it is not shown (its token is the holder's), only whether and until when.
  try {
    const key = options.lockKey ?? store.keys.lock;
    const [held, ttl] = await withSignal(Promise.all([redis.exists(key), redis.pttl(key)]), options.signal);
    const last = await createRedisLock({ redis, key }).lastCompletedRun(options.signal ? { signal: options.signal } : {});
    const lastText = last === null ? 'no completed run recorded' : `last completed run ${last.toISOString()}`;
    const until = ttl > 0 ? new Date(now() + ttl).toISOString() : undefined;
    const why =
      held === 1 ? `held by a run (key ${key}), until about ${until ?? 'no expiry'}; ${lastText}` : `free (key ${key}); ${lastText}`;
    checks.push({
      id: 'store.lock',
      title: 'Lock',
      status: held === 1 && ttl < 0 ? 'warn' : 'ok',
      why: held === 1 && ttl < 0 ? `${why}: a lock without expiry never frees itself` : why,
      ...(held === 1 && ttl < 0 ? { todo: `if no run holds it, delete the key ${key}` } : {}),
      details: { key, held: held === 1, until: until ?? null, lastCompletedRun: last?.toISOString() ?? null },
    });
  } catch (error) {
    checks.push(failed('store.lock', 'Lock', error, 'check that the Redis user may read the lock key'));
  }
  return checks;
}

async function infoOf(redis: Redis | Cluster): Promise<string> {
  if (isClusterClient(redis)) {
    const [node] = (redis as Cluster).nodes('master');
    return node ? node.info('server') : '';
  }
  return (redis as Redis).info('server');
}

/** Rejects when `signal` aborts first; the command itself is left to finish. */
function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
