import type { InstanceStore } from '../core/store.js';

/** A store under test, with raw access that bypasses the library, as the backend's other code would. */
export interface StoreContractHarness<S extends InstanceStore = InstanceStore> {
  /** The store under test, empty. */
  store: S;
  /**
   * Writes the stored text of a record directly, as code that does not use this library would
   * (for the default layouts, the record's JSON). Used to prove foreign writes are detected and
   * that undecodable values are reported, not thrown.
   */
  writeRaw(id: string, text: string): Promise<void>;
  /** Deletes a stored record directly, as foreign code would. */
  deleteRaw(id: string): Promise<void>;
  /** Releases what `create` made (a connection, a key prefix). */
  cleanup?(): Promise<void>;
}

/** What the store contract suite needs to know about the store under test. */
export interface StoreContractOptions<S extends InstanceStore = InstanceStore> {
  /** Shown in the suite's title, for example `memory store`. */
  name: string;
  /** Makes a fresh, empty store for one test. */
  create(): Promise<StoreContractHarness<S>> | StoreContractHarness<S>;
}

/**
 * The parts of a test runner the suite needs. Vitest, Jest and `node:test` all provide them; the
 * suite asserts with `node:assert`, so it does not depend on any runner's `expect`.
 */
export interface ContractTestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void> | void, timeout?: number): unknown;
}
