import { z } from 'zod';
import type { ListInstancesOptions, ListInstancesResult, Reconciler } from '../core/reconciler.js';
import { checkOptionKeys, functionOption } from '../options.js';
import { errorResult, internalErrorResult, successResult, validationResult, type HandlerCallOptions, type HttpResult } from './envelope.js';
import { markHandler } from './handler-kind.js';
import { notify, readCallSignal, requireReconcilerMethod } from './handler-options.js';
import { parseRequestInput, requestBoolean } from './request-input.js';

/** Options of {@link createListHandler}. */
export interface ListHandlerOptions {
  /** Called with every error the listing rejected with, before the handler answers. Errors it throws are ignored. @default none */
  onError?: (error: unknown) => void;
}

/** The fields a list request may carry (query string or JSON body). */
export interface ListRequestInput {
  /** Include Novita instances that no record names. @default true */
  includeNovitaOnly?: boolean;
  /** Run a sync first (with the default options) and return its report beside the view. @default false */
  syncLocalState?: boolean;
}

/** A list handler: takes the request query or body, resolves `{ status, body }`, never rejects. */
export type ListHandler = (input: unknown, options?: HandlerCallOptions) => Promise<HttpResult<ListInstancesResult>>;

const listRequestSchema = z.object({
  includeNovitaOnly: requestBoolean.optional(),
  syncLocalState: requestBoolean.optional(),
});

/**
 * Wraps `reconciler.listInstances()` as a framework-agnostic HTTP handler for `GET /api/instances`.
 * It validates the request fields (`includeNovitaOnly`, `syncLocalState`; booleans or the strings
 * `"true"`/`"false"`; unknown fields refused) and resolves `{ status, body }` with
 * `data: { instances, counts, report? }` (the merged view; Novita fields are whitelisted, records are
 * returned whole, so put the handler behind the application's authentication). Statuses as for
 * {@link createSyncHandler}: 400, 409 (with `syncLocalState`), 502, 503, 500. Never rejects, whatever
 * the input.
 *
 * @throws {ConfigError} at creation, naming `reconciler` or the option at fault.
 *
 * @example Express
 * ```ts
 * app.get('/api/instances', requireAdmin, toNodeHandler(createListHandler(reconciler)));
 * ```
 *
 * @example Next.js route handler (app/api/instances/route.ts)
 * ```ts
 * export const GET = toFetchHandler(createListHandler(reconciler));
 * ```
 */
export function createListHandler(reconciler: Pick<Reconciler, 'listInstances'>, options: ListHandlerOptions = {}): ListHandler {
  requireReconcilerMethod(reconciler, 'listInstances');
  const checked = checkOptionKeys<ListHandlerOptions>('createListHandler', options, ['onError']);
  const onError = functionOption<(error: unknown) => void>('onError', checked.onError);

  const handler: ListHandler = async (input, callOptions) => {
    try {
      const parsed = parseRequestInput(listRequestSchema, input);
      if (!parsed.ok) return validationResult(parsed.issues);
      const listOptions: ListInstancesOptions = {};
      if (parsed.value.includeNovitaOnly !== undefined) listOptions.includeNovitaOnly = parsed.value.includeNovitaOnly;
      if (parsed.value.syncLocalState !== undefined) listOptions.syncLocalState = parsed.value.syncLocalState;
      let view: ListInstancesResult;
      try {
        const signal = readCallSignal(callOptions);
        if (signal !== undefined) listOptions.signal = signal;
        view = await reconciler.listInstances(listOptions);
      } catch (error) {
        notify(onError, error);
        return errorResult(error);
      }
      const { counts } = view;
      const verb = view.report ? 'Synced, then listed' : 'Listed';
      return successResult(
        `${verb} ${counts.total} instances: ${counts.merged} merged, ${counts.local} local only, ${counts.novita} Novita only`,
        view,
      );
    } catch (error) {
      notify(onError, error);
      return internalErrorResult();
    }
  };
  return markHandler(handler, 'list');
}
