import { z } from 'zod';
import { RecordInvalidError } from '../errors.js';

/**
 * The timestamps the library reads and writes on a record. All are ISO 8601 strings. Other keys the
 * backend keeps in `timestamps` are left as they are.
 */
export interface RecordTimestamps {
  /** When the record was made. Drives the creation grace period. */
  created?: string;
  /** When the reconciler marked the record terminated (or first saw it terminated without one). Never moved once set. */
  terminated?: string;
  /** From Novita's `lastStartedAt`, when Novita gave one. */
  started?: string;
  /** From Novita's `lastStoppedAt`, when Novita gave one. */
  stopped?: string;
  /** Set on every write the reconciler makes. */
  updated?: string;
  /**
   * Owned by the library: when it first saw a record whose `created` is missing or unreadable. Written once, by a
   * real run (never by a dry run), never into `created`; the record's age counts from it.
   */
  firstSeen?: string;
  /**
   * Owned by the library: when the record's current `novitaStatus` was first seen. Written in the same
   * write as a refresh that changes `novitaStatus`, and once (action `stampStatusSince`, never by a dry
   * run) for a record matched to a listed instance that lacks it. A record whose Novita status stays
   * transitional longer than `policy.stuckAfterMinutes` after it is reported as stuck.
   */
  novitaStatusSince?: string;
  [key: string]: unknown;
}

/** What proved an instance gone when its record was terminated; see {@link InstanceRecord.terminationProof}. */
export interface TerminationProof {
  /**
   * `novita-not-found`: Novita's documented HTTP 400 `RESOURCE_NOT_FOUND`; `novita-deleting`: Novita
   * listed or returned the instance as `toRemove`/`removing`/`removed`.
   */
  by: 'novita-not-found' | 'novita-deleting';
  /** The instance the proof is about: it holds only while the record still names this instance. */
  novitaInstanceId: string;
}

/** Whether the record carries a proof, written by the library, that the instance it names is gone. */
export function hasTerminationProof(record: InstanceRecord): boolean {
  const proof = record.terminationProof;
  return (
    typeof proof === 'object' &&
    proof !== null &&
    (proof.by === 'novita-not-found' || proof.by === 'novita-deleting') &&
    typeof record.novitaInstanceId === 'string' &&
    proof.novitaInstanceId === record.novitaInstanceId
  );
}

/**
 * A backend's record of one Novita GPU instance. The library owns only the fields declared here and
 * leaves every other field exactly as it found it.
 */
export interface InstanceRecord {
  /** The backend's own id for the record. */
  id: string;
  /** Novita's instance id; absent until Novita assigned one. */
  novitaInstanceId?: string;
  /** The local status, for example `running`, `stopped`, `terminated` (see the status map). */
  status: string;
  /** The raw Novita status last seen. */
  novitaStatus?: string;
  /** Timestamps the library reads and writes. */
  timestamps?: RecordTimestamps;
  /** Why the reconciler terminated the record, when it did. */
  terminationReason?: string;
  /**
   * Owned by the library: what proved the instance gone when the reconciler terminated the record, and
   * which instance it was. Absent when the termination rested on absence from the listing alone
   * (`confirmObsolete: false`), or was made by the app or an older version. Retention removes a record
   * whose proof names the instance it still names without asking Novita again (Novita does not reuse
   * instance ids); any other terminated record is confirmed first.
   */
  terminationProof?: TerminationProof;
  /** Every other field belongs to the backend and is never touched. */
  [key: string]: unknown;
}

const isoString = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date string');

const recordSchema = z
  .object({
    id: z.string().min(1, 'must be a non-empty string'),
    novitaInstanceId: z.string().min(1, 'must be a non-empty string').optional(),
    status: z.string(),
    novitaStatus: z.string().optional(),
    timestamps: z
      .object({
        created: isoString.optional(),
        terminated: isoString.optional(),
        started: isoString.optional(),
        stopped: isoString.optional(),
        updated: isoString.optional(),
        firstSeen: isoString.optional(),
        novitaStatusSince: isoString.optional(),
      })
      .loose()
      .optional(),
    terminationReason: z.string().optional(),
    terminationProof: z
      .object({ by: z.enum(['novita-not-found', 'novita-deleting']), novitaInstanceId: z.string().min(1) })
      .loose()
      .optional(),
  })
  .loose();

/** The outcome of decoding a stored value: a record, or why it is not one. */
export type DecodeResult = { ok: true; record: InstanceRecord } | { ok: false; field: string; message: string };

/**
 * Checks that `value` is a valid {@link InstanceRecord} (the fields the library owns have the right
 * types). Other fields are kept untouched.
 */
export function decodeRecord(value: unknown): DecodeResult {
  const parsed = recordSchema.safeParse(value);
  if (parsed.success) return { ok: true, record: value as InstanceRecord };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    field: issue ? issue.path.map(String).join('.') : '',
    message: issue ? issue.message : 'invalid record',
  };
}

/** Like {@link decodeRecord} but throws {@link RecordInvalidError} naming the field. */
export function assertRecord(value: unknown): InstanceRecord {
  const result = decodeRecord(value);
  if (result.ok) return result.record;
  const id =
    typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
      ? (value as { id: string }).id
      : undefined;
  throw new RecordInvalidError(id, result.field, result.message);
}

/** A deep copy through JSON, the form in which every store keeps a record. */
export function cloneRecord<T>(record: T): T {
  return JSON.parse(JSON.stringify(record)) as T;
}
