import { z } from 'zod';
import type { Reconciler, SyncOptions } from '../core/reconciler.js';
import type { SyncReport } from '../report.js';
import { booleanOption, checkOptionKeys, functionOption } from '../options.js';
import { errorResult, internalErrorResult, successResult, validationResult, type HandlerCallOptions, type HttpResult } from './envelope.js';
import { markHandler } from './handler-kind.js';
import { notify, readCallSignal, requireReconcilerMethod } from './handler-options.js';
import { parseRequestInput, requestBoolean } from './request-input.js';
import { RUN_OPTION_NAMES, type RunOptionName, type RunOptionsInput } from '../core/config/run-options.js';

/** Options of {@link createSyncHandler}. */
export interface SyncHandlerOptions {
  /**
   * Accept `forceSync: true`, which runs obsolete handling although the safety limit tripped. Off by
   * default: whoever can reach the endpoint could otherwise mass-terminate records after a bad listing.
   * `forceSync: false` is accepted either way.
   * @default false
   */
  allowForce?: boolean;
  /**
   * Called with every error a run rejected with (not with validation failures), before the handler
   * answers: the place to log it, because a 500 answer hides what an unexpected error said. Errors it
   * throws are ignored.
   * @default none
   */
  onError?: (error: unknown) => void;
}

/**
 * The fields a sync request may carry (JSON body or query string): the run options, each optional
 * (`forceSync: true` is refused unless the handler has `allowForce`).
 */
export type SyncRequestInput = RunOptionsInput;

/** A sync handler: takes the request body or query, resolves `{ status, body }`, never rejects. */
export type SyncHandler = (input: unknown, options?: HandlerCallOptions) => Promise<HttpResult<SyncReport>>;

const syncRequestSchema = z.object(
  Object.fromEntries(RUN_OPTION_NAMES.map((name) => [name, requestBoolean.optional()])) as Record<
    RunOptionName,
    z.ZodOptional<typeof requestBoolean>
  >,
);

/**
 * Wraps `reconciler.sync()` as a framework-agnostic HTTP handler for `POST /api/instances/sync`. It
 * validates the request fields (`dryRun`, `handleObsoleteInstances`, `forceSync`; booleans or the
 * strings `"true"`/`"false"`; unknown fields refused), runs one sync, and resolves `{ status, body }`:
 *
 * | status | `body` |
 * |---|---|
 * | 200 | `{ success: true, message, data: SyncReport }` (also when the safety limit tripped: see `data.safety`) |
 * | 400 | `VALIDATION_ERROR`, naming the field; `forceSync: true` without `allowForce`; input that could not be read |
 * | 409 | `SYNC_IN_PROGRESS`: another replica holds the lock |
 * | 502 | `NOVITA_API`, `NOVITA_AUTH`, `NOVITA_INCOMPLETE_LISTING`, `NOVITA_INVALID_RESPONSE` (with `details.retryable`) |
 * | 503 | `STORE_UNAVAILABLE`; `ABORTED` (the call's `signal` fired) |
 * | 500 | anything else (`LOCK_LOST`, or `INTERNAL_ERROR` with a fixed message for a non-reconciler error) |
 *
 * The handler never rejects and never runs a sync on input it could not read: a throwing getter or
 * Proxy, an array, or an object that is not plain (a `Request` handed over instead of its body) is a
 * 400. The answer repeats at most ten unknown field names and counts the rest.
 *
 * Mount it with {@link toNodeHandler} or {@link toFetchHandler}, which read the body themselves and
 * refuse a body they do not understand (calling the handler with a framework's `req.body` runs a real
 * sync with the defaults when the framework had no parser for the body that came).
 *
 * A run that failed after it began writing carries what it had applied under `error.details.report`.
 * Authentication is the application's job: put the handler behind it.
 *
 * @throws {ConfigError} at creation, naming `reconciler` or the option at fault.
 *
 * @example Express
 * ```ts
 * app.post('/api/instances/sync', requireAdmin, toNodeHandler(createSyncHandler(reconciler)));
 * ```
 *
 * @example Next.js route handler (app/api/instances/sync/route.ts)
 * ```ts
 * export const POST = toFetchHandler(createSyncHandler(reconciler));
 * ```
 */
export function createSyncHandler(reconciler: Pick<Reconciler, 'sync'>, options: SyncHandlerOptions = {}): SyncHandler {
  requireReconcilerMethod(reconciler, 'sync');
  const checked = checkOptionKeys<SyncHandlerOptions>('createSyncHandler', options, ['allowForce', 'onError']);
  const allowForce = booleanOption('allowForce', checked.allowForce, false);
  const onError = functionOption<(error: unknown) => void>('onError', checked.onError);

  const handler: SyncHandler = async (input, callOptions) => {
    try {
      const parsed = parseRequestInput(syncRequestSchema, input);
      if (!parsed.ok) return validationResult(parsed.issues);
      const request = parsed.value;
      if (request.forceSync === true && !allowForce) {
        return validationResult([
          { field: 'forceSync', message: 'is not allowed on this endpoint (the handler was created without allowForce)' },
        ]);
      }
      const syncOptions: SyncOptions = { ...(request satisfies SyncRequestInput) };
      let report: SyncReport;
      try {
        const signal = readCallSignal(callOptions);
        if (signal !== undefined) syncOptions.signal = signal;
        report = await reconciler.sync(syncOptions);
      } catch (error) {
        notify(onError, error);
        return errorResult(error);
      }
      return successResult(describeSync(report), report);
    } catch (error) {
      // Only a bug of ours (or a report that is not one) gets here; the promise still resolves.
      notify(onError, error);
      return internalErrorResult();
    }
  };
  return markHandler(handler, 'sync');
}

function describeSync(report: SyncReport): string {
  const held = report.safety.tripped && !report.safety.overridden ? '; safety limit tripped: obsolete handling held back' : '';
  const forced = report.safety.tripped && report.safety.overridden ? '; safety limit tripped and overridden by forceSync' : '';
  if (report.dryRun) return `Dry run completed: ${report.actions.length} actions planned, nothing written${held}${forced}`;
  return `Sync completed: ${report.updated} updated, ${report.markedTerminated} marked terminated, ${report.removed} removed, ${report.adopted} adopted${held}${forced}`;
}
