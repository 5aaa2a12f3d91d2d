/**
 * Request input: a JSON body or a query object (Express `req.query`, Fastify `request.query`, Next's
 * `URLSearchParams`, a `FormData`), read once into a snapshot and validated with zod. Booleans arrive
 * as JSON booleans or as the query strings `"true"` / `"false"`; anything else for a boolean is refused.
 *
 * The input comes from whoever can reach the endpoint, so reading it must never throw (a getter or a
 * Proxy trap may), and the answer must not grow with it: only the accepted fields are ever read, and
 * what the answer repeats of the input is capped.
 */
import { z } from 'zod';
import { nearestName } from '../options.js';
import type { HttpValidationIssue } from './envelope.js';

const BOOLEAN_MESSAGE = 'must be true or false (a JSON boolean, or the query string "true" or "false")';

/** Unknown fields named one by one in an answer; the rest are counted. */
export const LISTED_UNKNOWN_FIELDS = 10;
/** The longest field name an answer repeats. */
const ECHOED_NAME_LENGTH = 64;
/** The longest text value an answer repeats. */
const ECHOED_VALUE_LENGTH = 40;

/** A boolean from a JSON body or a query string. `"1"`, `"yes"`, `"TRUE"` and `""` are refused. */
export const requestBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')], {
  error: BOOLEAN_MESSAGE,
});

/** The outcome of {@link parseRequestInput}. */
export type ParsedInput<T> = { ok: true; value: T } | { ok: false; issues: HttpValidationIssue[] };

/** A field name as an answer may repeat it: at most {@link ECHOED_NAME_LENGTH} characters. */
export function echoedName(name: string): string {
  return name.length <= ECHOED_NAME_LENGTH ? name : `${name.slice(0, ECHOED_NAME_LENGTH)}… (${name.length} characters)`;
}

/** A received value for a message, never longer than a short line and never read beyond its type. */
function describeReceived(value: unknown): string {
  try {
    if (typeof value === 'string') {
      const shown = value.length <= ECHOED_VALUE_LENGTH ? value : `${value.slice(0, ECHOED_VALUE_LENGTH)}…`;
      return `${JSON.stringify(shown)}${value.length > ECHOED_VALUE_LENGTH ? ` (${value.length} characters)` : ''}`;
    }
    if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
    if (Array.isArray(value)) return 'an array';
    return `a value of type ${typeof value}`;
  } catch {
    // Array.isArray throws on a revoked Proxy.
    return 'a value that could not be read';
  }
}

/** What could be read of an input: the accepted fields' values, the unknown names (capped), and why not. */
interface InputSnapshot {
  fields: Record<string, unknown>;
  unknownNames: string[];
  unknownCount: number;
  issues: HttpValidationIssue[];
}

const unreadable = (accepted: readonly string[]): HttpValidationIssue => ({
  field: '(input)',
  message: `could not be read (a getter or a Proxy threw); send an object of fields (accepted: ${accepted.join(', ')})`,
});

/**
 * Reads `input` into a snapshot without ever throwing and without touching anything but its keys and
 * the values of accepted fields. `undefined` and `null` (no body, no query) are `{}`; a
 * `URLSearchParams` or `FormData` is read as its entries, a key given twice refused; any other object
 * must be plain (a prototype chain of at most one object, which admits `Object.create(null)`,
 * node:querystring's objects and plain objects of another realm, and refuses a `Request`, a `Map`
 * or a class instance whose fields are not own keys: reading one of those as "no fields" would run
 * a sync with the defaults on input that asked for something else).
 */
