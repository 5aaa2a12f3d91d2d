/**
 * Walking Novita's paged listing into a listing that is proven complete, or one that says it is not.
 * A failed, short or shifting walk must never pass for the truth: the reconciler would read every
 * instance it missed as deleted. On a busy account the listing shifts between page reads all the time,
 * so a walk that saw it shift is thrown away and the pages are read again, a bounded number of times;
 * the last walk reads to the end and resolves what it read as unproven.
 */
import type { ListingProgress, ListingRestart } from '../core/ports/novita-client.js';
import { functionOption } from '../options.js';
import type { NovitaInstanceDetail, NovitaInstanceListing } from './instance-detail.js';
import type { SingleWalkOptions } from './list-walk-once.js';
import { describeProgress, walkOnce } from './list-walk-once.js';
import type { NovitaLogger } from './logger.js';
import { sleep } from './retry-delay.js';

export type { ListingPage } from './list-walk-once.js';

/** What {@link walkListing} needs: what one walk needs, and how many walks it may take. */
export interface ListingWalkOptions extends Omit<SingleWalkOptions, 'onPageRead' | 'tolerateShifts'> {
  /** Walks allowed in all (1: no restart). */
  maxWalks: number;
  /** The wait before the first restart; doubled for each further one, jittered. */
  restartDelayMs: number;
  /** Called when a walk saw the listing shift and starts again. */
  onRestart?: ((restart: ListingRestart) => void) | undefined;
  /** Called after each page a walk uses. */
  onProgress?: ((progress: ListingProgress) => void) | undefined;
  /** For the jitter. @default Math.random */
  random?: () => number;
}

/**
 * Walks the listing until one walk passes every check on its own, and resolves that walk's listing
 * (`complete: true`) with the number of walks it took. Instances seen by a thrown-away walk never reach
 * a complete listing: a merge of walks (which could miss one that moved between them) cannot pass for
 * the account.
 *
 * Only a shift restarts (the total changed between pages, a page of the wrong size, a repeated page,
 * distinct ids not equal to the total, new instances past the announced end; without a total, an id
 * seen on two different pages). The last walk allowed (`maxWalks`) reads every page to the end whatever
 * shifts, and the call resolves an *unproven* listing (`complete: false`, with `reason`): the union of
 * every walk's instances, one per id, the later read winning (more presence can only mean fewer
 * absences). A listing without a `total`, and an empty one read from a 400 `RESOURCE_NOT_FOUND` under
 * `notFoundListingIsEmpty`, are unproven too. Absence from an unproven listing proves nothing.
 *
 * A failed page, a refused key, a 429 that outlasted its retries or a malformed page rejects at once,
 * as no second walk could make that answer proof of anything. The signal ends the wait between walks
 * at once.
 */
export async function walkListing(options: ListingWalkOptions): Promise<NovitaInstanceListing> {
  const { logger } = options;
  functionOption('onRestart', options.onRestart);
  functionOption('onProgress', options.onProgress);
  const random = options.random ?? Math.random;
  let firstPageNum = options.firstPageNum;
  const union = new Map<string, NovitaInstanceDetail>();
  for (let walk = 1; ; walk += 1) {
    const outcome = await walkOnce({
      readPage: options.readPage,
      firstPageNum,
      onFirstPageNumDetected(detected) {
        firstPageNum = detected;
        options.onFirstPageNumDetected(detected);
      },
      maxPages: options.maxPages,
      maxConcurrency: options.maxConcurrency,
      notFoundListingIsEmpty: options.notFoundListingIsEmpty,
      isNotFound: options.isNotFound,
      tolerateShifts: walk >= options.maxWalks,
      logger,
      signal: options.signal,
      onPageRead(pagesRead, pagesTotal) {
        notify(logger, 'onProgress', options.onProgress, { pagesRead, ...(pagesTotal === undefined ? {} : { pagesTotal }), walk });
      },
    });
    if (outcome.kind === 'complete') {
      if (walk > 1) logger.info({ walks: walk, total: outcome.listing.total }, `novita listing complete after ${walk} walks`);
      return { instances: outcome.listing.instances, total: outcome.listing.total, walks: walk, complete: true };
    }
    // Later reads win: an instance's newest state is the one kept.
    for (const instance of outcome.instances) union.set(instance.id, instance);

    if (outcome.kind === 'unproven') {
      let reason = outcome.reason;
      if (outcome.shift) {
        const { received, expected, pagesRead, pageCount } = outcome.shift;
        const walks = walk === 1 ? 'the only walk allowed (listing.maxWalks 1)' : `each of ${walk} walks`;
        reason = `the listing shifted during ${walks}; the last read ${describeProgress(received, expected, pagesRead, pageCount)} to the end: ${outcome.reason}`;
      } else if (walk > 1) {
        reason = `${reason} (after ${walk - 1} walk${walk === 2 ? '' : 's'} that shifted)`;
      }
      const instances = [...union.values()];
      logger.warn(
        { walks: walk, instances: instances.length, total: outcome.total },
        `novita listing unproven: ${reason}; absence from it proves nothing`,
      );
      return {
        instances,
        ...(outcome.total === undefined ? {} : { total: outcome.total }),
        walks: walk,
        complete: false,
        reason,
      };
    }

    const progress = describeProgress(outcome.received, outcome.expected, outcome.pagesRead, outcome.pageCount);
    const delayMs = restartDelay(options.restartDelayMs, walk, random);
    logger.warn({ walk, reason: outcome.reason, delayMs }, `novita listing shifted during walk ${walk} (${progress}); reading it again`);
    notify(logger, 'onRestart', options.onRestart, { walk, reason: outcome.reason });
    await sleep(delayMs, options.signal);
  }
}

/**
 * The wait before the walk after `walk`: `baseMs * 2^(walk - 1)`, at most eight times `baseMs`,
 * jittered to between half and all of it.
 */
export function restartDelay(baseMs: number, walk: number, random: () => number = Math.random): number {
  const ceiling = baseMs * 2 ** Math.min(walk - 1, 3);
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

// A caller's callback is told, never trusted: what it throws must not end a listing.
function notify<T>(logger: NovitaLogger, name: string, callback: ((value: T) => void) | undefined, value: T): void {
  if (!callback) return;
  const ignored = (error: unknown): void => {
    logger.warn(
      { callback: name, error: error instanceof Error ? error.message : String(error) },
      `novita listing: ${name} threw; ignored`,
    );
  };
  try {
    const result: unknown = callback(value);
    // An async callback's rejection would otherwise surface as an unhandled rejection.
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') (result as PromiseLike<unknown>).then(undefined, ignored);
  } catch (error) {
    ignored(error);
  }
}
