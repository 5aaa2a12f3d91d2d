/**
 * Walking Novita's paged listing into a listing that is provably complete, or rejecting. A failed,
 * short or shifting walk must never pass for the truth: the reconciler would read every instance it
 * missed as deleted.
 */
import { AbortedError, NovitaApiError, NovitaIncompleteListingError, isReconcilerError } from '../errors.js';
import type { NovitaInstanceDetail, NovitaInstanceListing } from './instance-detail.js';
import type { NovitaLogger } from './logger.js';

/** One page as the walk needs it. */
export interface ListingPage {
  instances: NovitaInstanceDetail[];
  total: number;
}

/** What {@link walkListing} needs. */
export interface ListingWalkOptions {
  /** Reads the page numbered `pageNum` in the API's own numbering. */
  readPage(pageNum: number, signal: AbortSignal): Promise<ListingPage>;
  /** The number of the first page when known; `undefined` to probe 0 and 1. */
  firstPageNum: 0 | 1 | undefined;
  /** Called once a probe has shown which numbering the API uses. */
  onFirstPageNumDetected(firstPageNum: 0 | 1): void;
  maxPages: number;
  notFoundListingIsEmpty: boolean;
  logger: NovitaLogger;
  signal?: AbortSignal | undefined;
}

/**
 * Reads every page and resolves only when the walk is consistent: every page announced the same
 * `total`, every page but the last holds exactly as many items as the first page (the page size Novita
 * served), no page repeats another, the distinct ids number exactly `total`, and, when the last page
 * is exactly full, the page after it holds nothing new. Pages after the first are requested at once;
 * the client's request gate bounds how many are in flight.
 *
 * Residual risk, by construction of offset paging: an instance that disappears and another that is
 * created, both between two page reads, can shift one item past the reader with every check still
 * passing. The reconciler's `getInstance` confirmation of absent candidates covers that case.
 */
export async function walkListing(options: ListingWalkOptions): Promise<NovitaInstanceListing> {
  const { logger } = options;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const first = await readFirstPages(options, signal);
  if (first === 'empty') return { instances: [], total: 0 };
  const { base, pages: prefetched } = first;
  const firstPage = prefetched.get(0);
  if (!firstPage) throw new Error('unreachable: the first page was not read');

  const total = firstPage.total;
  const served = firstPage.instances.length;
  const incomplete = (reason: string, received: number, pagesRead: number, pageCount: number | undefined, cause?: unknown): NovitaIncompleteListingError => {
    const message = `Novita listing incomplete: ${received} of ${total} instances after ${pagesRead}${pageCount === undefined ? '' : ` of ${pageCount}`} page${pagesRead === 1 ? '' : 's'}: ${reason}`;
    logger.warn({ received, expected: total, pages: pagesRead }, message);
    return new NovitaIncompleteListingError(message, { received, expected: total, pages: pagesRead, ...(cause === undefined ? {} : { cause }) });
  };

  if (total === 0) {
    if (served > 0) throw incomplete(`the first page held ${served} instances although Novita announced a total of 0`, 0, 1, 1);
    return { instances: [], total: 0 };
  }
  if (served === 0) throw incomplete(`the first page was empty although Novita announced ${total}`, 0, 1, undefined);

  const pageCount = Math.ceil(total / served);
  if (pageCount > options.maxPages) {
    throw incomplete(
      `a total of ${total} at ${served} per page needs ${pageCount} pages, more than maxPages (${options.maxPages}); not read, as implausible`,
      distinctCount([firstPage]),
      1,
      pageCount,
    );
  }

  const pages: Array<ListingPage | undefined> = new Array<ListingPage | undefined>(pageCount);
  pages[0] = firstPage;
  let pagesRead = 1;
  const gathered = new Set(firstPage.instances.map((instance) => instance.id));
  const pending: Array<Promise<void>> = [];
  for (let index = 1; index < pageCount; index += 1) {
    const known = prefetched.get(index);
    if (known) {
      pages[index] = known;
      pagesRead += 1;
      for (const instance of known.instances) gathered.add(instance.id);
      continue;
    }
    pending.push(
      options.readPage(base + index, signal).then((page) => {
        pages[index] = page;
        pagesRead += 1;
        for (const instance of page.instances) gathered.add(instance.id);
      }),
    );
  }
  try {
    await settleAllOrFirstFailure(pending, stop);
  } catch (error) {
    if (options.signal?.aborted) throw new AbortedError(undefined, { cause: options.signal.reason });
    if (isReconcilerError(error, 'NOVITA_AUTH') || isReconcilerError(error, 'ABORTED')) throw error;
    const reason = error instanceof Error ? error.message : 'a page could not be read';
    throw incomplete(`a page failed: ${reason}`, gathered.size, pagesRead, pageCount, error);
  }

  const byId = new Map<string, NovitaInstanceDetail>();
  const signatures = new Map<string, number>();
  for (let index = 0; index < pageCount; index += 1) {
    const page = pages[index];
    if (!page) throw incomplete(`page ${base + index} was not read`, byId.size, pagesRead, pageCount);
    const pageNum = base + index;
    if (page.total !== total) {
      throw incomplete(`Novita's total changed from ${total} to ${page.total} at page ${pageNum}: the instances changed while the pages were read`, gathered.size, pagesRead, pageCount);
    }
    const signature = page.instances.map((instance) => instance.id).join(',');
    const repeated = signatures.get(signature);
    if (repeated !== undefined) {
      throw incomplete(`page ${pageNum} repeated page ${repeated} (is Novita ignoring pageNum?)`, gathered.size, pagesRead, pageCount);
    }
    signatures.set(signature, pageNum);
    const expected = index < pageCount - 1 ? served : total - served * (pageCount - 1);
    if (page.instances.length !== expected) {
      throw incomplete(
        `page ${pageNum} held ${page.instances.length} instances where ${expected} were due (${served} per page, total ${total}): the pages shifted or Novita left some out`,
        gathered.size,
        pagesRead,
        pageCount,
      );
    }
    for (const instance of page.instances) if (!byId.has(instance.id)) byId.set(instance.id, instance);
  }
  if (byId.size !== total) {
    throw incomplete(`the pages held ${byId.size} distinct instances, not the ${total} Novita announced (pages shifted while they were read)`, byId.size, pagesRead, pageCount);
  }

  // When the last page is exactly full, an understated total looks like a clean end: read the page
  // after it. Any instance not yet seen there means the total was wrong. (A page that repeats known
  // instances is tolerated, as some APIs answer an out-of-range page with the last one again.)
  if (total % served === 0) {
    let beyond = prefetched.get(pageCount);
    if (!beyond) {
      try {
        beyond = await options.readPage(base + pageCount, signal);
      } catch (error) {
        if (options.signal?.aborted) throw new AbortedError(undefined, { cause: options.signal.reason });
        if (isReconcilerError(error, 'NOVITA_AUTH')) throw error;
        throw incomplete(`the page after the last could not be read to confirm the end: ${error instanceof Error ? error.message : 'failed'}`, byId.size, pagesRead, pageCount, error);
      }
    }
    const unseen = beyond.instances.filter((instance) => !byId.has(instance.id)).length;
    if (unseen > 0 || beyond.total !== total) {
      throw incomplete(
        `page ${base + pageCount}, past the announced end, held ${unseen} more instance${unseen === 1 ? '' : 's'} (total ${beyond.total}): Novita's total is not the whole account`,
        byId.size,
        pagesRead,
        pageCount,
      );
    }
  }
  return { instances: [...byId.values()], total };
}

