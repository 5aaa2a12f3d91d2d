import { assertRecord } from '../core/record.js';
import type { ConditionalDelete, ConditionalPut, WriteBatchOptions, WriteOutcome, WriteResult } from '../core/ports/store.js';
import { AbortedError, ConfigError, LockLostError, RecordInvalidError, StoreUnavailableError, throwIfAborted } from '../errors.js';
import { untilAborted } from './abortable.js';
import type { RedisRecordCodec } from './codec.js';
import { hashTagOf, type RedisKeyLayout } from './keys.js';
import type { RecordScripts } from './scripts.js';
import { toStoreUnavailable } from './call-redis.js';

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

/** What one write becomes in the script's arguments. */
interface PreparedWrite {
  op: 'put' | 'delete';
  id: string;
  expectedVersion: string;
  text: string;
  /** `1` when the planner marked the write destructive (a delete always is): the script audits it. */
  destructive: '0' | '1';
  reason: string;
}

export type { WriteBatchProgress } from '../core/ports/store.js';
export { writeBatchProgress } from '../core/ports/store.js';

/** @internal What the write batch needs of its store. */
export interface WriteBatchContext {
  scripts: RecordScripts;
  keys: RedisKeyLayout;
  codec: RedisRecordCodec;
  recordKey(id: string): string;
  /** Whether the layout is the store's own (with an index), not a foreign one. */
  defaultLayout: boolean;
  auditMaxLength: number;
  writeChunkSize: number;
  connectionError(): Error | undefined;
}

// Replies with which Redis refuses a script before it runs, so nothing of it was applied.
const REFUSED_BEFORE_RUNNING =
  /^(OOM|READONLY|NOSCRIPT|BUSY|NOPERM|NOAUTH|WRONGPASS|CROSSSLOT|CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|NOREPLICAS|MISCONF|MOVED|ASK)\b/;

