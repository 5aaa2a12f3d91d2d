/**
 * The benchmark's fleet: a deterministic mix of records and Novita instances for a given size, built
 * the same way in every process (the bench seeds Redis, the fake Novita process seeds itself), plus
 * what a correct run must do to it.
 *
 * Of every 100 entries (the mix; the 1% it leaves open is a recently terminated record, the
 * common case of a record waiting out its retention, which costs no request):
 *
 * | share | record | Novita | a correct first run |
 * |---|---|---|---|
 * | 80 | running | running | nothing |
 * | 10 | running | exited | refresh to `stopped` |
 * | 2 | running | absent | confirm with `getInstance` (400 `RESOURCE_NOT_FOUND`), mark terminated |
 * | 2 | terminated 30 days ago | absent | confirm, remove (retention, 7 days) |
 * | 5 | none | running | report as Novita-only |
 * | 1 | terminated 1 day ago | absent | nothing |
 *
 * So a fleet of size N holds 0.95 N records and 0.95 N listed instances.
 *
 * The `upgrade` variant is the same fleet as a store written by a system that never kept
 * `novitaStatus` (the seed system): the first run then refreshes every listed record (0.9 N writes
 * instead of 0.1 N), which is the first run after adopting the library. (A store written by 0.1 of
 * this library lacks only `timestamps.novitaStatusSince`: its first run after the upgrade stamps the
 * listed records once, as many writes as this variant.)
 */

/** One record of the fleet, as the app stores it (library fields plus fields of the app's own). */
export interface BenchRecord {
  id: string;
  novitaInstanceId: string;
  status: string;
  novitaStatus?: string;
  owner: string;
  name: string;
  gpu: { product: string; cluster: string; count: number };
  image: string;
  tags: string[];
  timestamps: { created: string; started?: string; terminated?: string; novitaStatusSince?: string };
  terminationReason?: string;
  [field: string]: unknown;
}

/** One instance of the fleet, as the fake Novita is seeded with it. */
export interface BenchInstanceSeed {
  id: string;
  name: string;
  status: 'running' | 'exited';
  createdAtMs: number;
  lastStartedAtMs: number;
}

/** `steady`: records as the library leaves them; `upgrade`: records without `novitaStatus` (nor `novitaStatusSince`). */
export type FleetVariant = 'steady' | 'upgrade';

/** What one entry of the fleet is. */
export type EntryKind = 'unchanged' | 'statusChanged' | 'vanished' | 'retentionExpired' | 'novitaOnly' | 'recentlyTerminated';

/** Counts of a fleet and what a correct first run does to it. */
export interface FleetShape {
  /** Entries: records plus Novita-only instances. */
  size: number;
  variant: FleetVariant;
  records: number;
  /** Instances Novita lists. */
  listed: number;
  /** Listing pages of 100 (the client's default page size and the fake's largest). */
  pages: number;
  byKind: Record<EntryKind, number>;
  /** Records absent from the listing whose absence must be confirmed with `getInstance`. */
  confirmationsNeeded: number;
  /** What the first run must write. */
  expected: { refreshed: number; markedTerminated: number; removed: number };
}

/** Listing page size: the client's default and the fake's largest page. */
export const PAGE_SIZE = 100;

const DAY_MS = 86_400_000;

/** The kind of entry `index`. */
export function entryKind(index: number): EntryKind {
  const slot = index % 100;
  if (slot < 80) return 'unchanged';
  if (slot < 90) return 'statusChanged';
  if (slot < 92) return 'vanished';
  if (slot < 94) return 'retentionExpired';
  if (slot < 99) return 'novitaOnly';
  return 'recentlyTerminated';
}

/** Novita-style instance id (16 lowercase hex characters) of entry `index`. */
export function instanceId(index: number): string {
  return `b${index.toString(16).padStart(15, '0')}`;
}

