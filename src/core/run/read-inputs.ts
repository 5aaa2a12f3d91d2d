/**
 * What a run reads: Novita's listing (checked for completeness) and every stored record, read while the
 * listing is (step 1). Also the same reads for the merged view, which runs no sync.
 */
import { NovitaApiError, StoreUnavailableError, isReconcilerError } from '../../errors.js';
import type { LockLease } from '../ports/lock.js';
import type { NovitaInstance } from '../ports/novita-client.js';
import type { InstanceRecord } from '../record.js';
import type { StoreEntry } from '../ports/store.js';
import { checkListing, type CheckedListing } from './check-listing.js';
import { raceCall, raceIterable, RaceLostError } from '../runtime/deadline.js';
import { createProgress, type Progress } from './progress.js';
import { abortError, asStoreError, describeError, type RunContext } from './run-context.js';

/**
 * Steps 1 and the read: the listing, and every stored record read meanwhile (the two overlap). The
 * listing is checked for completeness before anything is planned; when it fails, the read is abandoned.
 */
export async function readListingAndRecords(
  context: RunContext,
  runId: string,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<{ listing: CheckedListing; entries: StoreEntry[] }> {
  const reading = new AbortController();
  const readSignal = runSignal ? AbortSignal.any([runSignal, reading.signal]) : reading.signal;
  const records = readRecords(context, readSignal, runSignal, lease, progress);
  records.catch(() => undefined); // awaited below; a listing failure must not leave it unhandled
  let listing: CheckedListing;
  try {
    listing = await readListing(context, runId, runSignal, lease, progress);
  } catch (error) {
    reading.abort(new Error('the listing failed'));
    throw error;
  }
  return { listing, entries: await records };
}

async function readListing(
  context: RunContext,
  runId: string,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<CheckedListing> {
  let listing: unknown;
  try {
    listing = await raceCall(
      () =>
        context.novitaClient.listInstances({
          ...(runSignal ? { signal: runSignal } : {}),
          onRestart: ({ walk, reason }) => {
            context.log('warn', { runId, walk, reason }, 'Novita listing shifted while it was read; reading it again');
            context.emit({ type: 'listing-restarted', runId, walk, reason });
          },
          onProgress: ({ pagesRead, pagesTotal }) => progress.update('listing', pagesRead, pagesTotal),
        }),
      runSignal,
      context.listingTimeoutMs,
    );
  } catch (error) {
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    if (isReconcilerError(error)) throw error;
    const detail = error instanceof RaceLostError ? `no complete listing within ${context.listingTimeoutMs} ms` : describeError(error);
    throw new NovitaApiError(`Novita listing failed: ${detail}`, { cause: error, endpoint: 'listInstances' });
  }
  const checked = checkListing(listing);
  progress.end('listing');
  return checked;
}

async function readRecords(
  context: RunContext,
  readSignal: AbortSignal,
  runSignal: AbortSignal | undefined,
  lease: LockLease | null,
  progress: Progress,
): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  try {
    const batches = context.store.readBatches({ batchSize: context.readBatchSize, signal: readSignal });
    for await (const batch of raceIterable(batches, readSignal, context.storeTimeoutMs)) {
      for (const entry of batch) entries.push(entry);
      progress.update('reading', entries.length);
    }
  } catch (error) {
    if (runSignal?.aborted) throw abortError(runSignal, lease);
    if (error instanceof RaceLostError && error.kind === 'timeout')
      throw new StoreUnavailableError(`reading the store failed: no answer within ${error.timeoutMs} ms`, { cause: error });
    throw asStoreError(error, 'reading the store failed');
  }
  progress.end('reading', entries.length);
  return entries;
}

/** The listing for the merged view (no run): checked like a run's. */
export async function readViewListing(context: RunContext, signal: AbortSignal | undefined): Promise<NovitaInstance[]> {
  return (
    await readListing(
      context,
      'view',
      signal,
      null,
      createProgress('view', () => undefined),
    )
  ).instances;
}

/** The valid records for the merged view (no run). */
export async function readViewRecords(context: RunContext, signal: AbortSignal | undefined): Promise<InstanceRecord[]> {
  const entries = await readRecords(
    context,
    signal ?? new AbortController().signal,
    signal,
    null,
    createProgress('view', () => undefined),
  );
  return entries.flatMap((entry) => (entry.record ? [entry.record] : []));
}
