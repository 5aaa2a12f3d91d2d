/**
 * One walk over Novita's paged listing, judged on its own. It resolves a listing that passed every
 * check (proven complete), or a listing that cannot be proven (Novita announced no `total`, or the walk
 * was told to read to the end whatever shifts), or says the listing shifted under it (which
 * {@link walkListing} answers by walking again), or rejects for anything else (a failed page, a refused
 * key, a malformed page, an implausible total), which no second walk could prove wrong.
 */
import { AbortedError, NovitaApiError, NovitaIncompleteListingError, isReconcilerError } from '../errors.js';
import { linkedAbort } from './abort-fan-out.js';
import type { LinkedAbort } from './abort-fan-out.js';
import type { NovitaInstanceDetail } from './instance-detail.js';
import type { NovitaLogger } from './logger.js';

/** One page as the walk needs it. */
export interface ListingPage {
  instances: NovitaInstanceDetail[];
  /** The `total` the page announced; `undefined` when Novita sent none. */
  total?: number | undefined;
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
  /**
   * Read every page to the end whatever shifts (the last walk allowed): a shift is noted, not acted
   * on, and the walk resolves what it read as an unproven listing.
   */
  tolerateShifts: boolean;
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

/**
 * A walk's outcome, when it did not reject: `complete` (proven), `unproven` (what was read, with why it
 * proves nothing on its own; `shift` when the walk saw the listing shift), or `shifted` (a walk that
 * stopped at a shift; `instances` is what it had read until then).
 */
export type SingleWalkOutcome =
  | { kind: 'complete'; listing: WalkListing }
  | {
      kind: 'unproven';
      instances: NovitaInstanceDetail[];
      total: number | undefined;
      reason: string;
      shift: ListingShift | undefined;
    }
  | ({ kind: 'shifted'; instances: NovitaInstanceDetail[] } & ListingShift);

/** `"12 of 15 instances after 3 of 3 pages"`. */
export function describeProgress(received: number, expected: number | undefined, pagesRead: number, pageCount: number | undefined): string {
  const of = expected === undefined ? '' : ` of ${expected}`;
  const pages = pageCount ?? pagesRead;
  return `${received}${of} instances after ${pagesRead}${pageCount === undefined ? '' : ` of ${pageCount}`} page${pages === 1 ? '' : 's'}`;
}

/** Why an empty listing read from a 400 `RESOURCE_NOT_FOUND` proves nothing. */
export const NOT_FOUND_EMPTY_REASON =
  'Novita answered the listing with 400 RESOURCE_NOT_FOUND, read as an empty account (notFoundListingIsEmpty); an empty listing read that way proves no instance absent';

/** Why an empty listing without a total proves nothing. */
export const EMPTY_WITHOUT_TOTAL_REASON = 'Novita answered an empty listing without a total: it proves no instance absent';

/**
 * Reads the pages and checks the walk. With a `total`: every page announced the same `total`, every
 * page but the last holds exactly as many items as the first page (the page size Novita served), no
 * page repeats another, the distinct ids number exactly `total`, and, when the last page is exactly
 * full, the page after it holds nothing new. Without a `total`: pages are read until one is shorter
 * than the first (or empty), one page past an exactly full one; a page identical to the one before it
 * ends the walk (some APIs answer past the end with the last page again); an id repeated across
 * different pages, or a page larger than the first, is a shift. Such a listing is never proven.
 *
 * Pages are requested by `maxConcurrency` workers and judged in page order, so only that many requests
 * (and waits in the gate) exist at once however long the listing is. A page that breaks a check ends
 * the walk at once (its other pages are aborted), unless `tolerateShifts`.
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
  const { logger, tolerateShifts } = options;
  const first = await readFirstPages(options, stop.signal);
  if (first.kind === 'empty') {
    options.onPageRead(1, 1);
    if (first.proven) return { kind: 'complete', listing: { instances: [], total: 0 } };
    return { kind: 'unproven', instances: [], total: undefined, reason: first.reason, shift: undefined };
  }
  if (first.kind === 'undecided' && !tolerateShifts) {
    return { kind: 'shifted', ...first.shift, instances: [...first.pageZero.instances, ...first.pageOne.instances] };
  }
  // The last walk cannot tell the numbering either: it reads from 1 (what most clients send) without
  // remembering it, and keeps page 0's instances too (presence only ever means fewer absences).
  const { base, pages: prefetched } =
    first.kind === 'undecided' ? { base: 1 as const, pages: new Map([[0, first.pageOne]]) } : { base: first.base, pages: first.pages };
  const firstPage = prefetched.get(0);
  if (!firstPage) throw new Error('unreachable: the first page was not read');

  const total = firstPage.total;
  const served = firstPage.instances.length;
  if (total === undefined && served === 0 && first.kind === 'read') {
    options.onPageRead(1, 1);
    return { kind: 'unproven', instances: [], total: undefined, reason: EMPTY_WITHOUT_TOTAL_REASON, shift: undefined };
  }
  /** Every instance the walk read, by id, the later read winning. */
  const read = new Map<string, NovitaInstanceDetail>();
  if (first.kind === 'undecided') for (const instance of first.pageZero.instances) read.set(instance.id, instance);
  /** With a total: the distinct ids of the announced pages. Without: the page each id was first seen on. */
  const seenOn = new Map<string, number>();
  let pagesRead = 0;
  let noted: string | undefined = first.kind === 'undecided' ? first.shift.reason : undefined;
  const progress = (pageCount: number | undefined): string => describeProgress(seenOn.size, total, pagesRead, pageCount);
  const incomplete = (reason: string, pageCount: number | undefined, cause?: unknown): NovitaIncompleteListingError => {
    const message = `Novita listing incomplete: ${progress(pageCount)}: ${reason}`;
    logger.warn({ received: seenOn.size, expected: total, pages: pagesRead }, message);
    return new NovitaIncompleteListingError(message, {
      received: seenOn.size,
      expected: total,
      pages: pagesRead,
      ...(cause === undefined ? {} : { cause }),
    });
  };

