/**
 * Which endpoint a handler serves, kept on the handler function itself, so that an adapter knows the
 * methods to accept (`POST` to sync, `GET` to list) without being told, and refuses a function that is
 * not one of ours. A `Symbol.for` key, so the mark survives the ESM and CJS copies of the package.
 */
const HANDLER_KIND = Symbol.for('novita-reconciler.http-handler');

/** @internal The endpoint a handler serves. */
export type HandlerKind = 'sync' | 'list';

/** @internal Marks `handler` as serving `kind`, and returns it. */
export function markHandler<F extends object>(handler: F, kind: HandlerKind): F {
  Object.defineProperty(handler, HANDLER_KIND, { value: kind, enumerable: false });
  return handler;
}

/** @internal The endpoint `value` serves, or `undefined` when it is not a handler of this package. */
export function handlerKindOf(value: unknown): HandlerKind | undefined {
  if (typeof value !== 'function') return undefined;
  const kind: unknown = (value as unknown as Record<symbol, unknown>)[HANDLER_KIND];
  return kind === 'sync' || kind === 'list' ? kind : undefined;
}
