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
import { HTTP_BOOLEAN_STRINGS, httpBoolean } from '../core/config/boolean-rules.js';
import { nearestName } from '../options.js';
import type { HttpValidationIssue } from './envelope.js';

const BOOLEAN_MESSAGE = 'must be true or false (a JSON boolean, or the query string "true" or "false")';

/**
 * The parts of a request, for a framework that parsed the request itself (Fastify, Express with its
 * parsers, NestJS, Koa): the query object and the parsed body, handed over separately.
 */
export interface RequestParts {
  /** The parsed query string: `request.query` (an object of strings), a `URLSearchParams`, or nothing. */
  query?: unknown;
  /** What the framework's JSON or form parser made of the body (`request.body`), or nothing. */
  body?: unknown;
}

/** What {@link requestParts} returns: hand it to a handler as it is. */
export interface RequestPartsInput {
  /** The query part, as handed over. */
  readonly query: unknown;
  /** The body part, as handed over. */
  readonly body: unknown;
}

/** A `Symbol.for` key, so that parts made by the ESM copy of the package are known to the CJS copy. */
const REQUEST_PARTS = Symbol.for('novita-reconciler.request-parts');

/**
 * Hands a handler the query and the body of a request separately, to be merged by the adapters' rule:
 * a field given in both is a 400 naming it (even with the same value), a key repeated in the query
 * string or a form is a 400, and a body that is not an object of fields is a 400. Use it whenever a
 * framework parsed the request before the handler runs; `request.body ?? request.query` drops the
 * query whenever a body came (`POST ?dryRun=true` with a body `{}` would sync for real).
 *
 * @example Fastify
 * ```ts
 * const sync = createSyncHandler(reconciler);
 * fastify.post('/api/instances/sync', async (request, reply) => {
 *   const { status, body } = await sync(requestParts({ query: request.query, body: request.body }));
 *   return reply.code(status).send(body);
 * });
 * ```
 */
export function requestParts(parts: RequestParts): RequestPartsInput {
  const input: RequestPartsInput = { query: parts?.query, body: parts?.body };
  Object.defineProperty(input, REQUEST_PARTS, { value: true, enumerable: false });
  return Object.freeze(input);
}

/** Whether `input` came from {@link requestParts}. Never throws (a hostile Proxy's trap may). */
function isRequestParts(input: unknown): input is RequestPartsInput {
  try {
    return (
      typeof input === 'object' && input !== null && Object.isFrozen(input) && (input as Record<symbol, unknown>)[REQUEST_PARTS] === true
    );
  } catch {
    return false;
  }
}

/** Unknown fields named one by one in an answer; the rest are counted. */
export const LISTED_UNKNOWN_FIELDS = 10;
/** The longest field name an answer repeats. */
const ECHOED_NAME_LENGTH = 64;
/** The longest text value an answer repeats. */
const ECHOED_VALUE_LENGTH = 40;

/** A boolean from a JSON body or a query string. `"1"`, `"yes"`, `"TRUE"` and `""` are refused. */
export const requestBoolean = z.union([z.boolean(), z.enum(HTTP_BOOLEAN_STRINGS).transform(httpBoolean)], {
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

const unreadable = (accepted: readonly string[], label: string): HttpValidationIssue => ({
  field: label,
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
function snapshotInput(input: unknown, accepted: readonly string[], part: InputPart = WHOLE_INPUT): InputSnapshot {
  const snapshot: InputSnapshot = { fields: Object.create(null) as Record<string, unknown>, unknownNames: [], unknownCount: 0, issues: [] };
  const { label, where } = part;
  const objectOfFields = `must be an object of fields (accepted: ${accepted.join(', ')})`;
  if (input === undefined || input === null) return snapshot;
  if (typeof input !== 'object') {
    snapshot.issues.push({ field: label, message: `${objectOfFields}, got ${describeReceived(input)}${part.hint}` });
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
          snapshot.issues.push({ field: echoedName(key), message: `is given more than once${where}` });
          return snapshot;
        }
        seen.add(key);
        note(key, () => value);
      }
      return snapshot;
    }
    if (Array.isArray(input)) {
      snapshot.issues.push({ field: label, message: `${objectOfFields}, got an array` });
      return snapshot;
    }
    const prototype: unknown = Object.getPrototypeOf(input);
    if (prototype !== null && Object.getPrototypeOf(prototype) !== null) {
      snapshot.issues.push({
        field: label,
        message: `${objectOfFields}, a URLSearchParams or a FormData, got ${describeInstance(prototype)}`,
      });
      return snapshot;
    }
    for (const key of Object.keys(input)) note(key, () => (input as Record<string, unknown>)[key]);
  } catch {
    snapshot.issues = [unreadable(accepted, label)];
  }
  return snapshot;
}

/** Which part of a request a snapshot reads: how its issues name it. */
interface InputPart {
  /** The field name of an issue about the part as a whole. */
  label: string;
  /** Appended to "is given more than once". */
  where: string;
  /** Appended to a refusal of a part that is not an object. */
  hint: string;
}

const WHOLE_INPUT: InputPart = { label: '(input)', where: '', hint: '' };
const QUERY_PART: InputPart = { label: '(query)', where: ' in the query string', hint: '' };
const BODY_PART: InputPart = {
  label: '(body)',
  where: ' in the body',
  hint: ': hand over what a JSON or form parser made of the body, or serve the endpoint with toNodeHandler or toFetchHandler, which read the raw body',
};

/**
 * Both snapshots as one: a field given in the query string and in the body is refused, even with the
 * same value (which one should win is a guess, and between `dryRun=true` and `dryRun=false` it must
 * not be ours).
 */
function snapshotParts(parts: RequestParts, accepted: readonly string[]): InputSnapshot {
  const query = snapshotInput(parts.query, accepted, QUERY_PART);
  if (query.issues.length > 0) return query;
  const body = snapshotInput(parts.body, accepted, BODY_PART);
  if (body.issues.length > 0) return body;
  for (const field of Object.keys(query.fields)) {
    if (Object.hasOwn(body.fields, field))
      return { ...body, issues: [{ field, message: 'is given both in the query string and in the body: send it once' }] };
  }
  const unknownNames = [...query.unknownNames, ...body.unknownNames].slice(0, LISTED_UNKNOWN_FIELDS);
  return { fields: { ...query.fields, ...body.fields }, unknownNames, unknownCount: query.unknownCount + body.unknownCount, issues: [] };
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
  const snapshot = isRequestParts(input) ? snapshotParts(input, accepted) : snapshotInput(input, accepted);
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
