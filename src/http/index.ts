/**
 * HTTP helpers: `reconciler.sync()` and `reconciler.listInstances()` as framework-agnostic handlers
 * that take the request fields and resolve `{ status, body }` in one envelope, and the adapters that
 * serve them over Node's `(req, res)` and the Fetch API, reading the body themselves. The entry point
 * `novita-reconciler/http`.
 */
export { createSyncHandler } from './sync-handler.js';
export type { SyncHandler, SyncHandlerOptions, SyncRequestInput } from './sync-handler.js';
export { createListHandler } from './list-handler.js';
export type { ListHandler, ListHandlerOptions, ListRequestInput } from './list-handler.js';
export { toNodeHandler } from './node-adapter.js';
export type { NodeHandler, NodeRequestLike, NodeResponseLike } from './node-adapter.js';
export { toFetchHandler } from './fetch-adapter.js';
export type { FetchHandler } from './fetch-adapter.js';
export type { HttpAdapterOptions, AdaptableHandler } from './http-adapter.js';
export { httpStatusOf } from './envelope.js';
export { requestParts } from './request-input.js';
export type { RequestParts, RequestPartsInput } from './request-input.js';
export type {
  HttpResult,
  HttpStatus,
  HttpErrorStatus,
  HttpSuccessBody,
  HttpFailureBody,
  HttpErrorCode,
  HttpErrorDetails,
  HttpValidationIssue,
  HandlerCallOptions,
} from './envelope.js';
