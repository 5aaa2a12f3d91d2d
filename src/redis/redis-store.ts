/**
 * `createRedisStore`: the Redis store, its options and its app-facing methods (the conditional writes are
 * in write-batch.ts, the Lua in lua/*.lua). At about 360 lines after formatting, most of it is the
 * options type with its TSDoc, which users read first; splitting it from the factory would scatter both.
 */
import type { Cluster, Redis } from 'ioredis';
import { assertRecord, decodeRecord, type InstanceRecord } from '../core/record.js';
import type { DestructiveGuardStore, InstanceStore, ReadBatchesOptions, StoreEntry, WriteResult } from '../core/ports/store.js';
import { createDestructiveGuards } from './destructive-guards.js';
import { ConfigError, RecordInvalidError, StoreUnavailableError, throwIfAborted } from '../errors.js';
import { checkOptionKeys, integerOption, readEnv, requireMethods } from '../options.js';
import { untilAborted } from './abortable.js';
import { auditEntryNames, parseAuditEntry, type AuditEntry, type ReadAuditTrailOptions, type RedisAuditOptions } from './audit-trail.js';
import { jsonRecordCodec, type RedisRecordCodec } from './codec.js';
import { CONNECTION_OPTION_KEYS, isClusterClient, resolveConnection, type RedisConnectionOptions } from './connection.js';
import { keyLayout, type RedisKeyLayout } from './keys.js';
import { resolveScriptFlavour, type RedisScriptsOption, type ScriptFlavour } from './script-flavour.js';
import { recordScripts } from './scripts.js';
import { callRedis } from './call-redis.js';
import { createWriteBatch, type RedisConditionalWrite, type RedisWriteBatchOptions, type writeBatchProgress } from './write-batch.js';

export type { RedisConditionalWrite, RedisWriteBatchOptions } from './write-batch.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions extends RedisConnectionOptions {
  /**
   * The namespace of every key, used as a Redis Cluster hash tag (`{prefix}:record:<id>`, ...). Two
   * stores with different prefixes on one Redis never see each other's records. Must not contain
   * `{` or `}`.
   * @default the `REDIS_KEY_PREFIX` environment variable, else `novita-reconciler`
   */
  prefix?: string;
  /**
   * How records are encoded in their string values and, optionally, the backend's own key naming.
   * @default JSON of the record, in the default layout
   */
  codec?: RedisRecordCodec;
  /**
   * Records per batch of `readBatches` (when its caller gives none) and of `list()`.
   * @default 500
   */
  batchSize?: number;
  /**
   * Writes per Lua script call in `writeBatch`. Each call runs atomically on the server, so this
   * bounds how long one call keeps Redis busy.
   * @default 100
   */
  writeChunkSize?: number;
  /**
   * Keep an audit trail of the destructive writes the reconciler applies (mark terminated, remove),
   * of what the guards on destructive actions held back (one `held-back` entry per run that held any
   * back), and of the hold switch set and released, in a capped stream `{prefix}:audit`. `true` uses the
   * default options.
   * @default false
   */
  audit?: boolean | RedisAuditOptions;
  /**
   * Which Lua the store's scripts are written for: `'standard'` for Redis and Redis Cluster,
   * `'portable'` for ioredis-mock and other in-process fakes whose Lua lacks `redis.sha1hex` and
   * `cjson`. `'auto'` picks `'portable'` only for an ioredis-mock client (recognised without sending it
   * anything); a real server always gets the standard scripts, and one whose Lua lacks a feature they
   * need makes the first call reject with a `ConfigError` naming `scripts`.
   * @default 'auto'
   */
  scripts?: RedisScriptsOption;
}

const STORE_OPTION_KEYS = [...CONNECTION_OPTION_KEYS, 'prefix', 'codec', 'batchSize', 'writeChunkSize', 'audit', 'scripts'] as const;

/**
 * The Redis implementation of {@link InstanceStore}, from {@link createRedisStore}. It keeps the
 * destructive guards too ({@link DestructiveGuardStore}): the window budget of
 * `policy.destructiveBudget` (`{prefix}:destructive-budget`) and the hold switch (`{prefix}:hold`),
 * shared by every replica on the prefix.
 */