/** @internal The store's `writeBatch`: chunks of conditional writes, one script call each. */
export function createWriteBatch(context: WriteBatchContext) {
  const { scripts, keys, codec, recordKey, auditMaxLength, writeChunkSize } = context;
  const useIndex = context.defaultLayout ? '1' : '0';

  function withProgress<E extends Error>(error: E, writeResults: readonly WriteResult[], writesInDoubt: number): E {
    return Object.assign(error, { writeResults: [...writeResults], writesInDoubt });
  }

  return async function writeBatch(writes: readonly RedisConditionalWrite[], options: RedisWriteBatchOptions = {}): Promise<WriteResult[]> {
    throwIfAborted(options.signal);
    const fence = options.fence;
    if (fence !== undefined) {
      if (typeof fence.key !== 'string' || typeof fence.token !== 'string' || fence.token === '') {
        throw new ConfigError('fence', 'must have a key and a non-empty token', { received: fence });
      }
      // The fence is read inside the write script, so on Cluster it must live in the store's slot.
      if (context.defaultLayout && hashTagOf(fence.key) !== keys.prefix) {
        throw new ConfigError(
          'fence.key',
          `must be in the store's hash slot, under ${keys.hashTag}: create the lock with the store (createRedisLock({ store })) or its prefix`,
          { received: fence.key },
        );
      }
    }
    const prepared = writes.map((write, index) => prepareWrite(write, index));
    const runId = options.runId ?? '';
    if (typeof runId !== 'string') throw new ConfigError('runId', 'must be a string', { received: runId });
    const results: WriteResult[] = [];
    for (let start = 0; start < prepared.length; start += writeChunkSize) {
      if (options.signal?.aborted) throw withProgress(new AbortedError(undefined, { cause: options.signal.reason }), results, 0);
      const chunk = prepared.slice(start, start + writeChunkSize);
      const scriptKeys = [keys.index, fence?.key ?? keys.index, keys.audit, ...chunk.map((write) => recordKey(write.id))];
      const args: (string | number)[] = [fence?.token ?? '', auditMaxLength, runId, useIndex];
      for (const write of chunk) args.push(write.op, write.id, write.expectedVersion, write.text, write.destructive, write.reason);
      let reply: unknown;
      try {
        reply = await untilAborted(scripts.applyWrites(scriptKeys, args), options.signal, 'conditional write');
      } catch (error) {
        if (error instanceof ConfigError) throw withProgress(error, results, 0);
        const refused = error instanceof Error && error.name === 'ReplyError' && REFUSED_BEFORE_RUNNING.test(error.message);
        throw withProgress(toStoreUnavailable('conditional write', error, context.connectionError()), results, refused ? 0 : chunk.length);
      }
      const items = Array.isArray(reply) ? (reply as unknown[]).map((item) => (typeof item === 'string' ? item : String(item))) : [];
      const status = items[0];
      if (status === 'fenced') {
        throw withProgress(
          new LockLostError(
            `the sync lock ${fence?.key ?? ''} is no longer held by this run, so the store refused its writes (${results.length} of ${writes.length} had been settled before)`,
          ),
          results,
          0,
        );
      }
      if (status === 'applied') {
        collect(chunk, items.slice(1), results);
        continue;
      }
      if (status === 'failed') {
        const message = items[1] ?? 'unknown error';
        const undoFailed = items[2] === '1';
        throw withProgress(
          new StoreUnavailableError(
            `Redis store: conditional write failed: ${message} (${undoFailed ? `undoing its chunk failed too, so some of its ${chunk.length} writes may be applied` : `its chunk of ${chunk.length} writes wrote nothing`}; ${results.length} of ${writes.length} writes settled before it)`,
            { cause: new Error(message) },
          ),
          results,
          undoFailed ? chunk.length : 0,
        );
      }
      throw withProgress(
        new StoreUnavailableError(`Redis store: conditional write failed: unexpected script reply ${JSON.stringify(reply)}`),
        results,
        chunk.length,
      );
    }
    return results;
  };

  function collect(chunk: readonly PreparedWrite[], items: readonly string[], results: WriteResult[]): void {
    chunk.forEach((write, i) => {
      const outcome = items[i * 2] as WriteOutcome;
      const version = items[i * 2 + 1] ?? '';
      results.push(outcome === 'ok' && write.op === 'put' ? { id: write.id, outcome, version } : { id: write.id, outcome });
    });
  }

  function prepareWrite(write: RedisConditionalWrite, index: number): PreparedWrite {
    const field = `writes[${index}]`;
    if (typeof write !== 'object' || write === null || (write.op !== 'put' && write.op !== 'delete')) {
      throw new ConfigError(`${field}.op`, 'must be "put" or "delete"', { received: (write as { op?: unknown } | null)?.op });
    }
    if (typeof write.id !== 'string' || write.id === '')
      throw new ConfigError(`${field}.id`, 'must be a non-empty string', { received: write.id });
    const reason = write.reason ?? '';
    if (typeof reason !== 'string') throw new ConfigError(`${field}.reason`, 'must be a string', { received: reason });
    if (write.op === 'delete') {
      if (typeof write.expectedVersion !== 'string' || write.expectedVersion === '') {
        throw new ConfigError(`${field}.expectedVersion`, 'must be the version read', { received: write.expectedVersion });
      }
      return { op: 'delete', id: write.id, expectedVersion: write.expectedVersion, text: '', destructive: '1', reason };
    }
    if (write.expectedVersion !== null && (typeof write.expectedVersion !== 'string' || write.expectedVersion === '')) {
      throw new ConfigError(`${field}.expectedVersion`, 'must be the version read, or null to create', { received: write.expectedVersion });
    }
    const record = assertRecord(write.record);
    if (record.id !== write.id) throw new RecordInvalidError(record.id, 'id', `does not match the write's id ${JSON.stringify(write.id)}`);
    return {
      op: 'put',
      id: write.id,
      expectedVersion: write.expectedVersion ?? '',
      text: codec.encode(record),
      destructive: write.destructive === true ? '1' : '0',
      reason,
    };
  }
}
