/**
 * Which orphans a run would end (`policy.novitaOnly: 'stop' | 'delete'`), and the fraction limit on
 * them. Pure: the run reads the store and Novita around it (run/end-orphans.ts).
 */
import type { NovitaOnlyInstance } from '../../report.js';

/** An orphan a run would end, and how. */
export interface OrphanCandidate {
  kind: 'stop' | 'delete';
  novitaInstanceId: string;
  name: string | null;
  ageMinutes: number;
}

/** Novita statuses of an instance that is stopped or stopping: never stopped again. */
export const STOPPED_OR_STOPPING: ReadonlySet<string> = new Set(['toStop', 'stopping', 'exited']);

const MINUTE = 60_000;

/**
 * The orphans to end, oldest first (then by id): owned Novita-only instances whose age Novita gave and
 * is at least `graceMinutes` (an unknown age is never ended). `stop` one that is neither stopped nor
 * stopping; with `delete`, delete one that is `exited` and that this library stopped at least
 * `graceMinutes` before `now` (by `stops`, its stop times), stop the others first.
 */
export function orphanCandidates(input: {
  novitaOnly: readonly NovitaOnlyInstance[];
  mode: 'stop' | 'delete';
  graceMinutes: number;
  /** When this library stopped each orphan (ISO 8601), for `delete`. */
  stops: Readonly<Record<string, string>>;
  now: Date;
}): OrphanCandidate[] {
  const candidates: OrphanCandidate[] = [];
  for (const instance of input.novitaOnly) {
    const { ageMinutes } = instance;
    if (!instance.owned || ageMinutes === null || ageMinutes < input.graceMinutes) continue;
    let kind: OrphanCandidate['kind'] | undefined;
    if (!STOPPED_OR_STOPPING.has(instance.status)) kind = 'stop';
    else if (input.mode === 'delete' && instance.status === 'exited') {
      const stoppedAt = Date.parse(input.stops[instance.novitaInstanceId] ?? '');
      if (Number.isFinite(stoppedAt) && input.now.getTime() - stoppedAt >= input.graceMinutes * MINUTE) kind = 'delete';
    }
    if (kind) candidates.push({ kind, novitaInstanceId: instance.novitaInstanceId, name: instance.name, ageMinutes });
  }
  return candidates.sort((a, b) => b.ageMinutes - a.ageMinutes || (a.novitaInstanceId < b.novitaInstanceId ? -1 : 1));
}

/**
 * The orphans' own fraction limit: a run ends orphans only while they are at most `maxFraction` of the
 * instances in scope (listed, owned, not being deleted). More than that looks like records the run cannot
 * see (a wrong prefix, an empty store): then none is ended. `forceSync` does not lift it.
 */
export function orphanFractionAllows(candidates: number, instancesInScope: number, maxFraction: number): boolean {
  return candidates <= Math.floor(maxFraction * instancesInScope);
}
