import type { Cluster, Redis } from 'ioredis';

/*
 * A command that fails while ioredis reconnects says only "max retries"; the reason (ECONNREFUSED,
 * ENOTFOUND, ...) comes as an 'error' event. The lock listens for it only while one of its commands is
 * out, and every lock on a client shares one pair of listeners, counted: a client shared by many locks
 * and stores carries at most these two while commands are out and none once they are back, so it never
 * collects listeners nor trips Node's MaxListenersExceededWarning.
 */

interface SharedWatch {
  users: number;
  last: Error | undefined;
  onError(error: Error): void;
  onReady(): void;
}

const watches = new WeakMap<Redis | Cluster, SharedWatch>();

/** @internal A handle on the client's connection errors, until `stop()`. */
export interface ConnectionWatch {
  /** The last connection error seen while watched, until the connection is ready again. */
  error(): Error | undefined;
  stop(): void;
}

/** @internal Starts watching a client's connection errors. */
export function watchConnection(redis: Redis | Cluster): ConnectionWatch {
  let watch = watches.get(redis);
  if (watch === undefined) {
    const created: SharedWatch = {
      users: 0,
      last: undefined,
      onError: (error) => {
        created.last = error;
      },
      onReady: () => {
        created.last = undefined;
      },
    };
    watch = created;
    watches.set(redis, watch);
  }
  const shared = watch;
  if (shared.users === 0) {
    redis.on('error', shared.onError);
    redis.on('ready', shared.onReady);
  }
  shared.users += 1;
  let stopped = false;
  return {
    error: () => shared.last,
    stop: () => {
      if (stopped) return;
      stopped = true;
      shared.users -= 1;
      if (shared.users === 0) {
        redis.off('error', shared.onError);
        redis.off('ready', shared.onReady);
        shared.last = undefined;
      }
    },
  };
}
