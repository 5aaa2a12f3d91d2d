/**
 * The shapes Novita has been seen to answer in (see docs/novita.md, the options of startFakeNovita),
 * each as the fake's options, so a test can meet every one of them by name.
 */
import type { FakeNovitaOptions } from './fake-options.js';

/** The name of one {@link fakeNovitaVariants} entry. */
export type FakeNovitaVariant =
  | 'reference'
  | 'no-total'
  | 'capped-page-size'
  | 'refused-key-403'
  | 'empty-account-not-found'
  | 'relay-error-bodies'
  | 'numbers-as-numbers'
  | 'empty-enum-strings';

/**
 * Options of `startFakeNovita` for each variant seen in the wild (combine them freely):
 * - `reference`: the API reference's shape (the default);
 * - `no-total`: the listing answers `{"instances": [...]}` only, as Novita's current reference shows;
 * - `capped-page-size`: pages of at most 20 whatever `pageSize` asks for;
 * - `refused-key-403`: a refused key answered 403 `INVALID_API_KEY` without `metadata`;
 * - `empty-account-not-found`: an account without instances answers the listing 400 `RESOURCE_NOT_FOUND`;
 * - `relay-error-bodies`: every error body `{"code": 0, "message", "type"}` (a relay's, no `reason`);
 * - `numbers-as-numbers`: counts and Unix seconds as JSON numbers instead of strings;
 * - `empty-enum-strings`: `billingMode` (and `spotStatus`) sent as `""`.
 *
 * Two more are not options: the undocumented status `pending` (every create starts in it; seed any
 * status with `instances` or `addInstance`), and a gateway's HTML 502 (the `html` fault).
 */
export const fakeNovitaVariants: Readonly<Record<FakeNovitaVariant, Readonly<FakeNovitaOptions>>> = {
  reference: {},
  'no-total': { listingTotal: false },
  'capped-page-size': { maxPageSize: 20 },
  'refused-key-403': { refusedKeyStatus: 403 },
  'empty-account-not-found': { emptyListingIsNotFound: true },
  'relay-error-bodies': { errorBodies: 'relay' },
  'numbers-as-numbers': { numbers: 'numbers' },
  'empty-enum-strings': { emptyEnumStrings: true },
};