  let pageCount: number | undefined;
  let planned: number | undefined;
  let readsBeyond = false;
  if (total !== undefined) {
    if (total === 0 && served > 0) throw incomplete(`the first page held ${served} instances although Novita announced a total of 0`, 1);
    if (total > 0 && served === 0) throw incomplete(`the first page was empty although Novita announced ${total}`, undefined);
    pageCount = total === 0 ? 0 : Math.ceil(total / served);
    if (pageCount > options.maxPages) {
      throw incomplete(
        `a total of ${total} at ${served} per page needs ${pageCount} pages, more than maxPages (${options.maxPages}); not read, as implausible`,
        pageCount,
      );
    }
    // When the last page is exactly full, an understated total looks like a clean end: the page after
    // it is read too, and any instance not yet seen there means the total was wrong.
    readsBeyond = total > 0 && total % served === 0;
    planned = Math.max(1, pageCount + (readsBeyond ? 1 : 0));
  }

  /** Pages [0, end) are the walk's; `undefined` until a page showed where the listing ends. */
  let end: number | undefined = total === undefined && served === 0 ? 0 : undefined;
  /** Past the announced pages (a tolerated shift left the last one full): the end is read from the pages. */
  let extending = false;
  let stopped: ListingShift | undefined;
  const signatures = new Map<string, number>();
  let previousSignature: string | undefined;

  const shift = (reason: string): void => {
    if (tolerateShifts) {
      noted ??= reason;
      return;
    }
    stopped = { reason, received: seenOn.size, expected: total, pagesRead, pageCount };
    stop.abort();
  };
  const keep = (page: ListingPage): void => {
    for (const instance of page.instances) read.set(instance.id, instance);
  };

  // Reads the end of the listing from the pages themselves: the first page shorter than the first one,
  // empty, or identical to the one before it (then left out).
  const judgeByContent = (index: number, page: ListingPage, signature: string): void => {
    if (page.instances.length === 0 || signature === previousSignature) {
      end = index;
      return;
    }
    if (page.instances.length > served)
      shift(`page ${base + index} held ${page.instances.length} instances, more than the ${served} the first page served`);
    const repeated = page.instances.find((instance) => (seenOn.get(instance.id) ?? index) !== index);
    if (repeated) {
      shift(
        `an instance of page ${base + index} was already on page ${base + (seenOn.get(repeated.id) as number)}: the pages shifted while they were read`,
      );
    }
    for (const instance of page.instances) if (!seenOn.has(instance.id)) seenOn.set(instance.id, index);
    keep(page);
    if (page.instances.length < served) end = index + 1;
  };

