import { GONE_STATUSES } from '../ports/novita-client.js';
import type { StatusMapEntry } from '../config/sync-policy.js';

/** One resolved row of the status map. */
export interface StatusRule {
  /** The local status a record gets. */
  status: string;
  /** Local statuses kept as they are (refinements the application sets). */
  keep: readonly string[];
}

const rule = (status: string, keep: readonly string[]): StatusRule => Object.freeze({ status, keep: Object.freeze([...keep]) });

const CREATING = rule('creating', ['creating', 'created']);
const PULLING = rule('starting', ['creating', 'created', 'starting']);
const STARTING = rule('starting', ['starting', 'health_checking']);
const RUNNING = rule('running', ['running', 'health_checking', 'ready']);
const STOPPING = rule('stopping', ['stopping']);
const STOPPED = rule('stopped', ['stopped', 'exited']);
const MIGRATING = rule('migrating', ['migrating']);

/** The default Novita -> local status map (the README's "Status map" table). Gone statuses are not in it: they are never a refresh. */
export const DEFAULT_STATUS_MAP: Readonly<Record<string, StatusRule>> = Object.freeze({
  pending: CREATING,
  toCreate: CREATING,
  creating: CREATING,
  pulling: PULLING,
  toStart: STARTING,
  starting: STARTING,
  toRestart: STARTING,
  restarting: STARTING,
  toReset: STARTING,
  resetting: STARTING,
  running: RUNNING,
  toStop: STOPPING,
  stopping: STOPPING,
  freezing: STOPPING,
  exited: STOPPED,
  migrating: MIGRATING,
});

/** What a Novita status means for a record. */
export type StatusVerdict = { kind: 'gone' } | { kind: 'unknown' } | { kind: 'mapped'; status: string };

/** Builds the effective map from the defaults and the policy's overrides. */
export function buildStatusMap(overrides: Readonly<Record<string, StatusMapEntry>>): ReadonlyMap<string, StatusRule> {
  const map = new Map<string, StatusRule>(Object.entries(DEFAULT_STATUS_MAP));
  for (const [novitaStatus, entry] of Object.entries(overrides)) {
    map.set(novitaStatus, typeof entry === 'string' ? rule(entry, [entry]) : rule(entry.status, entry.keep ?? [entry.status]));
  }
  return map;
}

/**
 * The local status a record in `currentLocal` should have while Novita says `novitaStatus`:
 * the mapped status, unless the current one is a refinement the map keeps.
 */
export function mapStatus(map: ReadonlyMap<string, StatusRule>, novitaStatus: string, currentLocal: string): StatusVerdict {
  if (GONE_STATUSES.has(novitaStatus)) return { kind: 'gone' };
  const found = map.get(novitaStatus);
  if (!found) return { kind: 'unknown' };
  return { kind: 'mapped', status: found.keep.includes(currentLocal) ? currentLocal : found.status };
}
