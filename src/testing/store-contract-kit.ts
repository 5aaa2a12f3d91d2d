/**
 * What the store contract suite's test groups share: how a test is defined (with the suite's deadline),
 * a fresh harness per test, and sample records. Internal to the suite.
 */
import assert from 'node:assert/strict';
import type { InstanceRecord } from '../core/record.js';
import type { InstanceStore, StoreEntry, VersionedRecord } from '../core/ports/store.js';
import type { StoreContractHarness } from './store-contract-types.js';

/** The step of a test that is running, for the deadline's message. */
export interface Phase {
  step: 'create()' | 'the test' | 'cleanup()';
}

/** Defines one test of the suite. */
export type ContractIt = (name: string, body: (phase: Phase) => Promise<void>) => unknown;

/** Wraps a test body so it runs with a fresh harness and always cleans up. */
export type WithStore<S extends InstanceStore> = (
  body: (harness: StoreContractHarness<S>) => Promise<void>,
) => (phase: Phase) => Promise<void>;

/** A valid sample record; `extra` fields are merged in. */
export function sample(id: string, extra: Record<string, unknown> = {}): InstanceRecord {
  return {
    id,
    novitaInstanceId: `nv-${id}`,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created: '2026-01-01T00:00:00.000Z' },
    ...extra,
  };
}

export function jsonRoundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export async function readAll(store: InstanceStore): Promise<StoreEntry[]> {
  const entries: StoreEntry[] = [];
  for await (const batch of store.readBatches({ batchSize: 7 })) entries.push(...batch);
  return entries;
}

export async function versionOf(store: InstanceStore, id: string): Promise<VersionedRecord> {
  const entry = (await readAll(store)).find((candidate) => candidate.id === id);
  assert.ok(entry?.record, `record ${id} readable`);
  return entry as VersionedRecord;
}
