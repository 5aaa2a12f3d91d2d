/**
 * What `doctor --capture` saves of a real Novita answer, so that the project's tests can load it: every
 * key kept (an unknown key is the evidence of how Novita really answers), the values the client keeps
 * (its allowlist) kept too, every other value replaced by its JSON type (`"<string>"`, `"<number>"`,
 * ...), credentials in URLs redacted, ids and names hashed (the same id hashes alike everywhere, inside
 * other strings too, so a capture stays consistent).
 */
import { createHash } from 'node:crypto';
import { redactUrlSecrets, scrubSecrets } from './redact.js';
import { V1_ERROR_FIELDS, V1_INSTANCE_FIELDS, V1_LIST_PAGE_FIELDS } from './v1-schemas.js';

/** One answer as captured. */
export interface CapturedAnswer {
  /** What was asked, for example `GET /gpu/instances?pageSize=100&pageNum=1`. */
  request: string;
  /** The HTTP status (0 when no answer came). */
  status: number;
  /** The answer's `content-type`. */
  contentType: string | null;
  /** The body, sanitized; a body that is not JSON is kept as `{ "text": ... }`, cut to 2,000 characters. */
  body: unknown;
}

/** The JSON type a replaced value had. */
function typeOf(value: unknown): string {
  if (value === null) return '<null>';
  if (Array.isArray(value)) return '<array>';
  return `<${typeof value}>`;
}

/** A stable stand-in for an id: 16 hex characters, like Novita's own ids. */
export function hashId(id: string): string {
  return createHash('sha256').update(`novita-reconciler capture ${id}`).digest('hex').slice(0, 16);
}

const HASHED_KEYS: ReadonlySet<string> = new Set(['id', 'instanceId', 'name', 'clusterName', 'imageAuthId']);

interface Sanitizer {
  /** Replaces every known id inside a string by its hash, and redacts URL credentials. */
  text(value: string): string;
  hashed(key: string, value: unknown): unknown;
}

function createSanitizer(body: unknown, secrets: readonly string[]): Sanitizer {
  // Every id and name anywhere in the body, longest first, so one that contains another is replaced whole.
  const known = new Set<string>();
  const collect = (value: unknown, depth: number): void => {
    if (depth > 12 || typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (HASHED_KEYS.has(key) && typeof inner === 'string' && inner.length >= 4) known.add(inner);
      collect(inner, depth + 1);
    }
  };
  collect(body, 0);
  const ordered = [...known].sort((a, b) => b.length - a.length);
  const text = (value: string): string => {
    let result = redactUrlSecrets(scrubSecrets(value, secrets));
    for (const id of ordered) if (result.includes(id)) result = result.split(id).join(hashId(id));
    return result;
  };
  return {
    text,
    hashed: (key, value) => (HASHED_KEYS.has(key) && typeof value === 'string' && value !== '' ? hashId(value) : undefined),
  };
}

/** A kept value: strings cleaned, structures walked with `fields` as their allowlist (`null`: kept whole). */
function keep(value: unknown, fields: readonly string[] | null, sanitizer: Sanitizer, depth: number): unknown {
  if (typeof value === 'string') return sanitizer.text(value);
  if (typeof value !== 'object' || value === null || depth > 12) return value;
  if (Array.isArray(value)) return value.map((item) => keep(item, fields, sanitizer, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const hashed = sanitizer.hashed(key, inner);
    if (hashed !== undefined) copy[key] = hashed;
    else if (fields === null || fields.includes(key)) copy[key] = keep(inner, null, sanitizer, depth + 1);
    else copy[key] = typeOf(inner);
  }
  return copy;
}

/** An instance object: allowlisted fields kept (nested ones by their own allowlist), the rest typed. */
function instance(value: unknown, sanitizer: Sanitizer): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return typeOf(value);
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const hashed = sanitizer.hashed(key, inner);
    if (hashed !== undefined) {
      copy[key] = hashed;
      continue;
    }
    if (!Object.hasOwn(V1_INSTANCE_FIELDS, key)) {
      copy[key] = typeOf(inner);
      continue;
    }
    // `envs` values are the user's secrets: only their keys are in the allowlist.
    copy[key] = keep(inner, V1_INSTANCE_FIELDS[key] ?? null, sanitizer, 1);
  }
  return copy;
}

/** Sanitizes a list page: its own fields kept, each instance by the instance allowlist, other keys typed. */
export function captureListPage(body: unknown, secrets: readonly string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return typeOf(body);
  const sanitizer = createSanitizer(body, secrets);
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'instances' && Array.isArray(value)) copy[key] = value.map((item) => instance(item, sanitizer));
    else if (V1_LIST_PAGE_FIELDS.includes(key)) copy[key] = keep(value, null, sanitizer, 1);
    else copy[key] = typeOf(value);
  }
  return copy;
}

/** Sanitizes an error body (or an instance, when Novita answered one): the envelope's fields kept, others typed. */
export function captureAnswerBody(body: unknown, secrets: readonly string[]): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return typeOf(body);
  const sanitizer = createSanitizer(body, secrets);
  if (typeof (body as { status?: unknown }).status === 'string' && typeof (body as { id?: unknown }).id === 'string')
    return instance(body, sanitizer);
  return keep(body, V1_ERROR_FIELDS, sanitizer, 0);
}

/** A body that is not JSON (a gateway's HTML page), cut short and scrubbed. */
export function captureText(text: string, secrets: readonly string[]): { text: string } {
  return { text: redactUrlSecrets(scrubSecrets(text, secrets)).slice(0, 2000) };
}
