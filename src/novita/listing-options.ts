import { checkOptionKeys, integerOption } from '../options.js';

/** How a listing copes with an account that changes while its pages are read. */
export interface NovitaListingOptions {
  /**
   * Walks over the pages one `listInstances` call may take. A walk that sees the listing shift (the
   * total changed between pages, a page of the wrong size, a repeated page, distinct ids not equal to
   * the total) is thrown away and the pages are read again from the first, up to this many walks in
   * all; then the call rejects with `NOVITA_INCOMPLETE_LISTING`. A failed page, a 401/403, a 429 that
   * outlasted its retries or a malformed page never restarts a walk. `1` turns restarts off.
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