/** The counts of a fleet of `size` entries. */
export function fleetShape(size: number, variant: FleetVariant = 'steady'): FleetShape {
  const byKind: Record<EntryKind, number> = {
    unchanged: 0,
    statusChanged: 0,
    vanished: 0,
    retentionExpired: 0,
    novitaOnly: 0,
    recentlyTerminated: 0,
  };
  for (let index = 0; index < size; index += 1) byKind[entryKind(index)] += 1;
  const listed = byKind.unchanged + byKind.statusChanged + byKind.novitaOnly;
  return {
    size,
    variant,
    records: size - byKind.novitaOnly,
    listed,
    pages: Math.ceil(listed / PAGE_SIZE),
    byKind,
    confirmationsNeeded: byKind.vanished + byKind.retentionExpired,
    expected: {
      refreshed: variant === 'upgrade' ? byKind.statusChanged + byKind.unchanged : byKind.statusChanged,
      markedTerminated: byKind.vanished,
      removed: byKind.retentionExpired,
    },
  };
}

/**
 * Instance creation times fall with the index, so the fake's newest-first listing order is insertion
 * order: its per-page sort then costs linear time, and the fake stays far from being the bottleneck
 * at 100k instances.
 */
function createdAtMs(index: number, now: number): number {
  return now - 30 * DAY_MS - index * 1000;
}

/** Whole seconds, as Novita's timestamps carry them. */
function startedAtMs(index: number, now: number): number {
  return Math.floor((createdAtMs(index, now) + 60_000) / 1000) * 1000;
}

/** The record of entry `index`, or `undefined` for a Novita-only entry. `now` is epoch milliseconds. */
export function recordAt(index: number, now: number, variant: FleetVariant = 'steady'): BenchRecord | undefined {
  const kind = entryKind(index);
  if (kind === 'novitaOnly') return undefined;
  const terminated = kind === 'retentionExpired' || kind === 'recentlyTerminated';
  const record: BenchRecord = {
    id: `rec-${index.toString().padStart(7, '0')}`,
    novitaInstanceId: instanceId(index),
    status: terminated ? 'terminated' : 'running',
    ...(variant === 'upgrade' ? {} : { novitaStatus: 'running' }),
    owner: `user-${index % 97}`,
    name: `job-${index}`,
    gpu: { product: 'RTX 4090 24GB', cluster: 'us-ca-6', count: 1 },
    image: 'docker.io/library/python:3.11',
    tags: ['training', `team-${index % 7}`],
    timestamps: {
      created: new Date(createdAtMs(index, now)).toISOString(),
      started: new Date(startedAtMs(index, now)).toISOString(),
      // As this version leaves a record (issue 17): when Novita's status was first seen.
      ...(variant === 'upgrade' ? {} : { novitaStatusSince: new Date(startedAtMs(index, now)).toISOString() }),
    },
  };
  if (terminated) {
    record.timestamps.terminated = new Date(now - (kind === 'retentionExpired' ? 30 : 1) * DAY_MS).toISOString();
    record.terminationReason = 'stopped by the app';
  }
  return record;
}

/** The instance of entry `index` as Novita lists it, or `undefined` when Novita does not know it. */
export function instanceAt(index: number, now: number): BenchInstanceSeed | undefined {
  const kind = entryKind(index);
  if (kind !== 'unchanged' && kind !== 'statusChanged' && kind !== 'novitaOnly') return undefined;
  return {
    id: instanceId(index),
    name: kind === 'novitaOnly' ? `console-${index}` : `job-${index}`,
    status: kind === 'statusChanged' ? 'exited' : 'running',
    createdAtMs: createdAtMs(index, now),
    lastStartedAtMs: startedAtMs(index, now),
  };
}

/** Every record of a fleet, in index order. */
export function* fleetRecords(size: number, now: number, variant: FleetVariant = 'steady'): Generator<BenchRecord> {
  for (let index = 0; index < size; index += 1) {
    const record = recordAt(index, now, variant);
    if (record) yield record;
  }
}

/** Every listed instance of a fleet, in listing order. */
export function* fleetInstances(size: number, now: number): Generator<BenchInstanceSeed> {
  for (let index = 0; index < size; index += 1) {
    const instance = instanceAt(index, now);
    if (instance) yield instance;
  }
}