function snapshotInput(input: unknown, accepted: readonly string[]): InputSnapshot {
  const snapshot: InputSnapshot = { fields: Object.create(null) as Record<string, unknown>, unknownNames: [], unknownCount: 0, issues: [] };
  const objectOfFields = `must be an object of fields (accepted: ${accepted.join(', ')})`;
  if (input === undefined || input === null) return snapshot;
  if (typeof input !== 'object') {
    snapshot.issues.push({ field: '(input)', message: `${objectOfFields}, got ${describeReceived(input)}` });
    return snapshot;
  }
  const note = (key: string, read: () => unknown): void => {
    if (accepted.includes(key)) {
      try {
        snapshot.fields[key] = read();
      } catch {
        snapshot.issues.push({ field: key, message: 'could not be read (a getter or a Proxy threw)' });
      }
      return;
    }
    snapshot.unknownCount += 1;
    if (snapshot.unknownNames.length < LISTED_UNKNOWN_FIELDS) snapshot.unknownNames.push(key);
  };
  try {
    if (isEntryList(input)) {
      const seen = new Set<string>();
      for (const [key, value] of input.entries()) {
        if (seen.has(key)) {
          snapshot.issues.push({ field: echoedName(key), message: 'is given more than once' });
          return snapshot;
        }
        seen.add(key);
        note(key, () => value);
      }
      return snapshot;
    }
    if (Array.isArray(input)) {
      snapshot.issues.push({ field: '(input)', message: `${objectOfFields}, got an array` });
      return snapshot;
    }
    const prototype: unknown = Object.getPrototypeOf(input);
    if (prototype !== null && Object.getPrototypeOf(prototype) !== null) {
      snapshot.issues.push({
        field: '(input)',
        message: `${objectOfFields}, a URLSearchParams or a FormData, got ${describeInstance(prototype)}`,
      });
      return snapshot;
    }
    for (const key of Object.keys(input)) note(key, () => (input as Record<string, unknown>)[key]);
  } catch {
    snapshot.issues = [unreadable(accepted)];
  }
  return snapshot;
}

/** A `URLSearchParams` or a `FormData` (both read as their entries). */
function isEntryList(input: object): input is URLSearchParams {
  return input instanceof URLSearchParams || (typeof FormData === 'function' && input instanceof FormData);
}

function describeInstance(prototype: unknown): string {
  try {
    const name: unknown = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${echoedName(name)}` : 'an object with a prototype';
  } catch {
    return 'an object with a prototype';
  }
}

/**
 * Parses `input` with an object schema whose fields are all optional (each field is checked on its
 * own, so the schema's object-level checks are not used). Never throws. Every issue
 * names its field; unknown fields are refused with the accepted ones (the nearest named when it looks
 * like a typo), the first {@link LISTED_UNKNOWN_FIELDS} one by one and the rest counted, so that the
 * answer stays small whatever the input holds.
 */
export function parseRequestInput<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  input: unknown,
): ParsedInput<z.output<z.ZodObject<Shape>>> {
  const accepted = Object.keys(schema.shape);
  const snapshot = snapshotInput(input, accepted);
  if (snapshot.issues.length > 0) return { ok: false, issues: snapshot.issues };
  const issues: HttpValidationIssue[] = [];
  const value: Record<string, unknown> = {};
  // Field by field, so that a value whose own traps throw (a revoked Proxy) is named as the field at fault.
  for (const [field, fieldSchema] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const received = snapshot.fields[field];
    try {
      const parsed = fieldSchema.safeParse(received);
      if (parsed.success) {
        if (parsed.data !== undefined) value[field] = parsed.data;
      } else {
        for (const issue of parsed.error.issues)
          issues.push({
            field: [field, ...issue.path.map(String)].join('.'),
            message: `${issue.message} (got ${describeReceived(received)})`,
          });
      }
    } catch {
      issues.push({ field, message: 'could not be read (a getter or a Proxy threw)' });
    }
  }
  for (const name of snapshot.unknownNames) {
    const suggestion = nearestName(name.slice(0, ECHOED_NAME_LENGTH), accepted);
    issues.push({
      field: echoedName(name),
      message: `is not an accepted field${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`} (accepted: ${accepted.join(', ')})`,
    });
  }
  const unlisted = snapshot.unknownCount - snapshot.unknownNames.length;
  if (unlisted > 0) issues.push({ field: '(input)', message: `and ${unlisted} more fields that are not accepted` });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: value as z.output<z.ZodObject<Shape>> };
}
