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

/**
 * What an entry records: a destructive write (`mark-terminated`, `remove`), a run's hold-backs by the
 * guards on destructive actions (`held-back`: one entry per real run that held any back), or the hold
 * switch set (`hold`) or released (`release`).
 */
export type AuditKind = 'mark-terminated' | 'remove' | 'held-back' | 'hold' | 'release';

/** The guard that held a record back: the liveness check, the per-run cap, the window budget, or the hold. */
export type AuditGuard = 'liveness' | 'cap' | 'window' | 'hold';

/** One entry of the audit trail. */
export interface AuditEntry {
  /** The stream entry id (`<ms>-<seq>`). */
  entryId: string;
  /** When the write was applied (ISO 8601, from the Redis server's clock). */
  at: string;
  /** What the entry records. */
  kind: AuditKind;
  /** The record's id (`` for `held-back`, `hold` and `release`, which name no one record). */
  recordId: string;
  /** The run that applied it, as passed in the write options (`` when none was given). */
  runId: string;
  /**
   * Why: the action reason passed with the write; for `held-back`, which guards held how many back (and
   * the hold's who, when and why); for `hold`, the hold's reason; for `release`, the hold released.
   */
  reason: string;
  /** The stored text of the record just before the write: its last state. */
  before: string;
  /** The version of `before`. */
  beforeVersion: string;
  /** The stored text after the write, for `mark-terminated`; `undefined` for `remove`. */
  after?: string;
  /** For `held-back`: the records held back and the guard that held each (at most 1000 listed per entry). */
  heldBack?: { recordId: string; guard: AuditGuard }[];
  /** For `hold` and `release`: who set or released the hold, as given. */
  by?: string;
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
  if (!AUDIT_KINDS.has(kind as AuditKind) || recordId === undefined) return null;
  const ms = Number(entryId.split('-')[0]);
  const after = fields.get('after');
  const heldBack = kind === 'held-back' ? parseHeldBack(fields.get('heldBack') ?? '') : undefined;
  const by = fields.get('by');
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
    ...(heldBack !== undefined ? { heldBack } : {}),
    ...((kind === 'hold' || kind === 'release') && by !== undefined ? { by } : {}),
  } as AuditEntry;
}

const AUDIT_KINDS: ReadonlySet<AuditKind> = new Set(['mark-terminated', 'remove', 'held-back', 'hold', 'release']);
const AUDIT_GUARDS: ReadonlySet<string> = new Set(['liveness', 'cap', 'window', 'hold']);

/** `<guard> <recordId>` lines (record ids may hold spaces, guards do not). */
function parseHeldBack(text: string): { recordId: string; guard: AuditGuard }[] {
  if (text === '') return [];
  return text.split('\n').flatMap((line) => {
    const space = line.indexOf(' ');
    const guard = line.slice(0, space);
    return space > 0 && AUDIT_GUARDS.has(guard) ? [{ recordId: line.slice(space + 1), guard: guard as AuditGuard }] : [];
  });
}

/** @internal Whether an entry is about a record: its own, or one a `held-back` entry lists. */
export function auditEntryNames(entry: AuditEntry, recordId: string): boolean {
  return entry.recordId === recordId || (entry.heldBack?.some((held) => held.recordId === recordId) ?? false);
}
