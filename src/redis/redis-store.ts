import type { Cluster, Redis } from 'ioredis';
import { assertRecord, decodeRecord, type InstanceRecord } from '../core/record.js';
import type {
  ConditionalDelete,
  ConditionalPut,
  InstanceStore,
  ReadBatchesOptions,
  StoreEntry,
  WriteBatchOptions,
  WriteOutcome,
  WriteResult,
} from '../core/store.js';
import { ConfigError, LockLostError, RecordInvalidError, throwIfAborted } from '../errors.js';
import { parseAuditEntry, type AuditEntry, type ReadAuditTrailOptions, type RedisAuditOptions } from './audit-trail.js';
import { jsonRecordCodec, type RedisRecordCodec } from './codec.js';
import { isClusterClient, resolveConnection, type RedisConnectionOptions } from './connection.js';
import { hashTagOf, keyLayout, type RedisKeyLayout } from './keys.js';
import { defineScripts } from './scripts.js';
import { callRedis } from './store-unavailable.js';

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
   * Keep an audit trail of the destructive writes the reconciler applies (mark terminated, remove)
   * in a capped stream `{prefix}:audit`. `true` uses the default options.
   * @default false
   */
  audit?: boolean | RedisAuditOptions;
}

/**
 * A conditional write with an optional reason for the audit trail. The reconciler passes the reason
 * of a destructive action (for example `instance absent from the Novita listing`) with its write.
 */
export type RedisConditionalWrite = (ConditionalPut | ConditionalDelete) & {
  /** Why this write is made, recorded in the audit trail when the write is destructive. */
  reason?: string;
};

/** Options of {@link RedisStore.writeBatch}. */
export interface RedisWriteBatchOptions extends WriteBatchOptions {
  /** The run that makes these writes, recorded in the audit trail. */
  runId?: string;
}

