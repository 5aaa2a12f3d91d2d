/**
 * Walking Novita's paged listing into a listing that is provably complete, or rejecting. A failed,
 * short or shifting walk must never pass for the truth: the reconciler would read every instance it
 * missed as deleted. On a busy account the listing shifts between page reads all the time, so a walk
 * that saw it shift is thrown away and the pages are read again, a bounded number of times.
 */
import type { ListingProgress, ListingRestart } from '../core/ports/novita-client.js';
import { NovitaIncompleteListingError } from '../errors.js';
import { functionOption } from '../options.js';
import type { NovitaInstanceListing } from './instance-detail.js';
import type { SingleWalkOptions } from './list-walk-once.js';
import { describeProgress, walkOnce } from './list-walk-once.js';
import type { NovitaLogger } from './logger.js';
import { sleep } from './retry-delay.js';

export type { ListingPage } from './list-walk-once.js';

/** What {@link walkListing} needs: what one walk needs, and how many walks it may take. */
export interface ListingWalkOptions extends Omit<SingleWalkOptions, 'onPageRead'> {
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
 * with the number of walks it took. Each walk starts empty: instances seen by a thrown-away walk never
 * reach the result, so a merge of walks (which could hold an instance twice, or miss one that moved
 * between them) cannot pass for the account.
 *
 * Only a shift restarts (the total changed between pages, a page of the wrong size, a repeated page,
 * distinct ids not equal to the total, new instances past the announced end): after `maxWalks` walks
 * that all shifted, the call rejects with `NOVITA_INCOMPLETE_LISTING` naming the walks. A failed page,
 * a refused key, a 429 that outlasted its retries or a malformed page rejects at once, as no second walk
 * could make that answer proof of anything. The signal ends the wait between walks at once.
 */
export async function walkListing(options: ListingWalkOptions): Promise<NovitaInstanceListing> {
  const { logger } = options;
  functionOption('onRestart', options.onRestart);
  functionOption('onProgress', options.onProgress);
  const random = options.random ?? Math.random;
  let firstPageNum = options.firstPageNum;
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
      logger,
      signal: options.signal,
      onPageRead(pagesRead, pagesTotal) {
        notify(logger, 'onProgress', options.onProgress, { pagesRead, ...(pagesTotal === undefined ? {} : { pagesTotal }), walk });
      },
    });
    if (outcome.kind === 'complete') {
      if (walk > 1) logger.info({ walks: walk, total: outcome.listing.total }, `novita listing complete after ${walk} walks`);
      return { ...outcome.listing, walks: walk };
    }

    const progress = describeProgress(outcome.received, outcome.expected, outcome.pagesRead, outcome.pageCount);
    if (walk >= options.maxWalks) {
      const walks = walk === 1 ? 'the only walk allowed (listing.maxWalks 1)' : `each of ${walk} walks`;
      const message = `Novita listing incomplete: the listing shifted during ${walks}; the last read ${progress}: ${outcome.reason}`;
      logger.warn({ walks: walk, received: outcome.received, expected: outcome.expected, pages: outcome.pagesRead }, message);
      throw new NovitaIncompleteListingError(message, { received: outcome.received, expected: outcome.expected, pages: outcome.pagesRead });
    }
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
