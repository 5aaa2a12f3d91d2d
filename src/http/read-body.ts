/**
 * What a request body says, decided once for both adapters. Only two kinds of body are understood:
 * JSON (`application/json`, `application/*+json`) and forms (`application/x-www-form-urlencoded`),
 * both in UTF-8. Anything else is refused before a handler runs: a body that was sent and not
 * understood must never become "no fields", which would run a real sync with the defaults (curl's
 * `-d '{"dryRun":true}'` is a form body, and a JSON-only app once read it as no body at all).
 */
import { failureResult, validationResult, type HttpResult } from './envelope.js';
import { findDuplicateKey } from './json-duplicate-key.js';
import { echoedName } from './request-input.js';

/** What an adapter received as the body, before anything was made of it. */
export type ReceivedBody =
  /** No body, or an empty one. */
  | { kind: 'none' }
  /** The raw bytes (read by the adapter, or a framework's `Buffer` from a raw parser). */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** The raw text (a framework's text parser). */
  | { kind: 'text'; text: string }
  /** What a framework's parser made of the body (`req.body`). */
  | { kind: 'parsed'; value: unknown }
  /** More bytes than the adapter's `bodyLimit`. */
  | { kind: 'too-large'; limit: number }
  /** A body was sent but could not be read: why, for a person. */
  | { kind: 'unreadable'; reason: string };

/** The fields a body carries, once understood. */
export type BodyFields = { kind: 'none' } | { kind: 'object'; value: object } | { kind: 'form'; params: URLSearchParams };

/** The content headers that decide how a body is read. */
export interface ContentHeaders {
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

type Understood = { ok: true; fields: BodyFields } | { ok: false; result: HttpResult<never> };

const ACCEPTED_TYPES = 'application/json or application/x-www-form-urlencoded';

/** The media type and charset of a `Content-Type` header, lower-cased; `undefined` without one. */
export function mediaTypeOf(contentType: string | undefined): { type: string; charset: string | undefined } | undefined {
  if (contentType === undefined || contentType.trim() === '') return undefined;
  const [type = '', ...parameters] = contentType.split(';');
  let charset: string | undefined;
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() === 'charset')
      charset = value
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

/** @internal `json`, `form`, or `undefined` for a media type the adapters do not read. */
export function formatOf(type: string): 'json' | 'form' | undefined {
  if (type === 'application/json' || /^application\/[^\s/;]+\+json$/.test(type)) return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

const unsupported = (message: string): Understood => ({ ok: false, result: failureResult('UNSUPPORTED_MEDIA_TYPE', message) });
const invalid = (message: string): Understood => ({ ok: false, result: validationResult([{ field: '(body)', message }]) });

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Decides what `body` says, or the answer that refuses it. Never throws. */
export function understandBody(body: ReceivedBody, headers: ContentHeaders): Understood {
  if (body.kind === 'none') return { ok: true, fields: { kind: 'none' } };
  if (body.kind === 'too-large')
    return { ok: false, result: failureResult('PAYLOAD_TOO_LARGE', `the request body is larger than ${body.limit} bytes`) };
  if (body.kind === 'parsed') return understandParsed(body.value, headers);

  const media = mediaTypeOf(headers.contentType);
  if (media === undefined) return unsupported(`a request body needs a Content-Type: ${ACCEPTED_TYPES}`);
  const format = formatOf(media.type);
  if (format === undefined) {
    return unsupported(
      `Content-Type ${JSON.stringify(echoedName(media.type))} is not supported: send the fields as ${ACCEPTED_TYPES}, or in the query string`,
    );
  }
  if (body.kind === 'unreadable') return invalid(body.reason);
  if (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8') {
    return unsupported(`charset ${JSON.stringify(echoedName(media.charset))} is not supported: send UTF-8`);
  }
  let text: string;
  if (body.kind === 'text') text = body.text;
  else {
    const encoding = headers.contentEncoding?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      return unsupported(`Content-Encoding ${JSON.stringify(echoedName(encoding))} is not supported: send the body uncompressed`);
    }
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body.bytes);
    } catch {
      return invalid('is not valid UTF-8');
    }
  }
  if (text === '') return { ok: true, fields: { kind: 'none' } };
  if (format === 'form') {
    if (text.trim() === '') return { ok: true, fields: { kind: 'none' } };
    return { ok: true, fields: { kind: 'form', params: new URLSearchParams(text) } };
  }
  // A JSON body of only whitespace is not JSON: a body was sent and said nothing a person can vouch
  // for, so it must not run a sync with the defaults (a 0-byte body, sent as "no body", still does).
  if (text.trim() === '') return invalid('is not valid JSON (only whitespace): send a JSON object of fields, or no body at all');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid(`must be a JSON object of fields, got ${describeJson(value)}`);
  const repeated = findDuplicateKey(text);
  if (repeated !== undefined) {
    return {
      ok: false,
      result: validationResult([
        {
          field: echoedName(repeated),
          message: 'is given more than once in the JSON body: which value counts would be a guess, send it once',
        },
      ]),
    };
  }
  return { ok: true, fields: { kind: 'object', value } };
}

/**
 * A framework's `req.body`. An object is the fields (the framework's parser for the type that came
 * produced it); a string or bytes is the raw body of a text or raw parser, read by the rules above;
 * anything else (an array of a JSON array, a number) is not an object of fields.
 */
function understandParsed(value: unknown, headers: ContentHeaders): Understood {
  if (typeof value === 'string') return understandBody(value === '' ? { kind: 'none' } : { kind: 'text', text: value }, headers);
  if (value instanceof Uint8Array)
    return understandBody(value.length === 0 ? { kind: 'none' } : { kind: 'bytes', bytes: value }, {
      ...headers,
      contentEncoding: undefined,
    });
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return invalid(`must be an object of fields, got ${describeJson(value)}`);
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== null && Object.getPrototypeOf(prototype) !== null)
      return invalid('must be an object of fields; the parsed body is an object of another kind');
  } catch {
    return invalid('could not be read (a getter or a Proxy threw)');
  }
  return { ok: true, fields: { kind: 'object', value } };
}

/** @internal The chunks of a body as one array. */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