  const judgeAnnounced = (index: number, page: ListingPage, signature: string): void => {
    const announced = total as number;
    const count = pageCount as number;
    const pageNum = base + index;
    if (index < count) {
      const due = index < count - 1 ? served : announced - served * (count - 1);
      const other = signatures.get(signature);
      if (page.total !== announced)
        shift(
          `Novita's total changed from ${announced} to ${String(page.total)} at page ${pageNum}: the instances changed while the pages were read`,
        );
      else if (other !== undefined) shift(`page ${pageNum} repeated page ${other} (is Novita ignoring pageNum?)`);
      else if (page.instances.length !== due)
        shift(
          `page ${pageNum} held ${page.instances.length} instances where ${due} were due (${served} per page, total ${announced}): the pages shifted or Novita left some out`,
        );
      if (stopped) return;
      if (other === undefined) signatures.set(signature, pageNum);
      for (const instance of page.instances) seenOn.set(instance.id, index);
      keep(page);
      return;
    }
    // The page past the last, read when the last was exactly full. A page repeating known instances is
    // tolerated: some APIs answer an out-of-range page with the last one again.
    const unseen = page.instances.filter((instance) => !seenOn.has(instance.id)).length;
    if (unseen > 0 || page.total !== announced) {
      shift(
        `page ${pageNum}, past the announced end, held ${unseen} more instance${unseen === 1 ? '' : 's'} (total ${String(page.total)}): Novita's total is not the whole account`,
      );
    }
    if (!stopped) keep(page);
  };

  const consume = (index: number, page: ListingPage): void => {
    pagesRead += 1;
    const signature = page.instances.map((instance) => instance.id).join(',');
    if (total === undefined || extending) judgeByContent(index, page, signature);
    else judgeAnnounced(index, page, signature);
    if (stopped) return;
    if (total !== undefined && !extending && index === (planned as number) - 1) {
      // The announced pages are read. A tolerated shift that left the last page full means the listing
      // may go on past what the first page announced: read on until a page shows the end.
      const full = page.instances.length >= served && served > 0 && signature !== previousSignature;
      if (noted !== undefined && full) extending = true;
      else end = planned;
    }
    previousSignature = signature;
    options.onPageRead(pagesRead, total === undefined || extending ? undefined : planned);
  };

  // Requests run ahead of the judging: a page is judged only once every page before it was.
  const arrived = new Map<number, ListingPage>(prefetched);
  let judged = 0;
  const judgeArrived = (): void => {
    while (!stopped && end === undefined) {
      const page = arrived.get(judged);
      if (!page) return;
      arrived.delete(judged);
      consume(judged, page);
      judged += 1;
    }
  };
  judgeArrived();

  const limit = (): number => {
    if (end !== undefined) return end;
    if (total !== undefined && !extending) return planned as number;
    return options.maxPages + 1;
  };
  let next = prefetched.size;
  let failure: { index: number; error: unknown } | undefined;
  /** Set when a failure aborted the walk's other requests: their rejections are not failures of their own. */
  let abortedByFailure = false;
  const inFlight = new Map<number, LinkedAbort>();
  const worker = async (): Promise<void> => {
    while (!stopped && failure === undefined && next < limit()) {
      const index = next;
      next += 1;
      const request = linkedAbort(stop.signal);
      inFlight.set(index, request);
      let page: ListingPage;
      try {
        page = await options.readPage(base + index, request.signal);
      } catch (error) {
        if (stopped || abortedByFailure || (end !== undefined && index >= end)) continue;
        // Another worker may have failed meanwhile (the loop's check narrowed what TypeScript sees).
        const earlier = failure as { index: number } | undefined;
        if (earlier === undefined || index < earlier.index) failure = { index, error };
        // Within the announced pages nothing can make the walk good again: stop at once. Past them, the
        // end may yet show up on a page before this one.
        if (total !== undefined && !extending) {
          abortedByFailure = true;
          stop.abort();
        }
        continue;
      } finally {
        request.unlink();
        inFlight.delete(index);
      }
      if (stopped) return;
      arrived.set(index, page);
      judgeArrived();
      // Pages requested past an end just found are not waited for.
      if (end !== undefined) for (const [other, abort] of inFlight) if (other >= end) abort.abort();
    }
  };
  // A tolerated shift can move the end past the announced pages after the workers ran out of them.
  while (!stopped && failure === undefined && end === undefined && next < limit()) {
    // Every worker is awaited, aborted ones included: no request of this walk outlives it.
    await Promise.all(Array.from({ length: options.maxConcurrency }, worker));
  }

