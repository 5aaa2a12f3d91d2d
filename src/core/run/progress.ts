/** Progress events of one run, at most one per phase every {@link PROGRESS_INTERVAL_MS}, and always a phase's last. */
import type { ProgressPhase, ReconcilerEvent } from '../events.js';

/** The least time between two progress events of one phase. */
export const PROGRESS_INTERVAL_MS = 100;

export interface Progress {
  /** Work done so far in `phase`; emitted when the phase's last event is old enough. */
  update(phase: ProgressPhase, done: number, total?: number): void;
  /** The phase is over: emits its final figures (the last known ones when none are given), once. */
  end(phase: ProgressPhase, done?: number, total?: number): void;
}

export function createProgress(runId: string, emit: (event: ReconcilerEvent) => void, now: () => number = Date.now): Progress {
  const state = new Map<ProgressPhase, { done: number; total: number | undefined; emittedAt: number; emitted: boolean }>();
  const send = (phase: ProgressPhase, done: number, total: number | undefined): void =>
    emit({ type: 'progress', runId, phase, done, ...(total === undefined ? {} : { total }) });
  return {
    update(phase, done, total) {
      const current = state.get(phase) ?? { done: 0, total: undefined, emittedAt: Number.NEGATIVE_INFINITY, emitted: false };
      current.done = done;
      if (total !== undefined) current.total = total;
      state.set(phase, current);
      const time = now();
      if (time - current.emittedAt < PROGRESS_INTERVAL_MS) {
        current.emitted = false;
        return;
      }
      current.emittedAt = time;
      current.emitted = true;
      send(phase, current.done, current.total);
    },
    end(phase, done, total) {
      const current = state.get(phase);
      if (current === undefined && done === undefined) return; // the phase never ran
      const finalDone = done ?? current?.done ?? 0;
      const finalTotal = total ?? current?.total;
      if (current?.emitted && current.done === finalDone && current.total === finalTotal) return;
      state.set(phase, { done: finalDone, total: finalTotal, emittedAt: now(), emitted: true });
      send(phase, finalDone, finalTotal);
    },
  };
}