export interface RedisStore extends InstanceStore, DestructiveGuardStore {
  /** The client the store uses (the caller's, or the one it opened from a URL). */
  readonly redis: Redis | Cluster;
  /** The keys of this store's namespace, including the default key of its lock. */
  readonly keys: RedisKeyLayout;
  /**
   * Applies conditional writes (see {@link InstanceStore.writeBatch}), in chunks of `writeChunkSize`,
   * one Lua script call per chunk. With a `fence`, each chunk first checks that the lock key still
   * holds the token, atomically with its writes; when it does not, the call rejects with `LOCK_LOST`
   * and that chunk and the ones after it write nothing.
   *
   * A chunk never fails halfway: it applies all of its writes (a destructive one with its audit
   * entry) or none. When the call rejects, its error tells which writes settled and which may
   * have applied: see {@link writeBatchProgress}. With a `signal`, it rejects `ABORTED` as soon as
   * the signal aborts, also while waiting for Redis.
   */
  writeBatch(writes: readonly RedisConditionalWrite[], options?: RedisWriteBatchOptions): Promise<WriteResult[]>;
  /** The audit trail, newest first (empty when the audit is off and never was on). */
  readAuditTrail(options?: ReadAuditTrailOptions): Promise<AuditEntry[]>;
  /** Quits the connection when the store opened it from a URL; leaves the caller's client open. */
  close(): Promise<void>;
}

