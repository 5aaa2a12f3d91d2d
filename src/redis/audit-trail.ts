/**
 * The opt-in audit trail: one entry per destructive write the store applied for the reconciler,
 * appended in the same Lua script as the write, so an entry exists exactly when the write landed.
 * Kept in a capped stream (`XADD ... MAXLEN ~`) under the store's prefix: `{prefix}:audit`.
 */

/** Options of the audit trail. */
export interface RedisAuditOptions {
  /**
   * About how many entries the stream keeps; older ones are trimmed (`MAXLEN ~`, so Redis may keep a
   * few more while it trims whole nodes).
   * @default 10_000
   */
  maxLength?: number;
}

/** What a destructive write did: marked a record terminated, or removed it. */
export type AuditKind = 'mark-terminated' | 'remove';

/** One entry of the audit trail. */
export interface AuditEntry {
  /** The stream entry id (`<ms>-<seq>`). */
  entryId: string;
  /** When the write was applied (ISO 8601, from the Redis server's clock). */
  at: string;
  /** What the write did. */
  kind: AuditKind;
  /** The record's id. */
  recordId: string;
  /** The run that applied it, as passed in the write options (`` when none was given). */
  runId: string;
  /** Why, as passed with the write (`` when none was given). */
  reason: string;
  /** The stored text of the record just before the write: its last state. */
  before: string;
  /** The version of `before`. */
  beforeVersion: string;
  /** The stored text after the write, for `mark-terminated`; `undefined` for `remove`. */
  after?: string;
}

/** Options of reading the audit trail. */
export interface ReadAuditTrailOptions {
  /** Only entries about this record. */
  recordId?: string;
  /** At most this many entries, newest first. @default 100 */
  limit?: number;
}

/** @internal Turns one `XREVRANGE` item into an entry; `null` for an item this package did not write. */
export function parseAuditEntry(item: [string, string[]]): AuditEntry | null {
  const [entryId, flat] = item;
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  const kind = fields.get('kind');
  const recordId = fields.get('id');
  if ((kind !== 'mark-terminated' && kind !== 'remove') || recordId === undefined) return null;
  const ms = Number(entryId.split('-')[0]);
  const after = fields.get('after');
  return {
    entryId,
    at: new Date(Number.isFinite(ms) ? ms : 0).toISOString(),
    kind,
    recordId,
    runId: fields.get('runId') ?? '',
    reason: fields.get('reason') ?? '',
    before: fields.get('record') ?? '',
    beforeVersion: fields.get('version') ?? '',
    ...(kind === 'mark-terminated' && after !== undefined ? { after } : {}),
  };
}