type FirstPages = 'empty' | { base: 0 | 1; pages: Map<number, ListingPage> };

async function readFirstPages(options: ListingWalkOptions, signal: AbortSignal): Promise<FirstPages> {
  const known = options.firstPageNum;
  if (known !== undefined) {
    try {
      return { base: known, pages: new Map([[0, await options.readPage(known, signal)]]) };
    } catch (error) {
      if (options.notFoundListingIsEmpty && isNotFound(error)) return 'empty';
      throw error;
    }
  }

  // Probe both numberings at once: pageNum 0 and 1 of a 0-based API are two different pages; a
  // 1-based API answers pageNum 0 with the first page again, with nothing, or with a 400.
  const [zero, one] = await Promise.allSettled([options.readPage(0, signal), options.readPage(1, signal)]);
  if (one.status === 'rejected') {
    if (options.notFoundListingIsEmpty && isNotFound(one.reason) && zero.status === 'rejected' && isNotFound(zero.reason)) return 'empty';
    throw one.reason;
  }
  if (zero.status === 'rejected') {
    const error = zero.reason;
    if (error instanceof NovitaApiError && error.code === 'NOVITA_API' && error.status === 400) {
      return detected(options, 1, new Map([[0, one.value]]));
    }
    throw error;
  }
  const pageZero = zero.value;
  const pageOne = one.value;
  const zeroIds = pageZero.instances.map((instance) => instance.id);
  const oneIds = new Set(pageOne.instances.map((instance) => instance.id));
  if (pageZero.total !== pageOne.total) {
    throw new NovitaIncompleteListingError(
      `Novita listing incomplete: could not tell whether pages count from 0 or 1, because the total changed from ${pageZero.total} to ${pageOne.total} between the two first pages`,
      { received: 0, expected: pageOne.total, pages: 2 },
    );
  }
  if (pageOne.total === 0 && zeroIds.length === 0 && oneIds.size === 0) return 'empty';
  if (zeroIds.length === 0) return detected(options, 1, new Map([[0, pageOne]]));
  const shared = zeroIds.filter((id) => oneIds.has(id)).length;
  if (shared === zeroIds.length && shared === oneIds.size) return detected(options, 1, new Map([[0, pageOne]]));
  if (shared === 0) return detected(options, 0, new Map([[0, pageZero], [1, pageOne]]));
  throw new NovitaIncompleteListingError(
    `Novita listing incomplete: could not tell whether pages count from 0 or 1, because pages 0 and 1 partly overlap (the instances changed while they were read)`,
    { received: 0, expected: pageOne.total, pages: 2 },
  );
}

function detected(options: ListingWalkOptions, base: 0 | 1, pages: Map<number, ListingPage>): FirstPages {
  options.logger.info({ firstPageNum: base }, `novita listing: pages count from ${base}`);
  options.onFirstPageNumDetected(base);
  return { base, pages };
}

function isNotFound(error: unknown): boolean {
  return error instanceof NovitaApiError && error.reason === 'RESOURCE_NOT_FOUND';
}

function distinctCount(pages: ListingPage[]): number {
  return new Set(pages.flatMap((page) => page.instances.map((instance) => instance.id))).size;
}

/** Waits for every promise; on the first failure aborts the others (through `stop`) and rethrows it. */
async function settleAllOrFirstFailure(promises: Array<Promise<void>>, stop: AbortController): Promise<void> {
  let firstFailure: { error: unknown } | undefined;
  await Promise.all(
    promises.map((promise) =>
      promise.catch((error: unknown) => {
        if (!firstFailure) {
          firstFailure = { error };
          stop.abort();
        }
      }),
    ),
  );
  if (firstFailure) throw firstFailure.error;
}
