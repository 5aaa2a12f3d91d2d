import { z } from 'zod';
import type { Reconciler, SyncOptions } from '../core/reconciler.js';
import type { SyncReport } from '../core/report.js';
import { errorResult, successResult, validationResult, type HandlerCallOptions, type HttpResult } from './envelope.js';
import { booleanOption, checkHandlerOptions, functionOption, notify, requireReconcilerMethod } from './handler-options.js';
import { parseRequestInput, requestBoolean } from './request-input.js';

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

/** The fields a sync request may carry (JSON body or query string). */
export interface SyncRequestInput {
  /** Decide everything, write nothing. @default false */
  dryRun?: boolean;
  /** `false` refreshes statuses but leaves obsolete records alone. @default true */
  handleObsoleteInstances?: boolean;
  /** Proceed although the safety limit tripped; refused unless the handler has `allowForce`. @default false */
  forceSync?: boolean;
}

/** A sync handler: takes the request body or query, resolves `{ status, body }`, never rejects. */
export type SyncHandler = (input: unknown, options?: HandlerCallOptions) => Promise<HttpResult<SyncReport>>;

const syncRequestSchema = z.object({
  dryRun: requestBoolean.optional(),
  handleObsoleteInstances: requestBoolean.optional(),
  forceSync: requestBoolean.optional(),
});

/**
 * Wraps `reconciler.sync()` as a framework-agnostic HTTP handler for `POST /api/instances/sync`. It
 * validates the request body or query (`dryRun`, `handleObsoleteInstances`, `forceSync`; booleans or the
 * strings `"true"`/`"false"`; unknown fields refused), runs one sync, and resolves `{ status, body }`:
 *
 * | status | `body` |
 * |---|---|
 * | 200 | `{ success: true, message, data: SyncReport }` (also when the safety limit tripped: see `data.safety`) |
 * | 400 | `VALIDATION_ERROR`, naming the field; `forceSync: true` without `allowForce` |
 * | 409 | `SYNC_IN_PROGRESS`: another replica holds the lock |
 * | 502 | `NOVITA_API`, `NOVITA_AUTH`, `NOVITA_INCOMPLETE_LISTING`, `NOVITA_INVALID_RESPONSE` (with `details.retryable`) |
 * | 503 | `STORE_UNAVAILABLE`; `ABORTED` (the call's `signal` fired) |
 * | 500 | anything else (`LOCK_LOST`, or `INTERNAL_ERROR` with a fixed message for a non-reconciler error) |
 *
 * A run that failed after it began writing carries what it had applied under `error.details.report`.
 * Authentication is the application's job: put the handler behind it.
 *
 * @throws {ConfigError} at creation, naming `reconciler` or the option at fault.
 *
 * @example Express
 * ```ts
 * const sync = createSyncHandler(reconciler);
 * app.post('/api/instances/sync', requireAdmin, express.json(), async (req, res) => {
 *   const { status, body } = await sync({ ...req.query, ...req.body });
 *   res.status(status).json(body);
 * });
 * ```
 *
 * @example Fastify
 * ```ts
 * fastify.post('/api/instances/sync', async (request, reply) => {
 *   const { status, body } = await sync(request.body ?? request.query);
 *   return reply.code(status).send(body);
 * });
 * ```
 *
 * @example Next.js route handler (app/api/instances/sync/route.ts)
 * ```ts
 * export async function POST(request: Request) {
 *   const input = request.headers.get('content-type')?.includes('json') ? await request.json() : new URL(request.url).searchParams;
 *   const { status, body } = await sync(input, { signal: request.signal });
 *   return Response.json(body, { status });
 * }
 * ```
 */
export function createSyncHandler(reconciler: Pick<Reconciler, 'sync'>, options: SyncHandlerOptions = {}): SyncHandler {
  requireReconcilerMethod(reconciler, 'sync');
  const checked = checkHandlerOptions(options, { allowForce: booleanOption, onError: functionOption });
  const allowForce = (checked.allowForce as boolean | undefined) ?? false;
  const onError = checked.onError as ((error: unknown) => void) | undefined;

  return async (input, callOptions = {}) => {
    const parsed = parseRequestInput(syncRequestSchema, input);
    if (!parsed.ok) return validationResult(parsed.issues);
    const request = parsed.value;
    if (request.forceSync === true && !allowForce) {
      return validationResult([{ field: 'forceSync', message: 'is not allowed on this endpoint (the handler was created without allowForce)' }]);
    }
    const syncOptions: SyncOptions = {};
    if (request.dryRun !== undefined) syncOptions.dryRun = request.dryRun;
    if (request.handleObsoleteInstances !== undefined) syncOptions.handleObsoleteInstances = request.handleObsoleteInstances;
    if (request.forceSync !== undefined) syncOptions.forceSync = request.forceSync;
    if (callOptions.signal !== undefined) syncOptions.signal = callOptions.signal;
    try {
      const report = await reconciler.sync(syncOptions);
      return successResult(describeSync(report), report);
    } catch (error) {
      notify(onError, error);
      return errorResult(error);
    }
  };
}

function describeSync(report: SyncReport): string {
  const held = report.safety.tripped && !report.safety.overridden ? '; safety limit tripped: obsolete handling held back' : '';
  const forced = report.safety.tripped && report.safety.overridden ? '; safety limit tripped and overridden by forceSync' : '';
  if (report.dryRun) return `Dry run completed: ${report.actions.length} actions planned, nothing written${held}${forced}`;
  return `Sync completed: ${report.updated} updated, ${report.markedTerminated} marked terminated, ${report.removed} removed, ${report.adopted} adopted${held}${forced}`;
}
