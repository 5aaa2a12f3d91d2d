/**
 * One walk over Novita's paged listing, judged on its own: it resolves a listing that passed every
 * check, or says the listing shifted under it (which {@link walkListing} answers by walking again), or
 * rejects for anything else (a failed page, a refused key, a malformed page, an implausible total),
 * which no second walk could prove wrong.
 */
import { AbortedError, NovitaApiError, NovitaIncompleteListingError, isReconcilerError } from '../errors.js';
import { linkedAbort } from './abort-fan-out.js';
import type { LinkedAbort } from './abort-fan-out.js';
import type { NovitaInstanceDetail } from './instance-detail.js';
import type { NovitaLogger } from './logger.js';

/** One page as the walk needs it. */
export interface ListingPage {
  instances: NovitaInstanceDetail[];
  total: number;
}

/** What one walk needs. */
export interface SingleWalkOptions {
  /** Reads the page numbered `pageNum` in the API's own numbering. */
  readPage(pageNum: number, signal: AbortSignal): Promise<ListingPage>;
  /** The number of the first page when known; `undefined` to probe 0 and 1. */
  firstPageNum: 0 | 1 | undefined;
  /** Called once a probe has shown which numbering the API uses. */
  onFirstPageNumDetected(firstPageNum: 0 | 1): void;
  maxPages: number;
  /** Pages requested at once; the client's request gate bounds them again. */
  maxConcurrency: number;
  notFoundListingIsEmpty: boolean;
  /** Whether a rejected first page is Novita's documented not-found (never a 404 unless the client was told to widen the rule). */
  isNotFound(error: unknown): boolean;
  logger: NovitaLogger;
  signal?: AbortSignal | undefined;
  /** After each page the walk uses: pages read, and the pages it needs once the total is known. */
  onPageRead(pagesRead: number, pagesTotal: number | undefined): void;
}

/** How far a shifted walk got, for the message of the call that finally gives up. */
export interface ListingShift {
  /** What shifted, for a person. */
  reason: string;
  /** Distinct instances the walk had gathered. */
  received: number;
  /** The total the walk's first page announced. */
  expected: number | undefined;
  pagesRead: number;
  pageCount: number | undefined;
}

/** A walk's listing: what passed every check, before the count of walks is added. */
export interface WalkListing {
  instances: NovitaInstanceDetail[];
  total: number;
}

/** A walk's outcome, when it did not reject. */
export type SingleWalkOutcome = { kind: 'complete'; listing: WalkListing } | ({ kind: 'shifted' } & ListingShift);

/** `"12 of 15 instances after 3 of 3 pages"`. */
export function describeProgress(received: number, expected: number | undefined, pagesRead: number, pageCount: number | undefined): string {
  const of = expected === undefined ? '' : ` of ${expected}`;
  return `${received}${of} instances after ${pagesRead}${pageCount === undefined ? '' : ` of ${pageCount}`} page${pagesRead === 1 ? '' : 's'}`;
}

/**
 * Reads every page once and checks the walk: every page announced the same `total`, every page but
 * the last holds exactly as many items as the first page (the page size Novita served), no page repeats
 * another, the distinct ids number exactly `total`, and, when the last page is exactly full, the page
 * after it holds nothing new. A page that breaks a check ends the walk at once (its other pages are
 * aborted) rather than after the rest were read for nothing.
 *
 * Pages after the first are read by `maxConcurrency` workers, so only that many requests (and waits in
 * the gate) exist at once however long the listing is.
 *
 * Residual risk, by construction of offset paging: an instance that disappears and another that is
 * created, both between two page reads, can shift one item past the reader with every check still
 * passing. The reconciler's `getInstance` confirmation of absent candidates covers that case.
 */
export async function walkOnce(options: SingleWalkOptions): Promise<SingleWalkOutcome> {
  const stop = linkedAbort(options.signal);
  try {
    return await walkPages(options, stop);
  } finally {
    stop.unlink();
  }
}

