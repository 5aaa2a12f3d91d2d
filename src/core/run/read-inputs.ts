/**
 * What a run reads: Novita's listing (checked for completeness) and every stored record, read while the
 * listing is (step 1). Also the same reads for the merged view, which runs no sync.
 */
import { NovitaApiError, StoreUnavailableError, isReconcilerError } from '../../errors.js';
import type { NovitaInstance } from '../ports/novita-client.js';
import type { InstanceRecord } from '../record.js';
import type { StoreEntry } from '../ports/store.js';
import { checkListing, type CheckedListing } from './check-listing.js';
import { raceCall, raceIterable, RaceLostError } from '../runtime/deadline.js';
import { createProgress } from './progress.js';
import { throwIfAborted, type Run } from './run.js';
import { asStoreError, describeError, type RunContext } from './run-context.js';

/**
 * Steps 1 and the read: the listing, and every stored record read meanwhile (the two overlap). The
 * listing is checked for completeness before anything is planned; when it fails, the read is abandoned.
 */
export async function readListingAndRecords(run: Run): Promise<{ listing: CheckedListing; entries: StoreEntry[] }> {
  const reading = new AbortController();
  const readSignal = run.signal ? AbortSignal.any([run.signal, reading.signal]) : reading.signal;
  const records = readRecords(run, readSignal);
  records.catch(() => undefined); // awaited below; a listing failure must not leave it unhandled
  let listing: CheckedListing;
  try {
    listing = await readListing(run);
  } catch (error) {
    reading.abort(new Error('the listing failed'));
    throw error;
  }
  return { listing, entries: await records };
}

async function readListing(run: Run): Promise<CheckedListing> {
  const { context, id: runId, signal: runSignal, progress } = run;
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
    throwIfAborted(run);
    if (isReconcilerError(error)) throw error;
    const detail = error instanceof RaceLostError ? `no complete listing within ${context.listingTimeoutMs} ms` : describeError(error);
    throw new NovitaApiError(`Novita listing failed: ${detail}`, { cause: error, endpoint: 'listInstances' });
  }
  const checked = checkListing(listing);
  progress.end('listing');
  return checked;
}

async function readRecords(run: Run, readSignal: AbortSignal): Promise<StoreEntry[]> {
  const { context, progress } = run;
  const entries: StoreEntry[] = [];
  try {
    const batches = context.store.readBatches({ batchSize: context.readBatchSize, signal: readSignal });
    for await (const batch of raceIterable(batches, readSignal, context.storeTimeoutMs)) {
      for (const entry of batch) entries.push(entry);
      progress.update('reading', entries.length);
    }
  } catch (error) {
    throwIfAborted(run);
    if (error instanceof RaceLostError && error.kind === 'timeout')
      throw new StoreUnavailableError(`reading the store failed: no answer within ${error.timeoutMs} ms`, { cause: error });
    throw asStoreError(error, 'reading the store failed');
  }
  progress.end('reading', entries.length);
  return entries;
}

/** The records and instances of the merged view, in this reconciler's scope. */
export interface ViewInputs {
  /** The valid records in scope, in the store's order. */
  records: InstanceRecord[];
  /** The listed instances in scope. */
  instances: NovitaInstance[];
}

/**
 * The reads of the merged view (no run): the listing, checked like a run's (or the one a sync just
 * read: `listed`), then the valid records; both limited to the scope here, the one place the view asks it.
 */
export async function readView(context: RunContext, signal: AbortSignal | undefined, listed?: NovitaInstance[]): Promise<ViewInputs> {
  const view: Run = { context, id: 'view', signal, lease: null, progress: createProgress('view', () => undefined) };
  const instances = listed ?? (await readListing(view)).instances;
  const entries = await readRecords(view, signal ?? new AbortController().signal);
  const records = entries.flatMap((entry) => (entry.record ? [entry.record] : []));
  const { scope } = context;
  return {
    records: scope?.record ? records.filter((record) => scope.record?.(record)) : records,
    instances: scope?.instance ? instances.filter((instance) => scope.instance?.(instance)) : instances,
  };
}
