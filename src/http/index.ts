/**
 * HTTP helpers: `reconciler.sync()` and `reconciler.listInstances()` as framework-agnostic handlers
 * that take the request body or query and resolve `{ status, body }` in one envelope. Exported from the
 * core entry point `novita-reconciler`.
 */
export { createSyncHandler } from './sync-handler.js';
export type { SyncHandler, SyncHandlerOptions, SyncRequestInput } from './sync-handler.js';
export { createListHandler } from './list-handler.js';
export type { ListHandler, ListHandlerOptions, ListRequestInput } from './list-handler.js';
export { httpStatusOf } from './envelope.js';
export type {
  HttpResult,
  HttpSuccessBody,
  HttpFailureBody,
  HttpErrorCode,
  HttpErrorDetails,
  HttpValidationIssue,
  HandlerCallOptions,
} from './envelope.js';