async function walkPages(options: SingleWalkOptions, stop: LinkedAbort): Promise<SingleWalkOutcome> {
  const { logger } = options;
  const first = await readFirstPages(options, stop.signal);
  if (first.kind === 'empty') {
    options.onPageRead(1, 1);
    return { kind: 'complete', listing: { instances: [], total: 0 } };
  }
  if (first.kind === 'shifted') return first;
  const { base, pages: prefetched } = first;
  const firstPage = prefetched.get(0);
  if (!firstPage) throw new Error('unreachable: the first page was not read');

  const total = firstPage.total;
  const served = firstPage.instances.length;
  const gathered = new Set(firstPage.instances.map((instance) => instance.id));
  let pagesRead = 1;
  const progress = (pageCount: number | undefined): string => describeProgress(gathered.size, total, pagesRead, pageCount);
  const incomplete = (reason: string, pageCount: number | undefined, cause?: unknown): NovitaIncompleteListingError => {
    const message = `Novita listing incomplete: ${progress(pageCount)}: ${reason}`;
    logger.warn({ received: gathered.size, expected: total, pages: pagesRead }, message);
    return new NovitaIncompleteListingError(message, {
      received: gathered.size,
      expected: total,
      pages: pagesRead,
      ...(cause === undefined ? {} : { cause }),
    });
  };

  if (total === 0) {
    if (served > 0) throw incomplete(`the first page held ${served} instances although Novita announced a total of 0`, 1);
    options.onPageRead(1, 1);
    return { kind: 'complete', listing: { instances: [], total: 0 } };
  }
  if (served === 0) throw incomplete(`the first page was empty although Novita announced ${total}`, undefined);

  const pageCount = Math.ceil(total / served);
  if (pageCount > options.maxPages) {
    throw incomplete(
      `a total of ${total} at ${served} per page needs ${pageCount} pages, more than maxPages (${options.maxPages}); not read, as implausible`,
      pageCount,
    );
  }
  // When the last page is exactly full, an understated total looks like a clean end: the page after
  // it is read too, and any instance not yet seen there means the total was wrong.
  const readsBeyond = total % served === 0;
  const pagesTotal = pageCount + (readsBeyond ? 1 : 0);

  const pages = new Array<ListingPage | undefined>(pagesTotal);
  const signatures = new Map<string, number>();
  const shifted = (reason: string): SingleWalkOutcome => ({
    kind: 'shifted',
    reason,
    received: gathered.size,
    expected: total,
    pagesRead,
    pageCount,
  });

  // The checks one page can fail on its own; `undefined` when it passes them.
  const checkPage = (index: number, page: ListingPage): string | undefined => {
    const pageNum = base + index;
    if (index === pageCount) return undefined;
    if (page.total !== total)
      return `Novita's total changed from ${total} to ${page.total} at page ${pageNum}: the instances changed while the pages were read`;
    const signature = page.instances.map((instance) => instance.id).join(',');
    const other = signatures.get(signature);
    if (other !== undefined)
      return `page ${Math.max(other, pageNum)} repeated page ${Math.min(other, pageNum)} (is Novita ignoring pageNum?)`;
    signatures.set(signature, pageNum);
    const due = index < pageCount - 1 ? served : total - served * (pageCount - 1);
    if (page.instances.length !== due) {
      return `page ${pageNum} held ${page.instances.length} instances where ${due} were due (${served} per page, total ${total}): the pages shifted or Novita left some out`;
    }
    return undefined;
  };
  const usePage = (index: number, page: ListingPage): string | undefined => {
    pages[index] = page;
    pagesRead += 1;
    if (index < pageCount) for (const instance of page.instances) gathered.add(instance.id);
    return checkPage(index, page);
  };

  pages[0] = firstPage;
  const firstShift = checkPage(0, firstPage);
  if (firstShift) return shifted(firstShift);
  const toRead: number[] = [];
  for (let index = 1; index < pagesTotal; index += 1) {
    const known = prefetched.get(index);
    if (!known) {
      toRead.push(index);
      continue;
    }
    const shift = usePage(index, known);
    if (shift) return shifted(shift);
  }
  options.onPageRead(pagesRead, pagesTotal);

  let ended: { kind: 'failure'; index: number; error: unknown } | { kind: 'shift'; reason: string } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (ended === undefined && next < toRead.length) {
      const index = toRead[next] as number;
      next += 1;
      let page: ListingPage;
      try {
        page = await options.readPage(base + index, stop.signal);
      } catch (error) {
        if (ended === undefined) {
          ended = { kind: 'failure', index, error };
          stop.abort();
        }
        return;
      }
      if (ended !== undefined) return;
      const shift = usePage(index, page);
      if (shift) {
        ended = { kind: 'shift', reason: shift };
        stop.abort();
        return;
      }
      options.onPageRead(pagesRead, pagesTotal);
    }
  };
  // Every worker is awaited, aborted ones included: no request of this walk outlives it.
  await Promise.all(Array.from({ length: Math.min(options.maxConcurrency, toRead.length) }, worker));

  const end = ended as typeof ended;
  if (end?.kind === 'shift') return shifted(end.reason);
  if (end?.kind === 'failure') {
    const { error } = end;
    if (options.signal?.aborted) throw new AbortedError(undefined, { cause: options.signal.reason });
    if (isReconcilerError(error, 'NOVITA_AUTH') || isReconcilerError(error, 'ABORTED')) throw error;
    const detail = error instanceof Error ? error.message : 'failed';
    if (end.index === pageCount)
      throw incomplete(`the page after the last could not be read to confirm the end: ${detail}`, pageCount, error);
    throw incomplete(`a page failed: ${detail}`, pageCount, error);
  }

  const byId = new Map<string, NovitaInstanceDetail>();
  for (let index = 0; index < pageCount; index += 1) {
    const page = pages[index];
    if (!page) throw incomplete(`page ${base + index} was not read`, pageCount);
    for (const instance of page.instances) if (!byId.has(instance.id)) byId.set(instance.id, instance);
  }
  if (byId.size !== total) {
    return shifted(
      `the pages held ${byId.size} distinct instances, not the ${total} Novita announced (pages shifted while they were read)`,
    );
  }
  const beyond = readsBeyond ? pages[pageCount] : undefined;
  if (beyond) {
    // A page repeating known instances is tolerated: some APIs answer an out-of-range page with the last one again.
    const unseen = beyond.instances.filter((instance) => !byId.has(instance.id)).length;
    if (unseen > 0 || beyond.total !== total) {
      return shifted(
        `page ${base + pageCount}, past the announced end, held ${unseen} more instance${unseen === 1 ? '' : 's'} (total ${beyond.total}): Novita's total is not the whole account`,
      );
    }
  }
  return { kind: 'complete', listing: { instances: [...byId.values()], total } };
}

