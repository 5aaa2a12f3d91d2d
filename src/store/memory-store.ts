import { assertRecord, decodeRecord, type InstanceRecord } from '../core/record.js';
import type {
  ConditionalWrite,
  DestructiveGuardStore,
  DestructiveHold,
  DestructiveReservation,
  InstanceStore,
  ReadBatchesOptions,
  StoreEntry,
  WriteBatchOptions,
  WriteResult,
} from '../core/ports/store.js';
import { ConfigError, RecordInvalidError, throwIfAborted } from '../errors.js';
import { checkOptionKeys } from '../options.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Records the store starts with. Each is validated; an invalid one throws `RECORD_INVALID`. */
  records?: readonly InstanceRecord[];
}

/**
 * An in-process {@link InstanceStore}: the embedded default and the store for tests. It keeps JSON
 * copies, versions every stored value and applies conditional writes atomically (JavaScript runs one
 * write at a time), so it behaves like the Redis store except that it lives and dies with the process.
 */
export interface MemoryStore extends InstanceStore, DestructiveGuardStore {
  /**
   * Replaces the stored text of a record without any check, as code that bypasses this library would.
   * For tests: it bumps the version like any change, and the text need not be a valid record.
   */
  writeRaw(id: string, text: string): void;
  /** Deletes a stored record without any check, as foreign code would. For tests. */
  deleteRaw(id: string): void;
}

