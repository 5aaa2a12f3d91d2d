import type { InstanceRecord } from '../core/record.js';

/**
 * Where a backend with its own key naming keeps its records. Giving one replaces the store's default
 * layout (`{prefix}:record:<id>` plus an index set): the store then finds records with `SCAN MATCH`,
 * counts them by scanning, and refuses a Redis Cluster client, because keys of the backend's naming
 * need not share one hash slot with each other, the lock or the audit stream.
 */
export interface RedisForeignKeys {
  /** The key of the record with this id, for example `(id) => \`instance:${id}\``. */
  key(id: string): string;
  /** The id a key belongs to, or `null` for a key `match` found that is not a record. */
  id(key: string): string | null;
  /** A `SCAN MATCH` pattern that finds every record key, for example `instance:*`. */
  match: string;
}

/**
 * How records are written to and read from their Redis string values. The default is the record's
 * JSON. A backend whose values have their own shape (a wrapper object, dates as epoch numbers) gives
 * a codec instead of migrating its data.
 *
 * Versions are a SHA-1 of the stored text, whatever the codec: a change by any writer is detected.
 */
export interface RedisRecordCodec {
  /** The text stored for a record. Must be deterministic: the same record always gives the same text. */
  encode(record: InstanceRecord): string;
  /**
   * The record stored as `text` (it is then checked like any record). Throw, or return something that
   * is not a record, for a value that cannot be decoded: the store reports it as invalid and the
   * reconciler leaves it alone.
   */
  decode(text: string, id: string): unknown;
  /**
   * The backend's own key naming, when it is not the store's default layout. Omit it to keep the
   * default layout (and with it Redis Cluster support and the index).
   */
  keys?: RedisForeignKeys;
}

/** The default codec: the record's JSON, as is. */
export const jsonRecordCodec: RedisRecordCodec = {
  encode: (record) => JSON.stringify(record),
  decode: (text) => JSON.parse(text) as unknown,
};
