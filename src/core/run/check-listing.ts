/**
 * Step 1's last word: the listing's grade, whatever client produced it. A listing is proven complete
 * only when the client does not deny it, `total` is announced and the distinct ids equal it; anything
 * else is unproven, and absence from it is never acted on without a proof for that record.
 */
import { NovitaIncompleteListingError, NovitaInvalidResponseError } from '../../errors.js';
import type { NovitaInstance } from '../ports/novita-client.js';

/** A listing that passed {@link checkListing}, with its grade. */
export interface CheckedListing {
  instances: NovitaInstance[];
  /** Walks the client needed (1 when it does not say). */
  walks: number;
  /** Whether the listing is proven complete. */
  complete: boolean;
  /** Why it is not, for a person; present exactly when `complete` is `false`. */
  reason?: string;
  /** The total Novita announced, `null` when none. */
  total: number | null;
}

/**
 * Checks what a client resolved and grades it. Rejects items that are not instances, a repeated id,
 * a `total` that is not a count, and a client that calls a listing complete while its ids disagree with
 * its total. Otherwise the listing is complete (the client did not say `complete: false`, `total` is
 * announced and the distinct ids equal it) or unproven, with the reason.
 */
export function checkListing(listing: unknown): CheckedListing {
  if (typeof listing !== 'object' || listing === null) throw new NovitaInvalidResponseError('', 'the client resolved no listing object');
  const { instances, total, walks, complete, reason } = listing as {
    instances?: unknown;
    total?: unknown;
    walks?: unknown;
    complete?: unknown;
    reason?: unknown;
  };
  if (!Array.isArray(instances)) throw new NovitaInvalidResponseError('instances', 'must be an array');
  if (total !== undefined && total !== null && (typeof total !== 'number' || !Number.isInteger(total) || total < 0))
    throw new NovitaInvalidResponseError('total', 'must be a whole number, or absent');
  if (complete !== undefined && typeof complete !== 'boolean')
    throw new NovitaInvalidResponseError('complete', 'must be a boolean, or absent');
  const seen = new Set<string>();
  instances.forEach((instance: unknown, index) => {
    const item = instance as { id?: unknown; status?: unknown } | null;
    if (typeof item !== 'object' || item === null) throw new NovitaInvalidResponseError(`instances[${index}]`, 'must be an object');
    if (typeof item.id !== 'string' || item.id === '')
      throw new NovitaInvalidResponseError(`instances[${index}].id`, 'must be a non-empty string');
    if (typeof item.status !== 'string') throw new NovitaInvalidResponseError(`instances[${index}].status`, 'must be a string');
    seen.add(item.id);
  });
  const announced = typeof total === 'number' ? total : null;
  if (seen.size !== instances.length) {
    throw new NovitaIncompleteListingError(
      `Novita listing invalid: ${seen.size} distinct instances in ${instances.length} items (an id repeated); not taken as the truth`,
      { received: seen.size, expected: announced ?? undefined, pages: 0 },
    );
  }
  if (complete === true && seen.size !== announced) {
    throw new NovitaIncompleteListingError(
      `Novita listing incomplete: the client called it complete with ${seen.size} distinct instances but total ${String(announced)}; not taken as the truth`,
      { received: seen.size, expected: announced ?? undefined, pages: 0 },
    );
  }
  const graded = {
    instances: instances as NovitaInstance[],
    walks: typeof walks === 'number' && Number.isInteger(walks) && walks >= 1 ? walks : 1,
    total: announced,
  };
  const given = typeof reason === 'string' && reason !== '' ? reason : undefined;
  if (complete === false) return { ...graded, complete: false, reason: given ?? 'the client says the listing is not proven complete' };
  if (announced === null) return { ...graded, complete: false, reason: given ?? 'the listing announced no total' };
  if (seen.size !== announced)
    return { ...graded, complete: false, reason: `${seen.size} distinct instances where the listing announced a total of ${announced}` };
  return { ...graded, complete: true };
}
