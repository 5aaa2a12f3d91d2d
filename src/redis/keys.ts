import { ConfigError } from '../errors.js';

/**
 * The default key layout of the Redis store. Every key carries the prefix as a Redis Cluster hash tag
 * (`{prefix}`), so the records, the index, the lock and the audit stream all hash to one slot and a
 * Lua script may touch any of them together, on a single server or on Cluster alike.
 *
 * - `{prefix}:record:<id>`: one string per record, the record's JSON (or the codec's text);
 * - `{prefix}:index`: a set of every record id, so reads never walk the keyspace;
 * - `{prefix}:lock`: the sync lock (see `createRedisLock`), read by the store's write scripts as a fence;
 * - `{prefix}:audit`: the opt-in audit stream of destructive writes;
 * - `{prefix}:destructive-budget`: the reservations of the window budget (`policy.destructiveBudget`);
 * - `{prefix}:hold`: the hold switch (`novita-reconcile hold`).
 */
export interface RedisKeyLayout {
  /** The prefix as given, without braces. */
  readonly prefix: string;
  /** The hash tag every key of this layout shares, `{prefix}`. */
  readonly hashTag: string;
  /** The key of one record. */
  record(id: string): string;
  /** The set of every record id. */
  readonly index: string;
  /** The default key of the sync lock. */
  readonly lock: string;
  /** The audit stream. */
  readonly audit: string;
  /** The sorted set of the window budget's reservations, shared by every replica on the prefix. */
  readonly destructiveBudget: string;
  /** The hold switch (a hash: reason, by, at). */
  readonly hold: string;
}

/** @internal Validates a prefix and builds the layout. */
export function keyLayout(prefix: string, field = 'prefix'): RedisKeyLayout {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new ConfigError(field, 'must be a non-empty string', { received: prefix });
  }
  // A brace inside the prefix would end the hash tag early and scatter the keys over several slots.
  if (prefix.includes('{') || prefix.includes('}')) {
    throw new ConfigError(field, 'must not contain "{" or "}" (the store wraps it in braces as a Redis Cluster hash tag)', {
      received: prefix,
    });
  }
  const hashTag = `{${prefix}}`;
  return {
    prefix,
    hashTag,
    record: (id) => `${hashTag}:record:${id}`,
    index: `${hashTag}:index`,
    lock: `${hashTag}:lock`,
    audit: `${hashTag}:audit`,
    destructiveBudget: `${hashTag}:destructive-budget`,
    hold: `${hashTag}:hold`,
  };
}

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next `}` when it is
 * not empty, else the whole key (the rule of the Redis Cluster specification).
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
