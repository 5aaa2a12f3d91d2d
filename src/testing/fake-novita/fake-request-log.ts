/**
 * The fake's request log. Tests print it when they fail, so it holds no key and no credential: the
 * same redaction as the client's own (`imageAuth`, `authorization`, passwords, tokens, `envs` values),
 * on headers and bodies alike.
 */
import type { IncomingMessage } from 'node:http';
import { REDACTED, isSecretKey, redactCredentials } from '../../novita/redact.js';
import type { FakeEndpoint } from './fake-faults.js';

/** One request as the fake received it. No key and no credential is ever recorded. */
export interface FakeRequest {
  /** `GET` or `POST`. */
  method: string;
  /** The path below the base path, for example `/gpu/instances`. */
  path: string;
  /** Query parameters (the last value of each), a parameter named like a credential redacted. */
  query: Record<string, string>;
  /**
   * Headers, lower-case names; `authorization` reads `Bearer [redacted]`, and every other header named
   * like a credential (`cookie`, `x-api-key`, `proxy-authorization`, ...) reads `[redacted]`.
   */
  headers: Record<string, string>;
  /**
   * The JSON body with credentials redacted (`imageAuth`, `authorization`, passwords, tokens, `envs`
   * values), or `"[redacted]"` for a body that was not JSON (it cannot be redacted field by field);
   * `undefined` when empty.
   */
  body: unknown;
  /** Which endpoint it reached, when any. */
  endpoint: FakeEndpoint | undefined;
  /** For `list`: the page asked for, counted from 1. */
  page: number | undefined;
  /** The status answered; `undefined` when the fake hung up or never answered. */
  status: number | undefined;
  /** The fake clock's time when it arrived. */
  at: number;
}

/** The headers of `request`, credentials redacted. */
export function loggedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    // Keep the scheme of an Authorization header: tests assert that a bearer key was sent.
    if (name === 'authorization' || name === 'proxy-authorization')
      headers[name] = /^\w+\s/.test(text) ? text.replace(/^(\w+)\s.*$/s, `$1 ${REDACTED}`) : REDACTED;
    else headers[name] = isSecretKey(name) ? REDACTED : text;
  }
  return headers;
}

/** The query, a parameter named like a credential redacted. */
export function loggedQuery(query: Record<string, string>): Record<string, string> {
  const logged: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) logged[key] = isSecretKey(key) ? REDACTED : value;
  return logged;
}

/** A parsed body as the log keeps it. */
export function loggedBody(body: unknown): unknown {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return REDACTED;
  return redactCredentials(body);
}
