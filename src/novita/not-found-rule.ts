/**
 * The one rule for "Novita says this does not exist". It decides `getInstance`'s `null`,
 * `deleteInstance`'s `alreadyGone` and the empty listing, so a `true` here can end in a record being
 * terminated or removed: it holds only for what Novita documents, unless the client was explicitly
 * told to widen it.
 */
import { isReconcilerError, type NovitaApiError } from '../errors.js';
import type { NovitaNotFoundResponses } from './client-options.js';

/** Novita's documented "no such resource" reason. */
export const RESOURCE_NOT_FOUND = 'RESOURCE_NOT_FOUND';

/**
 * Whether an HTTP answer proves that the resource does not exist. Documented: HTTP 400 with
 * `reason: RESOURCE_NOT_FOUND`. A 404 never proves it by default, whatever its body: routes, proxies
 * and gateways answer 404, some in Novita's own envelope. `'documented-or-enveloped-404'` also takes
 * a 404 whose envelope says `RESOURCE_NOT_FOUND`; a bare 404 never counts.
 */
export function isNotFoundAnswer(status: number | undefined, reason: string | undefined, rule: NovitaNotFoundResponses): boolean {
  if (reason !== RESOURCE_NOT_FOUND) return false;
  if (status === 400) return true;
  return status === 404 && rule === 'documented-or-enveloped-404';
}

/**
 * {@link isNotFoundAnswer} for a rejection: only a `NOVITA_API` {@link NovitaApiError} with that status
 * and reason counts (for the listing's `notFoundListingIsEmpty`).
 */
export function isNotFoundError(error: unknown, rule: NovitaNotFoundResponses): boolean {
  if (!isReconcilerError(error, 'NOVITA_API')) return false;
  const { status, reason } = error as NovitaApiError;
  return isNotFoundAnswer(status, reason, rule);
}