type FirstPages = { kind: 'empty' } | ({ kind: 'shifted' } & ListingShift) | { kind: 'read'; base: 0 | 1; pages: Map<number, ListingPage> };

async function readFirstPages(options: SingleWalkOptions, signal: AbortSignal): Promise<FirstPages> {
  const known = options.firstPageNum;
  if (known !== undefined) {
    try {
      return { kind: 'read', base: known, pages: new Map([[0, await options.readPage(known, signal)]]) };
    } catch (error) {
      if (options.notFoundListingIsEmpty && options.isNotFound(error)) return { kind: 'empty' };
      throw error;
    }
  }

  // Probe both numberings at once: pageNum 0 and 1 of a 0-based API are two different pages; a
  // 1-based API answers pageNum 0 with the first page again, with nothing, or with a 400.
  const [zero, one] = await Promise.allSettled([options.readPage(0, signal), options.readPage(1, signal)]);
  if (one.status === 'rejected') {
    if (options.notFoundListingIsEmpty && options.isNotFound(one.reason) && zero.status === 'rejected' && options.isNotFound(zero.reason))
      return { kind: 'empty' };
    throw one.reason;
  }
  if (zero.status === 'rejected') {
    const error = zero.reason;
    if (error instanceof NovitaApiError && error.code === 'NOVITA_API' && error.status === 400)
      return detected(options, 1, new Map([[0, one.value]]));
    throw error;
  }
  const pageZero = zero.value;
  const pageOne = one.value;
  const zeroIds = pageZero.instances.map((instance) => instance.id);
  const oneIds = new Set(pageOne.instances.map((instance) => instance.id));
  const undecided = (because: string): FirstPages => ({
    kind: 'shifted',
    reason: `could not tell whether pages count from 0 or 1, because ${because}`,
    received: 0,
    expected: pageOne.total,
    pagesRead: 2,
    pageCount: undefined,
  });
  if (pageZero.total !== pageOne.total)
    return undecided(`the total changed from ${pageZero.total} to ${pageOne.total} between the two first pages`);
  if (pageOne.total === 0 && zeroIds.length === 0 && oneIds.size === 0) return { kind: 'empty' };
  if (zeroIds.length === 0) return detected(options, 1, new Map([[0, pageOne]]));
  const shared = zeroIds.filter((id) => oneIds.has(id)).length;
  if (shared === zeroIds.length && shared === oneIds.size) return detected(options, 1, new Map([[0, pageOne]]));
  if (shared === 0)
    return detected(
      options,
      0,
      new Map([
        [0, pageZero],
        [1, pageOne],
      ]),
    );
  return undecided('pages 0 and 1 partly overlap (the instances changed while they were read)');
}

function detected(options: SingleWalkOptions, base: 0 | 1, pages: Map<number, ListingPage>): FirstPages {
  options.logger.info({ firstPageNum: base }, `novita listing: pages count from ${base}`);
  options.onFirstPageNumDetected(base);
  return { kind: 'read', base, pages };
}