/** The Redis implementation of {@link InstanceStore}, from {@link createRedisStore}. */
export interface RedisStore extends InstanceStore {
  /** The client the store uses (the caller's, or the one it opened from a URL). */
  readonly redis: Redis | Cluster;
  /** The keys of this store's namespace, including the default key of its lock. */
  readonly keys: RedisKeyLayout;
  /**
   * Applies conditional writes (see {@link InstanceStore.writeBatch}), in chunks of `writeChunkSize`,
   * one Lua script call per chunk. With a `fence`, each chunk first checks that the lock key still
   * holds the token, atomically with its writes; when it does not, the call rejects with `LOCK_LOST`
   * and that chunk and the ones after it write nothing.
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
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', 'must be an object', { received: options });
  }
  const env = options.env ?? process.env;
  const keys = keyLayout(options.prefix ?? env.REDIS_KEY_PREFIX ?? 'novita-reconciler', options.prefix !== undefined || env.REDIS_KEY_PREFIX === undefined ? 'prefix' : 'REDIS_KEY_PREFIX');
  const batchSize = positiveInteger(options.batchSize, 500, 'batchSize');
  const writeChunkSize = positiveInteger(options.writeChunkSize, 100, 'writeChunkSize');
  const codec = options.codec ?? jsonRecordCodec;
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new ConfigError('codec', 'must have encode(record) and decode(text, id) functions');
  }
  const foreignKeys = codec.keys;
  if (foreignKeys !== undefined && (typeof foreignKeys.key !== 'function' || typeof foreignKeys.id !== 'function' || typeof foreignKeys.match !== 'string' || foreignKeys.match === '')) {
    throw new ConfigError('codec.keys', 'must have key(id), id(key) functions and a non-empty match pattern');
  }
  const auditMaxLength = options.audit === undefined || options.audit === false ? 0 : positiveInteger(options.audit === true ? undefined : options.audit.maxLength, 10_000, 'audit.maxLength');

  const connection = resolveConnection(options, 'options');
  const { redis, owned } = connection;
  const call = <T>(operation: string, run: () => Promise<T>): Promise<T> => callRedis(operation, run, () => connection.lastConnectionError);
  if (foreignKeys !== undefined && isClusterClient(redis)) {
    if (owned) void redis.quit().catch(() => {});
    throw new ConfigError('codec.keys', 'a custom key layout cannot run on Redis Cluster: its keys need not share one hash slot with each other, the lock and the audit stream; use the default layout (a value-only codec) on Cluster');
  }
  defineScripts(redis);

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
      return { ok: false, field: 'id', message: `${JSON.stringify(decoded.record.id)} does not match the id of its key, ${JSON.stringify(id)}` };
    }
    return decoded;
  }

  /** Reads the given ids in one script call; ids whose key is gone are left out. */
  async function readEntries(ids: readonly string[]): Promise<StoreEntry[]> {
    if (ids.length === 0) return [];
    const reply = await call('read', () => redis.novitaReconcilerReadRecords(ids.length, ...ids.map(recordKey)));
    const entries: StoreEntry[] = [];
    ids.forEach((id, i) => {
      const state = reply[i * 3];
      const version = reply[i * 3 + 1] ?? '';
      const text = reply[i * 3 + 2] ?? '';
      if (state === 'v') {
        const decoded = decodeStored(id, text);
        entries.push(decoded.ok ? { id, record: decoded.record, version } : { id, version, invalid: `${decoded.field ? `${decoded.field}: ` : ''}${decoded.message}` });
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
      const [next, members] = await call('SSCAN of the index', () => redis.sscan(keys.index, cursor, 'COUNT', size));
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
      const [next, found] = await call('SCAN', () => (redis as Redis).scan(cursor, 'MATCH', clientKeyPrefix + keysLayout.match, 'COUNT', size));
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
    const size = positiveInteger(readOptions.batchSize, batchSize, 'batchSize');
    const pages = foreignKeys === undefined ? idPagesFromIndex(size, readOptions.signal) : idPagesFromScan(size, readOptions.signal);
    let pending: string[] = [];
    const flush = async function* (all: boolean): AsyncGenerator<StoreEntry[]> {
      while (pending.length >= size || (all && pending.length > 0)) {
        throwIfAborted(readOptions.signal);
        const ids = pending.slice(0, size);
        pending = pending.slice(size);
        const entries = await readEntries(ids);
        if (entries.length > 0) yield entries;
      }
    };
    for await (const page of pages) {
      pending.push(...page);
      yield* flush(false);
    }
    yield* flush(true);
  }

  async function writeBatch(writes: readonly RedisConditionalWrite[], writeOptions: RedisWriteBatchOptions = {}): Promise<WriteResult[]> {
    throwIfAborted(writeOptions.signal);
    const fence = writeOptions.fence;
    if (fence !== undefined) {
      if (typeof fence.key !== 'string' || typeof fence.token !== 'string' || fence.token === '') {
        throw new ConfigError('fence', 'must have a key and a non-empty token', { received: fence });
      }
      // The fence is read inside the write script, so on Cluster it must live in the store's slot.
      if (foreignKeys === undefined && hashTagOf(fence.key) !== keys.prefix) {
        throw new ConfigError('fence.key', `must be in the store's hash slot, under ${keys.hashTag}: create the lock with the store (createRedisLock({ store })) or its prefix`, { received: fence.key });
      }
    }
    const prepared = writes.map((write, index) => prepareWrite(write, index));
    const runId = writeOptions.runId ?? '';
    if (typeof runId !== 'string') throw new ConfigError('runId', 'must be a string', { received: runId });
    const results: WriteResult[] = [];
    for (let start = 0; start < prepared.length; start += writeChunkSize) {
      throwIfAborted(writeOptions.signal);
      const chunk = prepared.slice(start, start + writeChunkSize);
      const args: (string | number)[] = [keys.index, fence?.key ?? keys.index, keys.audit, ...chunk.map((write) => recordKey(write.id))];
      args.push(fence?.token ?? '', auditMaxLength, runId, useIndex);
      for (const write of chunk) args.push(write.op, write.id, write.expectedVersion, write.text, write.terminating, write.reason);
      const reply = await call('conditional write', () => redis.novitaReconcilerApplyWrites(3 + chunk.length, ...args));
      if (reply[0] === 'fenced') {
        throw new LockLostError(`the sync lock ${fence?.key ?? ''} is no longer held by this run, so the store refused its writes (${results.length} of ${writes.length} had been applied before)`);
      }
      chunk.forEach((write, i) => {
        const outcome = reply[1 + i * 2] as WriteOutcome;
        const version = reply[2 + i * 2] ?? '';
        results.push(outcome === 'ok' && write.op === 'put' ? { id: write.id, outcome, version } : { id: write.id, outcome });
      });
    }
    return results;
  }

  function prepareWrite(write: RedisConditionalWrite, index: number) {
    const field = `writes[${index}]`;
    if (typeof write !== 'object' || write === null || (write.op !== 'put' && write.op !== 'delete')) {
      throw new ConfigError(`${field}.op`, 'must be "put" or "delete"', { received: (write as { op?: unknown } | null)?.op });
    }
    if (typeof write.id !== 'string' || write.id === '') throw new ConfigError(`${field}.id`, 'must be a non-empty string', { received: write.id });
    const reason = write.reason ?? '';
    if (write.op === 'delete') {
      if (typeof write.expectedVersion !== 'string' || write.expectedVersion === '') {
        throw new ConfigError(`${field}.expectedVersion`, 'must be the version read', { received: write.expectedVersion });
      }
      return { op: 'delete', id: write.id, expectedVersion: write.expectedVersion, text: '', terminating: '0', reason };
    }
    if (write.expectedVersion !== null && (typeof write.expectedVersion !== 'string' || write.expectedVersion === '')) {
      throw new ConfigError(`${field}.expectedVersion`, 'must be the version read, or null to create', { received: write.expectedVersion });
    }
    const record = assertRecord(write.record);
    if (record.id !== write.id) throw new RecordInvalidError(record.id, 'id', `does not match the write's id ${JSON.stringify(write.id)}`);
    return { op: 'put', id: write.id, expectedVersion: write.expectedVersion ?? '', text: codec.encode(record), terminating: record.status === 'terminated' ? '1' : '0', reason };
  }

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
    await call('put', () => redis.novitaReconcilerPutRecord(keys.index, recordKey(valid.id), valid.id, text, useIndex));
  }

  async function remove(id: string): Promise<boolean> {
    requireId(id);
    const existed = await call('delete', () => redis.novitaReconcilerDeleteRecord(keys.index, recordKey(id), id, useIndex));
    return existed === 1;
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
    const limit = positiveInteger(auditOptions.limit, 100, 'limit');
    const entries: AuditEntry[] = [];
    let end = '+';
    for (;;) {
      const page = (await call('audit read', () => redis.xrevrange(keys.audit, end, '-', 'COUNT', 200))) as [string, string[]][];
      for (const item of page) {
        const entry = parseAuditEntry(item);
        if (entry !== null && (auditOptions.recordId === undefined || entry.recordId === auditOptions.recordId)) entries.push(entry);
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

  return { redis, keys, get, put, delete: remove, list, count, readBatches, writeBatch, readAuditTrail, close };
}

function requireId(id: string): void {
  if (typeof id !== 'string' || id === '') throw new ConfigError('id', 'must be a non-empty string', { received: id });
}

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(field, 'must be a positive integer', { received: value });
  return value;
}