/**
 * A store of instance records in Redis.
 *
 * Default layout: one string per record at `{prefix}:record:<id>` holding the record's JSON, and the
 * set `{prefix}:index` of every record id. Every key shares the `{prefix}` hash tag, so it works on
 * Redis Cluster. Conditional writes are Lua scripts that compare a SHA-1 of the stored text, so a
 * change by any writer is detected; reads walk the index with `SSCAN` in batches.
 *
 * Code outside this library that writes records in this layout must keep the index in step (`SET`
 * and `SADD` in one `MULTI`), or call this store's `put` and `delete`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisStore, createRedisLock } from 'novita-reconciler/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const store = createRedisStore({ redis, prefix: 'myapp:instances' });
 * const lock = createRedisLock({ store, ttlMs: 60_000 });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions = {}): RedisStore {
  checkOptionKeys<RedisStoreOptions>('createRedisStore', options, STORE_OPTION_KEYS);
  const env = options.env ?? process.env;
  const envPrefix = readEnv(env, 'REDIS_KEY_PREFIX');
  const keys = keyLayout(
    options.prefix ?? envPrefix ?? 'novita-reconciler',
    options.prefix === undefined && envPrefix !== undefined ? 'REDIS_KEY_PREFIX' : 'prefix',
  );
  const batchSize = integerOption('batchSize', options.batchSize, 500);
  const writeChunkSize = integerOption('writeChunkSize', options.writeChunkSize, 100);
  const codec = requireMethods<RedisRecordCodec>('codec', options.codec ?? jsonRecordCodec, ['encode', 'decode']);
  const foreignKeys = codec.keys;
  if (
    foreignKeys !== undefined &&
    (typeof foreignKeys !== 'object' ||
      foreignKeys === null ||
      typeof foreignKeys.key !== 'function' ||
      typeof foreignKeys.id !== 'function' ||
      typeof foreignKeys.match !== 'string' ||
      foreignKeys.match === '')
  ) {
    throw new ConfigError('codec.keys', 'must have key(id), id(key) functions and a non-empty match pattern');
  }
  const auditMaxLength = auditOption(options.audit);

  const connection = resolveConnection(options, 'options');
  const { redis, owned } = connection;
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> => callRedis(operation, run, () => connection.lastConnectionError);
  if (foreignKeys !== undefined && isClusterClient(redis)) {
    if (owned) void redis.quit().catch(() => {});
    throw new ConfigError(
      'codec.keys',
      'a custom key layout cannot run on Redis Cluster: its keys need not share one hash slot with each other, the lock and the audit stream; use the default layout (a value-only codec) on Cluster',
    );
  }
  let flavour: ScriptFlavour;
  try {
    flavour = resolveScriptFlavour(options.scripts, redis);
  } catch (error) {
    if (owned) void redis.quit().catch(() => {});
    throw error;
  }
  const scripts = recordScripts(redis, flavour);

  const useIndex = foreignKeys === undefined ? '1' : '0';
  const recordKey = foreignKeys === undefined ? keys.record : (id: string) => foreignKeys.key(id);
  // ioredis prefixes the keys of commands with the client's `keyPrefix`, but not SCAN's pattern or
  // the keys SCAN returns.
  const clientKeyPrefix = (redis.options as { keyPrefix?: string }).keyPrefix ?? '';

  function decodeStored(id: string, text: string): { ok: true; record: InstanceRecord } | { ok: false; field: string; message: string } {
    let value: unknown;
    try {
      value = codec.decode(text, id);
    } catch (error) {
      return { ok: false, field: '', message: `cannot be decoded: ${error instanceof Error ? error.message : String(error)}` };
    }
    const decoded = decodeRecord(value);
    if (!decoded.ok) return decoded;
    if (decoded.record.id !== id) {
      return {
        ok: false,
        field: 'id',
        message: `${JSON.stringify(decoded.record.id)} does not match the id of its key, ${JSON.stringify(id)}`,
      };
    }
    return decoded;
  }

  /** Reads the given ids in one script call; ids whose key is gone are left out. */
  async function readEntries(ids: readonly string[], signal?: AbortSignal): Promise<StoreEntry[]> {
    if (ids.length === 0) return [];
    const reply = await call('read', () => untilAborted(scripts.readRecords(ids.map(recordKey)), signal, 'read'));
    if (!Array.isArray(reply) || reply.length !== ids.length * 3) {
      throw new StoreUnavailableError(`Redis store: read failed: unexpected script reply for ${ids.length} keys`);
    }
    const entries: StoreEntry[] = [];
    ids.forEach((id, i) => {
      const state = reply[i * 3];
      const version = String(reply[i * 3 + 1] ?? '');
      const text = String(reply[i * 3 + 2] ?? '');
      if (state === 'v') {
        const decoded = decodeStored(id, text);
        entries.push(
          decoded.ok
            ? { id, record: decoded.record, version }
            : { id, version, invalid: `${decoded.field ? `${decoded.field}: ` : ''}${decoded.message}` },
        );
      } else if (state === 'w') {
        entries.push({ id, version: `wrongtype:${version}`, invalid: `the key holds a value that is not a string (${version})` });
      }
    });
    return entries;
  }

  async function* idPagesFromIndex(size: number, signal: AbortSignal | undefined): AsyncGenerator<string[]> {
    // SSCAN may return an id twice while the set rehashes; a record must appear once per read.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      throwIfAborted(signal);
      const [next, members] = await call('SSCAN of the index', () =>
        untilAborted(redis.sscan(keys.index, cursor, 'COUNT', size), signal, 'SSCAN of the index'),
      );
      cursor = next;
      const fresh = members.filter((id) => !seen.has(id));
      for (const id of fresh) seen.add(id);
      if (fresh.length > 0) yield fresh;
    } while (cursor !== '0');
  }

  async function* idPagesFromScan(size: number, signal: AbortSignal | undefined): AsyncGenerator<string[]> {
    const keysLayout = foreignKeys as NonNullable<typeof foreignKeys>;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      throwIfAborted(signal);
      const [next, found] = await call('SCAN', () =>
        untilAborted((redis as Redis).scan(cursor, 'MATCH', clientKeyPrefix + keysLayout.match, 'COUNT', size), signal, 'SCAN'),
      );
      cursor = next;
      const fresh: string[] = [];
      for (const key of found) {
        const id = keysLayout.id(key.startsWith(clientKeyPrefix) ? key.slice(clientKeyPrefix.length) : key);
        if (id === null || seen.has(id)) continue;
        seen.add(id);
        fresh.push(id);
      }
      if (fresh.length > 0) yield fresh;
    } while (cursor !== '0');
  }

  async function* readBatches(readOptions: ReadBatchesOptions = {}): AsyncGenerator<StoreEntry[]> {
    const size = integerOption('batchSize', readOptions.batchSize, batchSize);
    const signal = readOptions.signal;
    const pages = foreignKeys === undefined ? idPagesFromIndex(size, signal) : idPagesFromScan(size, signal);
    let pending: string[] = [];
    const flush = async function* (all: boolean): AsyncGenerator<StoreEntry[]> {
      while (pending.length >= size || (all && pending.length > 0)) {
        throwIfAborted(signal);
        const ids = pending.slice(0, size);
        pending = pending.slice(size);
        const entries = await readEntries(ids, signal);
        if (entries.length > 0) yield entries;
      }
    };
    for await (const page of pages) {
      pending.push(...page);
      yield* flush(false);
    }
    yield* flush(true);
  }

  const writeBatch = createWriteBatch({
    scripts,
    keys,
    codec,
    recordKey,
    defaultLayout: foreignKeys === undefined,
    auditMaxLength,
    writeChunkSize,
    connectionError: () => connection.lastConnectionError,
  });

  async function get(id: string): Promise<InstanceRecord | null> {
    requireId(id);
    const entries = await readEntries([id]);
    const entry = entries[0];
    if (entry === undefined) return null;
    if (entry.invalid !== undefined) throw new RecordInvalidError(id, '', entry.invalid);
    return entry.record;
  }

  async function put(record: InstanceRecord): Promise<void> {
    const valid = assertRecord(record);
    const text = codec.encode(valid);
    await call('put', () => scripts.putRecord(keys.index, recordKey(valid.id), valid.id, text, useIndex));
  }

  async function remove(id: string): Promise<boolean> {
    requireId(id);
    const existed = await call('delete', () => scripts.deleteRecord(keys.index, recordKey(id), id, useIndex));
    return Number(existed) === 1;
  }

  async function list(): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    for await (const batch of readBatches()) {
      for (const entry of batch) if (entry.invalid === undefined) records.push(entry.record);
    }
    return records;
  }

  async function count(): Promise<number> {
    if (foreignKeys === undefined) return call('SCARD of the index', () => redis.scard(keys.index));
    let total = 0;
    for await (const page of idPagesFromScan(batchSize, undefined)) total += page.length;
    return total;
  }

  async function readAuditTrail(auditOptions: ReadAuditTrailOptions = {}): Promise<AuditEntry[]> {
    checkOptionKeys('readAuditTrail', auditOptions, ['recordId', 'limit']);
    const limit = integerOption('limit', auditOptions.limit, 100);
    const entries: AuditEntry[] = [];
    let end = '+';
    for (;;) {
      const page = (await call('audit read', () => redis.xrevrange(keys.audit, end, '-', 'COUNT', 200))) as [string, string[]][];
      for (const item of page) {
        const entry = parseAuditEntry(item);
        if (entry !== null && (auditOptions.recordId === undefined || auditEntryNames(entry, auditOptions.recordId))) entries.push(entry);
        if (entries.length >= limit) return entries;
      }
      const last = page[page.length - 1];
      if (page.length < 200 || last === undefined) return entries;
      end = `(${last[0]}`;
    }
  }

  let closed = false;
  async function close(): Promise<void> {
    if (closed || !owned) return;
    closed = true;
    if (redis.status !== 'ready') {
      // QUIT would wait in the offline queue for a server that may never come back.
      redis.disconnect();
      return;
    }
    try {
      const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
      await redis.quit();
      // QUIT's reply comes before the socket closes; resolve once it has, so the caller can exit cleanly.
      await ended;
    } catch {
      // Quitting a connection that is already down must not fail the caller's shutdown.
      redis.disconnect();
    }
  }

  const guards = createDestructiveGuards({ redis, scripts, keys, auditMaxLength, call });

  return { redis, keys, get, put, delete: remove, list, count, readBatches, writeBatch, readAuditTrail, close, ...guards };
}

function requireId(id: string): void {
  if (typeof id !== 'string' || id === '') throw new ConfigError('id', 'must be a non-empty string', { received: id });
}

/** The audit stream's approximate maximum length, `0` for no audit. */
function auditOption(audit: unknown): number {
  if (audit === undefined || audit === false) return 0;
  if (audit === true) return 10_000;
  const options = checkOptionKeys<RedisAuditOptions>('createRedisStore', audit, ['maxLength'], 'audit');
  return integerOption('audit.maxLength', options.maxLength, 10_000);
}
