/**
 * The fake's `GET /gpu/instances`: Novita's pagination (`pageSize`, `pageNum` from 0 or 1, unknown
 * parameters ignored), its filters, and the listing faults (`omit-item`, `total`, `repeat-page`).
 */
import type { FakeFault } from './fake-faults.js';
import type { FakeInstanceState } from './fake-instance.js';
import { renderListItem } from './fake-instance.js';
import type { ResolvedFakeOptions } from './fake-options.js';

/** Novita's error body. */
export function envelope(code: number, reason: string, message: string): Record<string, unknown> {
  return { code, reason, message, metadata: {} };
}

/**
 * An error body as a relay in front of Novita was seen to answer: `{"code": 0, "message", "type"}`,
 * no `reason`, so nothing in it can prove an instance gone.
 */
export function relayErrorBody(body: Record<string, unknown>): Record<string, unknown> {
  const reason = typeof body.reason === 'string' ? body.reason : 'UNKNOWN';
  return { code: 0, message: body.message ?? 'error', type: reason.toLowerCase() };
}

/** The fleet in listing order (Novita's own order is undocumented). */
export function orderInstances(all: FakeInstanceState[], order: ResolvedFakeOptions['order']): FakeInstanceState[] {
  const direction = order === 'oldest-first' ? 1 : -1;
  return all.sort((a, b) => (a.createdAtMs - b.createdAtMs) * direction || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The answer to one listing request, with the faults that hit it applied. */
export function listPage(
  query: Record<string, string>,
  hitting: readonly FakeFault[],
  options: ResolvedFakeOptions,
  ordered: FakeInstanceState[],
): { status: number; body: Record<string, unknown> } {
  const { firstPageNum, belowFirstPage, defaultPageSize, maxPageSize } = options;
  const sizeText = query.pageSize;
  const numText = query.pageNum;
  if ((sizeText !== undefined && !/^\d+$/.test(sizeText)) || (numText !== undefined && !/^-?\d+$/.test(numText))) {
    return { status: 400, body: envelope(400, 'VALIDATOR_PARAM', 'pageSize and pageNum must be integers') };
  }
  const asked = sizeText === undefined || Number(sizeText) === 0 ? defaultPageSize : Number(sizeText);
  const served = Math.min(asked, maxPageSize);
  let pageNum = numText === undefined ? firstPageNum : Number(numText);
  let emptyPage = false;
  if (pageNum < firstPageNum) {
    if (belowFirstPage === 'error')
      return { status: 400, body: envelope(400, 'VALIDATOR_PARAM', `pageNum must be at least ${firstPageNum}`) };
    if (belowFirstPage === 'empty') emptyPage = true;
    pageNum = firstPageNum;
  }
  const repeat = hitting.find((fault) => fault.kind === 'repeat-page');
  const index = repeat?.kind === 'repeat-page' ? repeat.servePage - 1 : pageNum - firstPageNum;
  const filtered = query.name !== undefined || query.productName !== undefined || query.status !== undefined;
  const matching = !filtered
    ? ordered
    : ordered.filter(
        (instance) =>
          (query.name === undefined || instance.name.includes(query.name)) &&
          (query.productName === undefined || instance.productName.includes(query.productName)) &&
          (query.status === undefined || instance.status === query.status),
      );
  if (matching.length === 0 && options.emptyListingIsNotFound) {
    return { status: 400, body: envelope(400, 'RESOURCE_NOT_FOUND', 'no instances found') };
  }
  let items = emptyPage ? [] : matching.slice(index * served, index * served + served).map((instance) => renderListItem(instance, options));
  let total = matching.length;
  for (const fault of hitting) {
    if (fault.kind === 'omit-item' && items.length > 0) {
      const omitted = Math.min(fault.index ?? 0, items.length - 1);
      items = items.filter((_, position) => position !== omitted);
    }
    if (fault.kind === 'total') total = fault.total;
  }
  // Novita's current reference shows the page as `{"instances": [...]}` alone.
  if (!options.listingTotal) return { status: 200, body: { instances: items } };
  return {
    status: 200,
    body: {
      instances: items,
      total,
      pageSize: served,
      pageNum: numText === undefined ? firstPageNum : Number(numText),
    },
  };
}
