/** Step 1's last word: a listing is taken as the truth only when it is provably complete, whatever client produced it. */
import { NovitaIncompleteListingError, NovitaInvalidResponseError } from '../../errors.js';
import type { NovitaInstance } from '../novita-client.js';

/** A listing that passed {@link checkListing}. */
export interface CheckedListing {
  instances: NovitaInstance[];
  /** Walks the client needed (1 when it does not say). */
  walks: number;
}

/** Rejects any listing that is not provably complete: items that are not instances, duplicate ids, or distinct ids other than `total`. */
export function checkListing(listing: unknown): CheckedListing {
  if (typeof listing !== 'object' || listing === null) throw new NovitaInvalidResponseError('', 'the client resolved no listing object');
  const { instances, total, walks, complete, reason } = listing as {
    instances?: unknown;
    total?: unknown;
    walks?: unknown;
    complete?: unknown;
    reason?: unknown;
  };
  // Until the run grades listings, one the client itself calls unproven is refused like an incomplete one.
  if (complete === false) {
    throw new NovitaIncompleteListingError(
      `Novita listing unproven: ${typeof reason === 'string' ? reason : 'the client says it is not complete'}; not taken as the truth`,
      { received: Array.isArray(instances) ? instances.length : 0, expected: typeof total === 'number' ? total : undefined, pages: 0 },
    );
  }
  if (!Array.isArray(instances)) throw new NovitaInvalidResponseError('instances', 'must be an array');
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0)
    throw new NovitaInvalidResponseError('total', 'must be a whole number');
  const seen = new Set<string>();
  instances.forEach((instance: unknown, index) => {
    const item = instance as { id?: unknown; status?: unknown } | null;
    if (typeof item !== 'object' || item === null) throw new NovitaInvalidResponseError(`instances[${index}]`, 'must be an object');
    if (typeof item.id !== 'string' || item.id === '')
      throw new NovitaInvalidResponseError(`instances[${index}].id`, 'must be a non-empty string');
    if (typeof item.status !== 'string') throw new NovitaInvalidResponseError(`instances[${index}].status`, 'must be a string');
    seen.add(item.id);
  });
  if (seen.size !== instances.length || seen.size !== total) {
    throw new NovitaIncompleteListingError(
      `Novita listing incomplete: ${seen.size} distinct instances (${instances.length} items) but total says ${total}; not taken as the truth`,
      { received: seen.size, expected: total, pages: 0 },
    );
  }
  return {
    instances: instances as NovitaInstance[],
    walks: typeof walks === 'number' && Number.isInteger(walks) && walks >= 1 ? walks : 1,
  };
}
