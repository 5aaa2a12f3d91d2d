/**
 * The guards on destructive actions, as pure functions over a plan: which records the plan would mark
 * terminated or remove, in the order a run takes them, the per-run cap, and the plan once some of them
 * are held back. Like external-dns `plan/policy.go`, they filter a decided change set; the run
 * (core/run/guard-destructive.ts) does the I/O between them: the application's liveness check, then the
 * hold and the window budget kept by the store.
 */
import type { StoreEntry } from '../ports/store.js';
import type { InstanceRecord } from '../record.js';
import type { DestructiveLimit, HeldBackRecord } from '../../report.js';
import type { Plan, PlannedAction, RecordDecision } from './plan-types.js';
import { recordBornAt } from './rules.js';

/** The three kinds of destructive actions, in the order a run takes them. */
export type DestructiveClass = 'obsolete' | 'never-started' | 'retention';

const CLASS_ORDER: Readonly<Record<DestructiveClass, number>> = { obsolete: 0, 'never-started': 1, retention: 2 };

/** One record the plan would mark terminated or remove. */
export interface DestructiveCandidate {
  /** Its place among the plan's decisions (and the entries read). */
  index: number;
  /** The record as read. */
  record: InstanceRecord;
  /** The destructive action the plan decided. */
  action: PlannedAction & { kind: 'markTerminated' | 'remove' };
  /** Obsolete, never-started or retention. */
  type: DestructiveClass;
}

/** What a held-back record becomes: left alone this run, counted in `skipped.limit` or `skipped.liveness`. */
export type HeldBy = 'limit' | 'liveness';

/** The class of a destructive action, by its reason. */
export function destructiveClass(action: PlannedAction): DestructiveClass {
  if (action.reason === 'retention-expired') return 'retention';
  if (action.reason === 'never-started') return 'never-started';
  return 'obsolete';
}

/**
 * The records the plan would mark terminated or remove, in the stable order a run takes them:
 * obsolete, then never-started, then retention; each oldest first (obsolete and never-started by when
 * the record came to be, retention by `timestamps.terminated`), then by record id. `entries` are the
 * entries the plan was made from, in the same order as its decisions.
 */
export function destructiveQueue(plan: Plan, entries: readonly StoreEntry[]): DestructiveCandidate[] {
  const queue: (DestructiveCandidate & { age: number })[] = [];
  plan.decisions.forEach((decision, index) => {
    const action = decision.action;
    if (!action?.destructive || (action.kind !== 'markTerminated' && action.kind !== 'remove')) return;
    const record = entries[index]?.record;
    // Both lists come from one read, in one order; anything else is a bug, never a guess.
    if (record === undefined || record.id !== decision.recordId)
      throw new Error(`the plan decides record ${decision.recordId} at a place where the entries read hold another`);
    const type = destructiveClass(action);
    const since = type === 'retention' ? Date.parse(record.timestamps?.terminated ?? '') : recordBornAt(record);
    queue.push({
      index,
      record,
      action: action as DestructiveCandidate['action'],
      type,
      age: since === undefined || Number.isNaN(since) ? Number.POSITIVE_INFINITY : since,
    });
  });
  queue.sort(
    (a, b) =>
      CLASS_ORDER[a.type] - CLASS_ORDER[b.type] || a.age - b.age || (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
  return queue.map(({ age: _age, ...candidate }) => candidate);
}

/** The per-run cap: the first `cap` candidates go on, the rest are held back (`null`: no cap). */
export function applyCap<T>(queue: readonly T[], cap: number | null): { taken: T[]; held: T[] } {
  if (cap === null || queue.length <= cap) return { taken: [...queue], held: [] };
  return { taken: queue.slice(0, cap), held: queue.slice(cap) };
}

/**
 * The plan with the given decisions held back: each is left alone this run (no write), counted in
 * `skipped.limit` or `skipped.liveness`. Every other decision is kept as it is (the very objects, so the
 * writes already handed to the writer are still found by their action).
 */
export function holdBackDecisions(plan: Plan, held: ReadonlyMap<number, HeldBy>): Plan {
  if (held.size === 0) return plan;
  const decisions = plan.decisions.map((decision, index): RecordDecision => {
    const by = held.get(index);
    if (by === undefined) return decision;
    return { recordId: decision.recordId, category: 'skipped', skipped: by, merged: decision.merged };
  });
  return { ...plan, decisions };
}

/** A held-back record as the report lists it. */
export function heldBackRecord(candidate: DestructiveCandidate, limit: DestructiveLimit): HeldBackRecord {
  const { action } = candidate;
  return { recordId: action.recordId, novitaInstanceId: action.novitaInstanceId, kind: action.kind, reason: action.reason, limit };
}
