import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { LockLease, SyncLock } from '../core/lock.js';
import { ConfigError, LockLostError, throwIfAborted } from '../errors.js';
import { keyLayout } from './keys.js';
import type { RedisStore } from './redis-store.js';
import { defineScripts } from './scripts.js';
import { callRedis } from './store-unavailable.js';

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

/**
 * A lock shared by every replica that reconciles one Redis store, for the reconciler's `lock` option.
 * `acquire()` takes the key with `SET NX PX` and a random owner token, or resolves `null` when another
 * owner holds it (the reconciler then rejects with `SYNC_IN_PROGRESS`). A held lease renews itself
 * every `renewIntervalMs`; its `lost` signal aborts when a renewal finds the key gone or held by
 * another owner, or when no renewal succeeded for `ttlMs`. `release()` deletes the key only for its
 * owner. The lease's `fence` makes the Redis store refuse the writes of a run that lost the lock.
 *
 * @example
 * ```ts
 * const store = createRedisStore({ redis, prefix: 'myapp:instances' });
 * const reconciler = createReconciler({ store, lock: createRedisLock({ store }), novitaClient, policy });
 * ```
 */
export function createRedisLock(options: RedisLockOptions): SyncLock {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'must be an object', { received: options });
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
  const ttlMs = options.ttlMs ?? 30_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 100) throw new ConfigError('ttlMs', 'must be an integer of at least 100 ms', { received: ttlMs });
  const renewIntervalMs = options.renewIntervalMs ?? Math.max(1, Math.floor(ttlMs / 3));
  if (!Number.isInteger(renewIntervalMs) || renewIntervalMs <= 0 || renewIntervalMs >= ttlMs) {
    throw new ConfigError('renewIntervalMs', `must be a positive integer below ttlMs (${ttlMs})`, { received: renewIntervalMs });
  }
  defineScripts(redis);
  // A command that fails while ioredis reconnects says only "max retries"; remember why it reconnects,
  // so that a lock that cannot be taken names the real cause (for example ECONNREFUSED).
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => {
    connectionError = error;
  });
  redis.on('ready', () => {
    connectionError = undefined;
  });

  async function acquire(acquireOptions: { signal?: AbortSignal } = {}): Promise<LockLease | null> {
    throwIfAborted(acquireOptions.signal);
    // 128 random bits: no other replica can guess or repeat the token, so only the owner renews or releases.
    const token = randomBytes(16).toString('hex');
    // Measured before sending, so the local idea of the expiry is never later than Redis's.
    const sentAt = Date.now();
    const reply = await callRedis('lock acquire', () => redis.set(key, token, 'PX', ttlMs, 'NX'), () => connectionError);
    if (reply !== 'OK') return null;
    return holdLease(token, sentAt + ttlMs);
  }

  function holdLease(token: string, initialExpiry: number): LockLease {
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
          if (renewed === 1) expiresAt = sentAt + ttlMs;
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
    };
  }

  return { acquire };
}
