/**
 * The admin check every HTTP example puts in front of both endpoints: a sync changes records and the
 * list returns them whole, so neither is ever served open. Replace it with your own authentication;
 * keep it in front of the handlers.
 *
 * Part of: examples/http/express.ts (and every other HTTP example, which say how to run them)
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The token requests must carry as `Authorization: Bearer <token>`. */
export interface AdminToken {
  readonly token: string;
  /** True when `ADMIN_TOKEN` was unset and the demo made one up for this process. */
  readonly generated: boolean;
}

/**
 * `ADMIN_TOKEN` from `env`. Unset (or empty), the demo makes a random one for this process, to be
 * printed at start-up; the production wiring refuses to start instead, because a token printed to the
 * logs is a token anyone who reads them can use.
 */
export function resolveAdminToken(
  env: Readonly<Record<string, string | undefined>>,
  { generateIfUnset }: { generateIfUnset: boolean },
): AdminToken {
  const token = env.ADMIN_TOKEN?.trim();
  if (token) return { token, generated: false };
  if (!generateIfUnset) throw new Error('ADMIN_TOKEN is not set: the sync and list endpoints are never served without authentication');
  return { token: randomBytes(18).toString('base64url'), generated: true };
}

/** Whether an `Authorization` header carries the token; compared in constant time. */
export function isAdminAuthorization(header: string | null | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  // Hashing first gives both sides one length, which timingSafeEqual needs, and leaks nothing about it.
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(token));
}

/** The answer to a request without the token, in the envelope the handlers use. */
export const UNAUTHORIZED_BODY = Object.freeze({
  success: false,
  error: { code: 'UNAUTHORIZED', message: 'send Authorization: Bearer <ADMIN_TOKEN>' },
});
