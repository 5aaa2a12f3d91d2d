/**
 * The hold switch for people: `setHold` / `releaseHold` (the CLI's `novita-reconcile hold` / `release`)
 * set and clear a flag the store keeps next to the records. While it is set, every run on that store, on
 * every replica, holds back every destructive action (`skipped.limit`, `limits.hold`) and keeps
 * refreshing statuses: the machine stops ending things without the service stopping.
 */
import { ConfigError } from '../errors.js';
import { checkOptionKeys, functionOption } from '../options.js';
import { DESTRUCTIVE_GUARD_METHODS, keepsDestructiveGuards, type DestructiveGuardStore, type DestructiveHold } from './ports/store.js';

/** Options of {@link setHold}. */
export interface SetHoldOptions {
  /** Why, for the people who will see it in reports, logs and the audit trail. @default '' */
  reason?: string;
  /** Who sets it. @default '' (the CLI passes `user@host`) */
  by?: string;
  /** The time source of `at`. @default () => new Date() */
  clock?: () => Date;
}

const MAX_TEXT = 500;

function guardStoreOf(store: unknown): DestructiveGuardStore {
  if (typeof store !== 'object' || store === null) throw new ConfigError('store', 'must be a store', { received: store });
  if (!keepsDestructiveGuards(store))
    throw new ConfigError(
      'store',
      `cannot keep a hold: it has none of ${DESTRUCTIVE_GUARD_METHODS.join(', ')} (the memory and Redis stores have them)`,
    );
  return store;
}

function textOption(field: string, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new ConfigError(field, 'must be a string', { received: value });
  if (value.length > MAX_TEXT)
    throw new ConfigError(field, `must be at most ${MAX_TEXT} characters`, { received: `${value.slice(0, 40)}...` });
  return value;
}

/**
 * Sets the hold on a store (replacing one already set) and resolves it as stored. Every run on the
 * store, on every replica, then holds back every destructive action until {@link releaseHold}.
 *
 * @example
 * ```ts
 * await setHold(store, { reason: 'Novita incident 42: listing unreliable', by: 'alice' });
 * ```
 */
export async function setHold(store: object, options: SetHoldOptions = {}): Promise<DestructiveHold> {
  const guards = guardStoreOf(store);
  const checked = checkOptionKeys<SetHoldOptions>('setHold', options, ['reason', 'by', 'clock']);
  const clock = functionOption<() => Date>('clock', checked.clock) ?? (() => new Date());
  const hold: DestructiveHold = {
    reason: textOption('reason', checked.reason),
    by: textOption('by', checked.by),
    at: clock().toISOString(),
  };
  await guards.setHold(hold);
  return hold;
}

/** Options of {@link releaseHold}. */
export interface ReleaseHoldOptions {
  /** Who releases it, for a store that keeps an audit trail. @default '' */
  by?: string;
}

/** Clears the hold; resolves the hold that was set, or `null` when none was. */
export async function releaseHold(store: object, options: ReleaseHoldOptions = {}): Promise<DestructiveHold | null> {
  const guards = guardStoreOf(store);
  const checked = checkOptionKeys<ReleaseHoldOptions>('releaseHold', options, ['by']);
  return guards.clearHold({ by: textOption('by', checked.by) });
}

/** The hold set on a store, or `null`. */
export async function readHold(store: object): Promise<DestructiveHold | null> {
  return guardStoreOf(store).readHold();
}
