import { checkOptionKeys, integerOption } from '../options.js';

/** How a listing copes with an account that changes while its pages are read. */
export interface NovitaListingOptions {
  /**
   * Walks over the pages one `listInstances` call may take. A walk that sees the listing shift (the
   * total changed between pages, a page of the wrong size, a repeated page, distinct ids not equal to
   * the total; without a total, an id on two different pages) is thrown away and the pages are read
   * again from the first. The last walk allowed reads every page to the end whatever shifts, and the
   * call resolves the union of what the walks read as an unproven listing (`complete: false`). A failed
   * page, a 401/403, a 429 that outlasted its retries or a malformed page never restarts a walk: it
   * rejects. `1` turns restarts off (the only walk reads to the end).
   * @default 3
   */
  maxWalks?: number;
  /**
   * The wait before the first restart, in milliseconds; it doubles with each further restart (up to
   * eight times this). Each wait is jittered to between half and all of it, so that replicas which saw
   * the same burst of changes do not read again in step.
   * @default 250
   */
  restartDelayMs?: number;
}

/** {@link NovitaListingOptions} with defaults applied. */
export interface ResolvedListingOptions {
  maxWalks: number;
  restartDelayMs: number;
}

const LISTING_OPTION_KEYS = ['maxWalks', 'restartDelayMs'] as const;

/** Checks the `listing` option of `createNovitaClient` and applies its defaults. */
export function resolveListingOptions(listing: unknown): ResolvedListingOptions {
  const options = checkOptionKeys<NovitaListingOptions>('createNovitaClient', listing, LISTING_OPTION_KEYS, 'listing');
  return {
    maxWalks: integerOption('listing.maxWalks', options.maxWalks, 3, 1, 10),
    restartDelayMs: integerOption('listing.restartDelayMs', options.restartDelayMs, 250, 0, 60_000),
  };
}
