/**
 * Runs never overlap in one process: runs form a queue. A call whose options equal those of a run
 * that is queued or in flight shares that run's result (single flight) instead of queueing another.
 * A sharer's signal rejects only its own promise; the shared run is aborted only when every sharer
 * has aborted (and then the last sharer receives the run's own rejection, with what it applied).
 */
import { AbortedError } from '../../errors.js';

export interface FlightQueue<R> {
  /** Joins the open run with this key, or queues a new one that calls `start` with the run's signal. */
  run(key: string, start: (signal: AbortSignal) => Promise<R>, callerSignal: AbortSignal | undefined): Promise<R>;
}

interface Flight<R> {
  key: string;
  controller: AbortController;
  /** Sharers that have not aborted (a sharer without a signal never does). */
  active: number;
  started: boolean;
  promise: Promise<R>;
}

export function createFlightQueue<R>(): FlightQueue<R> {
  let tail: Promise<unknown> = Promise.resolve();
  const open: Flight<R>[] = [];

  const queue = (key: string, start: (signal: AbortSignal) => Promise<R>): Flight<R> => {
    const controller = new AbortController();
    const flight: Flight<R> = { key, controller, active: 0, started: false, promise: undefined as unknown as Promise<R> };
    const task = (): Promise<R> => {
      flight.started = true;
      if (controller.signal.aborted)
        return Promise.reject(new AbortedError('sync aborted before it started', { cause: controller.signal.reason }));
      return start(controller.signal);
    };
    flight.promise = tail.then(task, task);
    tail = flight.promise.catch(() => undefined);
    open.push(flight);
    const close = (): void => {
      const index = open.indexOf(flight);
      if (index >= 0) open.splice(index, 1);
    };
    flight.promise.then(close, close);
    return flight;
  };

  const join = (flight: Flight<R>, signal: AbortSignal | undefined): Promise<R> => {
    flight.active += 1;
    if (!signal) return flight.promise;
    return new Promise<R>((resolve, reject) => {
      let detached = false;
      const onAbort = (): void => {
        flight.active -= 1;
        if (flight.active === 0) {
          flight.controller.abort(signal.reason);
          // A run that started settles promptly (every call races its signal) and brings its report;
          // one still queued behind another run must not keep this caller waiting for that run.
          if (flight.started) return;
        }
        detached = true;
        reject(
          new AbortedError(
            flight.active === 0 ? 'sync aborted before it started' : 'sync aborted; the run it shared goes on for the other callers',
            { cause: signal.reason },
          ),
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          if (!detached) resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (!detached) reject(error);
        },
      );
    });
  };

  return {
    run(key, start, callerSignal) {
      if (callerSignal?.aborted) return Promise.reject(new AbortedError('sync aborted before it started', { cause: callerSignal.reason }));
      const flight = open.find((candidate) => candidate.key === key && !candidate.controller.signal.aborted) ?? queue(key, start);
      return join(flight, callerSignal);
    },
  };
}
