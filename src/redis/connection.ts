import { Redis, type Cluster } from 'ioredis';
import { ConfigError } from '../errors.js';
import { integerOption, readEnv } from '../options.js';

/** How the Redis store or lock reaches Redis. */
export interface RedisConnectionOptions {
  /**
   * The application's own ioredis client, a `Redis` or a `Cluster`. The caller owns it: `close()`
   * leaves it open. Its own settings (retries, timeouts, `keyPrefix`) apply.
   */
  redis?: Redis | Cluster;
  /**
   * A Redis URL (`redis://user:pass@host:6379/0`, `rediss://...`) for a connection the store opens and
   * owns; `close()` quits it. Used only when `redis` is not given.
   * @default the `REDIS_URL` environment variable
   */
  url?: string;
  /**
   * For a connection opened from `url`: how long one command may wait for its reply before it fails
   * with `STORE_UNAVAILABLE`.
   * @default 10_000
   */
  commandTimeoutMs?: number;
  /** Where `REDIS_URL` and `REDIS_KEY_PREFIX` are read from. @default process.env */
  env?: Record<string, string | undefined>;
}

/** @internal The option keys of {@link RedisConnectionOptions}. */
export const CONNECTION_OPTION_KEYS = ['redis', 'url', 'commandTimeoutMs', 'env'] as const;

/** @internal A client and whether this package opened it. */
export interface ResolvedConnection {
  redis: Redis | Cluster;
  owned: boolean;
  /**
   * The last connection error of a connection this package opened, until it is ready again: a
   * command that fails while reconnecting says only "max retries", so the store names the reason.
   */
  lastConnectionError?: Error;
}

/** @internal Picks the caller's client, else opens one from `url` or `REDIS_URL`. */
export function resolveConnection(options: RedisConnectionOptions, field: string): ResolvedConnection {
  if (options.redis !== undefined) {
    if (
      typeof options.redis !== 'object' ||
      options.redis === null ||
      typeof (options.redis as { defineCommand?: unknown }).defineCommand !== 'function'
    ) {
      throw new ConfigError(`${field}.redis`, 'must be an ioredis Redis or Cluster client', { received: typeof options.redis });
    }
    return { redis: options.redis, owned: false };
  }
  const env = options.env ?? process.env;
  if (typeof env !== 'object' || env === null)
    throw new ConfigError(`${field}.env`, 'must be an object of environment variables', { received: env });
  // An empty REDIS_URL (as .env.example leaves it) is unset, like every environment variable here.
  const url = options.url ?? readEnv(env, 'REDIS_URL');
  if (url === undefined || url === '') {
    throw new ConfigError(`${field}.redis`, 'give an ioredis client as `redis`, a Redis URL as `url`, or set REDIS_URL');
  }
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    // Never echo the URL: it may carry a password.
    throw new ConfigError(options.url !== undefined ? `${field}.url` : 'REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  const commandTimeout = integerOption('commandTimeoutMs', options.commandTimeoutMs, 10_000);
  const redis = new Redis(url, {
    commandTimeout,
    // Fail a command after one reconnect attempt instead of queueing it for ~20: a run should stop
    // with STORE_UNAVAILABLE and let the next run retry, not hang while Redis is down.
    maxRetriesPerRequest: 1,
  });
  // ioredis emits connection errors as events too; an unhandled 'error' event would crash the
  // process, and each failing command already rejects with STORE_UNAVAILABLE.
  const connection: ResolvedConnection = { redis, owned: true };
  redis.on('error', (error: Error) => {
    connection.lastConnectionError = error;
  });
  redis.on('ready', () => {
    connection.lastConnectionError = undefined;
  });
  return connection;
}

/** @internal Whether a client is a Cluster client. */
export function isClusterClient(redis: Redis | Cluster): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}
