/**
 * One abort listener per signal, however many waits share it. A listing of 60 pages, or 200
 * `getInstance` calls under one caller signal, would otherwise add a listener per page or call (in the
 * gate, the retry sleep and each attempt) and trip Node's `MaxListenersExceededWarning` at 11, which
 * trains people to ignore the warning that would reveal a real leak. `AbortSignal.any` is avoided too:
 * how it links to its sources (listeners or weak references, and when they are let go) has changed
 * between Node releases, while a link made here ends exactly when the wait ends.
 */

type AbortCallback = () => void;

interface Subscribers {
  callbacks: Set<AbortCallback>;
  listener: () => void;
}

// Weak: a signal nobody waits on any more is not kept alive by this table.
const subscribersBySignal = new WeakMap<AbortSignal, Subscribers>();

const NO_OP = (): void => {};

/**
 * Calls `callback` once when `signal` aborts (at once when it already has) and returns the function
 * that cancels the subscription. Every subscription to one signal shares a single real listener,
 * removed again when the last subscription ends. Always call the returned function when the wait ends
 * (in `finally`): that is what keeps the listener count at one.
 */
export function onAbort(signal: AbortSignal, callback: AbortCallback): () => void {
  if (signal.aborted) {
    callback();
    return NO_OP;
  }
  let subscribers = subscribersBySignal.get(signal);
  if (!subscribers) {
    const callbacks = new Set<AbortCallback>();
    const listener = (): void => {
      subscribersBySignal.delete(signal);
      // A copy: a callback may end other subscriptions (or start new ones, which then run at once).
      for (const each of [...callbacks]) each();
      callbacks.clear();
    };
    subscribers = { callbacks, listener };
    subscribersBySignal.set(signal, subscribers);
    signal.addEventListener('abort', listener, { once: true });
  }
  // A wrapper per subscription, so that one callback subscribed twice is two subscriptions.
  const entry: AbortCallback = () => callback();
  const held = subscribers;
  held.callbacks.add(entry);
  return () => {
    if (!held.callbacks.delete(entry) || held.callbacks.size > 0) return;
    if (subscribersBySignal.get(signal) === held) {
      subscribersBySignal.delete(signal);
      signal.removeEventListener('abort', held.listener);
    }
  };
}

/** A controller aborted when `parent` aborts (with its reason), and the function that unlinks it. */
export interface LinkedAbort {
  /** The child signal: aborts with the parent, or when {@link LinkedAbort.abort} is called. */
  readonly signal: AbortSignal;
  /** Aborts the child only. */
  abort(reason?: unknown): void;
  /** Ends the link to the parent. Call it in `finally`; the child stays as it is. */
  unlink(): void;
}

/**
 * A child of `parent` (or a free-standing controller without one) that can also be aborted on its
 * own: a listing aborts its other pages when one fails, an attempt aborts itself on its timeout. The
 * replacement for `AbortSignal.any`, with the link removed when the work ends.
 */
export function linkedAbort(parent: AbortSignal | undefined): LinkedAbort {
  const controller = new AbortController();
  const unlink = parent ? onAbort(parent, () => controller.abort(parent.reason)) : NO_OP;
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    unlink,
  };
}
