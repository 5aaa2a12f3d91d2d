import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { LockLease, SyncLock } from '../core/ports/lock.js';
import type { WriteFence } from '../core/ports/store.js';
import { ConfigError, isReconcilerError, LockLostError, StoreUnavailableError, throwIfAborted } from '../errors.js';
import { checkOptionKeys, integerOption, signalOption } from '../options.js';
import { untilAborted } from './abortable.js';
import { hashTagOf, keyLayout } from './keys.js';
import type { RedisStore } from './redis-store.js';
import { defineLockScripts } from './scripts.js';
import { callRedis } from './call-redis.js';
import { watchConnection } from './connection-watch.js';

/** Options of {@link createRedisLock}. */
export interface RedisLockOptions {
  /**
   * The Redis store the lock guards: the lock uses its client and its key `{prefix}:lock`, so the
   * store's write scripts can check the lease as a fence (on Redis Cluster too). The simplest choice.
   */
  store?: Pick<RedisStore, 'redis' | 'keys'>;
  /** The ioredis client, when `store` is not given. */
  redis?: Redis | Cluster;
  /**
   * The store's prefix, when `store` is not given: the lock key becomes `{prefix}:lock`, in the
   * store's hash slot.
   */
  prefix?: string;
  /**
   * The lock key, overriding the one derived from `store` or `prefix`. A fence is only accepted by
   * the Redis store when this key carries the store's `{prefix}` hash tag.
   * @default `{prefix}:lock`
   */
  key?: string;
  /**
   * How long a lease lasts without renewal. A holder that stalls (a frozen process, a partition)
   * loses the lock after this long, and the store's fence refuses its writes from then on.
   * @default 30_000
   */
  ttlMs?: number;
  /**
   * How often a held lease is renewed. Must be well below `ttlMs`.
   * @default ttlMs / 3
   */
  renewIntervalMs?: number;
}

const LOCK_OPTION_KEYS = ['store', 'redis', 'prefix', 'key', 'ttlMs', 'renewIntervalMs'] as const;

/** A lease of {@link createRedisLock}: a {@link LockLease} whose optional parts are all there. */
export interface RedisLockLease extends LockLease {
  /** The lock key and this lease's token, for the Redis store's write scripts. */
  readonly fence: WriteFence;
  /**
   * Keeps the time the last real run completed, next to the lock key, only while this lease still
   * holds the lock (checked in the same script). Resolves `false`, writing nothing, otherwise. Without
   * `at` (as the reconciler calls it), the time is the Redis server's (`TIME`), the one clock every
   * replica shares; `at` records a time of the caller's instead.
   */
  recordCompletedRun(at?: Date): Promise<boolean>;
}

/** The lock of {@link createRedisLock}: a {@link SyncLock} with the shared schedule. */
export interface RedisLock extends SyncLock {
  /** Takes the lock, or resolves `null` when another owner holds it; rejects `ABORTED` when `signal` aborts first. */
  acquire(options?: { signal?: AbortSignal }): Promise<RedisLockLease | null>;
  /**
   * When a real run last completed under this lock key, by any replica; `null` before the first.
   * Rejects (`STORE_UNAVAILABLE`, `ABORTED`) when it cannot be read, which a scheduler takes as unknown.
   */
  lastCompletedRun(options?: { signal?: AbortSignal }): Promise<Date | null>;
  /**
   * How long ago, in ms, a real run last completed under this lock key, measured on the Redis server's
   * clock (`TIME`, read in the same transaction as the recorded time); `null` before the first. The
   * reconciler's shared schedule reads this, so replicas whose clocks disagree still share one
   * schedule. Rejects (`STORE_UNAVAILABLE`, `ABORTED`) when it cannot be read.
   */
  sinceLastCompletedRun(options?: { signal?: AbortSignal }): Promise<number | null>;
}

/**
 * A lock shared by every replica that reconciles one Redis store, for the reconciler's `lock` option.
 * `acquire()` takes the key with `SET NX PX` and a random owner token, or resolves `null` when another
 * owner holds it (the reconciler then rejects with `SYNC_IN_PROGRESS`). A held lease renews itself
 * every `renewIntervalMs`; its `lost` signal aborts when a renewal finds the key gone or held by
 * another owner, or when no renewal succeeded for `ttlMs`. `release()` deletes the key only for its
 * owner. The lease's `fence` makes the Redis store refuse the writes of a run that lost the lock.
 *
 * Replicas sharing the lock share one schedule: `lease.recordCompletedRun()` keeps the time of a
 * completed real run next to the lock key (only while the lease holds the lock), and
 * `sinceLastCompletedRun()` says how long ago that was; both read the Redis server's clock, never a
 * replica's. Each lock key has its own time. The lock adds no permanent listener to the client,
 * however many locks share it.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ redis, prefix: 'myapp:instances' });
 * const reconciler = createReconciler({ store, lock: createRedisLock({ store }), novitaClient, policy });
 * ```
 */