  if (stopped) {
    return { kind: 'shifted', ...stopped, instances: [...read.values()] };
  }
  if (failure !== undefined && (end === undefined || failure.index < end)) {
    const { error, index } = failure;
    if (options.signal?.aborted) throw new AbortedError(undefined, { cause: options.signal.reason });
    if (isReconcilerError(error, 'NOVITA_AUTH') || isReconcilerError(error, 'ABORTED')) throw error;
    const detail = error instanceof Error ? error.message : 'failed';
    if (total === undefined || extending || index === pageCount)
      throw incomplete(`the page after the last full one could not be read to find the end: ${detail}`, pageCount, error);
    throw incomplete(`a page failed: ${detail}`, pageCount, error);
  }
  if (options.signal?.aborted) throw new AbortedError(undefined, { cause: options.signal.reason });
  if (end === undefined) {
    throw incomplete(
      `more than maxPages (${options.maxPages}) pages, each full, and no end in sight; not read further, as implausible`,
      pageCount,
    );
  }

  const instances = [...read.values()];
  if (total === undefined) {
    const reason =
      noted ??
      `Novita announced no total: ${instances.length} instances on ${pagesRead} page${pagesRead === 1 ? '' : 's'}, the end taken at the first page shorter than the ${served} served`;
    const shiftSeen = noted === undefined ? undefined : { reason: noted, received: read.size, expected: undefined, pagesRead, pageCount };
    return { kind: 'unproven', instances, total: undefined, reason, shift: shiftSeen };
  }
  if (noted === undefined && seenOn.size !== total) {
    shift(`the pages held ${seenOn.size} distinct instances, not the ${total} Novita announced (pages shifted while they were read)`);
    if (stopped) return { kind: 'shifted', ...(stopped as ListingShift), instances };
  }
  if (noted !== undefined) {
    return {
      kind: 'unproven',
      instances,
      total,
      reason: noted,
      shift: { reason: noted, received: read.size, expected: total, pagesRead, pageCount },
    };
  }
  return { kind: 'complete', listing: { instances, total } };
}

type FirstPages =
  | { kind: 'empty'; proven: true }
  | { kind: 'empty'; proven: false; reason: string }
  | { kind: 'undecided'; shift: ListingShift; pageZero: ListingPage; pageOne: ListingPage }
  | { kind: 'read'; base: 0 | 1; pages: Map<number, ListingPage> };

async function readFirstPages(options: SingleWalkOptions, signal: AbortSignal): Promise<FirstPages> {
  const known = options.firstPageNum;
  if (known !== undefined) {
    try {
      return { kind: 'read', base: known, pages: new Map([[0, await options.readPage(known, signal)]]) };
    } catch (error) {
      if (options.notFoundListingIsEmpty && options.isNotFound(error))
        return { kind: 'empty', proven: false, reason: NOT_FOUND_EMPTY_REASON };
      throw error;
    }
  }

  // Probe both numberings at once: pageNum 0 and 1 of a 0-based API are two different pages; a
  // 1-based API answers pageNum 0 with the first page again, with nothing, or with a 400.
  const [zero, one] = await Promise.allSettled([options.readPage(0, signal), options.readPage(1, signal)]);
  if (one.status === 'rejected') {
    if (options.notFoundListingIsEmpty && options.isNotFound(one.reason) && zero.status === 'rejected' && options.isNotFound(zero.reason))
      return { kind: 'empty', proven: false, reason: NOT_FOUND_EMPTY_REASON };
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
    kind: 'undecided',
    shift: {
      reason: `could not tell whether pages count from 0 or 1, because ${because}`,
      received: 0,
      expected: pageOne.total,
      pagesRead: 2,
      pageCount: undefined,
    },
    pageZero,
    pageOne,
  });
  if (pageZero.total !== pageOne.total)
    return undecided(`the total changed from ${String(pageZero.total)} to ${String(pageOne.total)} between the two first pages`);
  if (zeroIds.length === 0 && oneIds.size === 0) {
    if (pageOne.total === 0) return { kind: 'empty', proven: true };
    if (pageOne.total === undefined) return { kind: 'empty', proven: false, reason: EMPTY_WITHOUT_TOTAL_REASON };
  }
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