interface Slot {
  text: string;
  version: string;
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * Creates an in-memory store.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ records: [{ id: 'a', novitaInstanceId: '3560b7fec915bbf9', status: 'running' }] });
 * ```
 */
export function createMemoryStore(input: MemoryStoreOptions = {}): MemoryStore {
  const options = checkOptionKeys<MemoryStoreOptions>('createMemoryStore', input, ['records']);
  if (options.records !== undefined && !Array.isArray(options.records))
    throw new ConfigError('records', 'must be an array of records', { received: options.records });
  const slots = new Map<string, Slot>();
  let clock = 0;
  const nextVersion = (): string => `m${((clock += 1)).toString(36)}`;
  const setText = (id: string, text: string): string => {
    const version = nextVersion();
    slots.set(id, { text, version });
    return version;
  };

  /** Reservations after `since` (ms): a reservation stamped later than the caller's now (another clock) counts too. */
  function usedSince(since: number): number {
    let used = 0;
    for (const at of reservations.values()) if (at > since) used += 1;
    return used;
  }

  for (const record of options.records ?? []) {
    const valid = assertRecord(record);
    setText(valid.id, JSON.stringify(valid));
  }

  const decodeSlot = (id: string, slot: Slot): StoreEntry => {
    let value: unknown;
    try {
      value = JSON.parse(slot.text);
    } catch (error) {
      return { id, version: slot.version, invalid: `not JSON: ${(error as Error).message}` };
    }
    const decoded = decodeRecord(value);
    if (!decoded.ok) return { id, version: slot.version, invalid: `${decoded.field || '(root)'}: ${decoded.message}` };
    if (decoded.record.id !== id)
      return {
        id,
        version: slot.version,
        invalid: `id: stored under ${JSON.stringify(id)} but names ${JSON.stringify(decoded.record.id)}`,
      };
    return { id, version: slot.version, record: decoded.record };
  };

  // The destructive guards, in this process: the window's reservations (`runId` and record id -> the
  // reconciler's time in ms) and the hold.
  const reservations = new Map<string, number>();
  let hold: DestructiveHold | null = null;
  const reservationKey = (runId: string, id: string): string => JSON.stringify([runId, id]);

  const store: MemoryStore = {
    async get(id) {
      const slot = slots.get(id);
      if (!slot) return null;
      const entry = decodeSlot(id, slot);
      if (entry.invalid !== undefined) throw new RecordInvalidError(id, '', entry.invalid);
      return entry.record;
    },

    async put(record) {
      const valid = assertRecord(record);
      setText(valid.id, JSON.stringify(valid));
    },

    async delete(id) {
      return slots.delete(id);
    },

    async list() {
      const records: InstanceRecord[] = [];
      for (const [id, slot] of slots) {
        const entry = decodeSlot(id, slot);
        if (entry.record) records.push(entry.record);
      }
      return records;
    },

    async count() {
      return slots.size;
    },

    async *readBatches(readOptions: ReadBatchesOptions = {}) {
      const batchSize = readOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new ConfigError('batchSize', 'must be a positive integer', { received: batchSize });
      }
      // Snapshot the ids so writes made while the caller iterates neither skip nor repeat a record.
      const ids = [...slots.keys()];
      for (let start = 0; start < ids.length; start += batchSize) {
        throwIfAborted(readOptions.signal);
        const batch: StoreEntry[] = [];
        for (const id of ids.slice(start, start + batchSize)) {
          const slot = slots.get(id);
          if (slot) batch.push(decodeSlot(id, slot));
        }
        yield batch;
      }
    },

    async writeBatch(writes: readonly ConditionalWrite[], writeOptions: WriteBatchOptions = {}) {
      throwIfAborted(writeOptions.signal);
      // Validate the whole batch before touching anything, so a bad record never half-applies a batch.
      const texts = writes.map((write) => (write.op === 'put' ? JSON.stringify(assertRecord(write.record)) : undefined));
      for (const write of writes) {
        if (write.op === 'put' && write.record.id !== write.id) {
          throw new RecordInvalidError(
            write.id,
            'id',
            `put for ${JSON.stringify(write.id)} carries a record with id ${JSON.stringify(write.record.id)}`,
          );
        }
      }
      return writes.map((write, index): WriteResult => {
        const slot = slots.get(write.id);
        if (write.op === 'put') {
          if (write.expectedVersion === null) {
            if (slot) return { id: write.id, outcome: 'conflict' };
          } else if (!slot) {
            return { id: write.id, outcome: 'missing' };
          } else if (slot.version !== write.expectedVersion) {
            return { id: write.id, outcome: 'conflict' };
          }
          return { id: write.id, outcome: 'ok', version: setText(write.id, texts[index] as string) };
        }
        if (!slot) return { id: write.id, outcome: 'missing' };
        if (slot.version !== write.expectedVersion) return { id: write.id, outcome: 'conflict' };
        slots.delete(write.id);
        return { id: write.id, outcome: 'ok' };
      });
    },

    async reserveDestructive(request, callOptions = {}): Promise<DestructiveReservation> {
      throwIfAborted(callOptions.signal);
      const { ids, budget, reserve } = request;
      const now = request.now.getTime();
      if (hold !== null) return { hold: { ...hold }, usedBefore: budget ? usedSince(now - budget.windowMs) : 0, granted: 0 };
      if (!budget) return { hold: null, usedBefore: 0, granted: ids.length };
      // Reservations stay a while after they leave this caller's window (as on Redis): a caller whose
      // clock runs behind, or whose policy has a longer window, still counts them.
      const horizon = now - Math.max(2 * budget.windowMs, 86_400_000);
      if (reserve) for (const [key, at] of reservations) if (at < horizon) reservations.delete(key);
      const usedBefore = usedSince(now - budget.windowMs);
      const granted = Math.max(0, Math.min(ids.length, budget.max - usedBefore));
      if (reserve) for (const id of ids.slice(0, granted)) reservations.set(reservationKey(request.runId, id), now);
      return { hold: null, usedBefore, granted };
    },

    async releaseDestructive(release, callOptions = {}) {
      throwIfAborted(callOptions.signal);
      for (const id of release.ids) reservations.delete(reservationKey(release.runId, id));
    },

    async readHold() {
      return hold === null ? null : { ...hold };
    },

    async setHold(next) {
      hold = { reason: String(next.reason ?? ''), by: String(next.by ?? ''), at: String(next.at) };
    },

    async clearHold() {
      const was = hold;
      hold = null;
      return was;
    },

    writeRaw(id, text) {
      setText(id, text);
    },

    deleteRaw(id) {
      slots.delete(id);
    },
  };
  return store;
}