export function createRedisLock(options: RedisLockOptions): RedisLock {
  checkOptionKeys<RedisLockOptions>('createRedisLock', options, LOCK_OPTION_KEYS);
  if (options === undefined) throw new ConfigError('redis', 'give the Redis store as `store`, or an ioredis client as `redis`');
  const client = options.store?.redis ?? options.redis;
  if (client === undefined || typeof (client as { defineCommand?: unknown }).defineCommand !== 'function') {
    throw new ConfigError('redis', 'give the Redis store as `store`, or an ioredis client as `redis`');
  }
  const redis: Redis | Cluster = client;
  const lockKey = options.key ?? options.store?.keys.lock ?? (options.prefix !== undefined ? keyLayout(options.prefix).lock : undefined);
  if (typeof lockKey !== 'string' || lockKey === '') {
    throw new ConfigError('key', 'give the Redis store as `store`, its `prefix`, or a lock `key`', { received: lockKey });
  }
  const key: string = lockKey;
  const completedRunKey = completedRunKeyOf(key);
  const ttlMs = integerOption('ttlMs', options.ttlMs, 30_000, 100);
  const renewIntervalMs = integerOption('renewIntervalMs', options.renewIntervalMs, Math.max(1, Math.floor(ttlMs / 3)), 1, ttlMs - 1);
  defineLockScripts(redis);

  async function acquire(acquireOptions: { signal?: AbortSignal } = {}): Promise<RedisLockLease | null> {
    checkOptionKeys('acquire', acquireOptions, ['signal']);
    const signal = signalOption('signal', acquireOptions.signal);
    throwIfAborted(signal);
    // 128 random bits: no other replica can guess or repeat the token, so only the owner renews or releases.
    const token = randomBytes(16).toString('hex');
    // Measured before sending, so the local idea of the expiry is never later than Redis's.
    const sentAt = Date.now();
    // Listened for only while this command is out (see connection-watch.ts), so that a lock that
    // cannot be taken names the real cause (for example ECONNREFUSED), not only "max retries".
    const watch = watchConnection(redis);
    const sent = redis.set(key, token, 'PX', ttlMs, 'NX');
    let reply: string | null;
    try {
      reply = await callRedis('lock acquire', () => untilAborted(sent, signal, 'lock acquire'), watch.error);
    } catch (error) {
      if (isReconcilerError(error, 'ABORTED')) {
        // The SET may still land after the caller gave up: give the key back rather than hold it
        // unrenewed until its TTL runs out.
        sent.then((late) => (late === 'OK' ? redis.novitaReconcilerReleaseLock(key, token) : 0)).catch(() => {});
      }
      throw error;
    } finally {
      watch.stop();
    }
    if (reply !== 'OK') return null;
    return holdLease(token, sentAt + ttlMs);
  }

  async function lastCompletedRun(readOptions: { signal?: AbortSignal } = {}): Promise<Date | null> {
    checkOptionKeys('lastCompletedRun', readOptions, ['signal']);
    const signal = signalOption('signal', readOptions.signal);
    throwIfAborted(signal);
    const stored = await callRedis('last completed run read', () =>
      untilAborted(redis.get(completedRunKey), signal, 'last completed run read'),
    );
    return parseCompletedRun(stored);
  }

  async function sinceLastCompletedRun(readOptions: { signal?: AbortSignal } = {}): Promise<number | null> {
    checkOptionKeys('sinceLastCompletedRun', readOptions, ['signal']);
    const signal = signalOption('signal', readOptions.signal);
    throwIfAborted(signal);
    // One transaction: the recorded time and the server's clock, read together on the node that holds the key.
    const replies = await callRedis('last completed run read', () =>
      untilAborted(redis.multi().get(completedRunKey).time().exec(), signal, 'last completed run read'),
    );
    const [stored, time] = transactionReplies(replies, 2, 'last completed run read');
    const at = parseCompletedRun(stored as string | null);
    return at === null ? null : serverTimeMs(time) - at.getTime();
  }

  /** The Redis server's clock, read on the node that holds the lock key (a transaction with a command on it). */
  async function serverNow(): Promise<number> {
    const replies = await callRedis('server time read', () => redis.multi().exists(key).time().exec());
    return serverTimeMs(transactionReplies(replies, 2, 'server time read')[1]);
  }

  function parseCompletedRun(stored: string | null): Date | null {
    if (stored === null) return null;
    const at = /^\d{1,15}$/.test(stored) ? new Date(Number(stored)) : undefined;
    if (at === undefined || Number.isNaN(at.getTime())) {
      throw new StoreUnavailableError(
        `Redis lock: ${completedRunKey} holds ${JSON.stringify(stored.slice(0, 40))}, not a time in ms since the epoch`,
      );
    }
    return at;
  }

  function holdLease(token: string, initialExpiry: number): RedisLockLease {
    const lost = new AbortController();
    let expiresAt = initialExpiry;
    let renewing = false;
    let done = false;
    const stop = () => {
      done = true;
      clearInterval(timer);
    };
    const lose = (reason: LockLostError) => {
      if (done) return;
      stop();
      lost.abort(reason);
    };
    const tick = () => {
      // Checked before anything else: after a stall longer than the TTL (a frozen event loop), the
      // key may already belong to someone else even if the renewal below would report otherwise later.
      if (Date.now() >= expiresAt) {
        lose(new LockLostError(`the sync lock ${key} expired before it could be renewed (ttl ${ttlMs} ms)`));
        return;
      }
      if (renewing) return;
      renewing = true;
      const sentAt = Date.now();
      redis
        .novitaReconcilerRenewLock(key, token, ttlMs)
        .then((renewed) => {
          if (Number(renewed) === 1) expiresAt = sentAt + ttlMs;
          else lose(new LockLostError(`the sync lock ${key} was taken over by another owner or expired`));
        })
        .catch(() => {
          // A failed renewal is retried on the next tick; the lease is lost once the TTL runs out.
        })
        .finally(() => {
          renewing = false;
        });
    };
    const timer = setInterval(tick, renewIntervalMs);
    // A lease must not keep a process alive that has nothing else to do; the TTL frees the key.
    timer.unref();

    return {
      token,
      fence: { key: key, token },
      lost: lost.signal,
      async release() {
        if (done) return;
        stop();
        try {
          await redis.novitaReconcilerReleaseLock(key, token);
        } catch {
          // Releasing must not turn a finished run into a failure: the key expires after ttlMs anyway.
        }
      },
      async recordCompletedRun(at?: Date): Promise<boolean> {
        if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime())))
          throw new ConfigError('at', "must be a valid Date, or left out for the Redis server's time", { received: at });
        // Checked here too: past its local expiry the key may already be someone else's.
        if (done || Date.now() >= expiresAt) return false;
        const atMs = at === undefined ? await serverNow() : at.getTime();
        const recorded = await callRedis('completed run record', () =>
          redis.novitaReconcilerRecordCompletedRun(key, completedRunKey, token, atMs),
        );
        return Number(recorded) === 1;
      },
    };
  }

  return { acquire, lastCompletedRun, sinceLastCompletedRun };
}

/** The replies of a transaction (`[error, reply]` pairs), or the error of the first command that failed. */
function transactionReplies(replies: [Error | null, unknown][] | null, expected: number, what: string): unknown[] {
  if (replies === null || replies.length !== expected)
    throw new StoreUnavailableError(`Redis lock: the ${what} transaction was not executed`);
  return replies.map(([error, reply]) => {
    if (error) throw new StoreUnavailableError(`Redis lock: ${what} failed: ${error.message}`, { cause: error });
    return reply;
  });
}

/** A `TIME` reply (`[seconds, microseconds]`) in ms since the epoch. */
function serverTimeMs(reply: unknown): number {
  const [seconds, micros] = Array.isArray(reply) ? reply.map(Number) : [];
  if (seconds === undefined || micros === undefined || !Number.isFinite(seconds) || !Number.isFinite(micros))
    throw new StoreUnavailableError(`Redis lock: TIME answered ${JSON.stringify(reply)}, not [seconds, microseconds]`);
  return seconds * 1000 + Math.floor(micros / 1000);
}

/**
 * The key that keeps when a run last completed under a lock: next to the lock key and in its hash slot,
 * so one script reads the lock and writes the time on Redis Cluster too, and each lock key (each account
 * or scope with its own) has its own time. A key without a hash tag is hashed whole, so wrapping it in
 * braces keeps the slot.
 */
function completedRunKeyOf(lockKey: string): string {
  if (hashTagOf(lockKey) !== lockKey) return `${lockKey}:last-completed-run`;
  if (!lockKey.includes('}')) return `{${lockKey}}:last-completed-run`;
  throw new ConfigError('key', 'a lock key with braces must carry a non-empty hash tag such as {prefix}:lock', { received: lockKey });
}
