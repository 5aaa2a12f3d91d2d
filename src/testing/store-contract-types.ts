import type { InstanceStore } from '../core/ports/store.js';

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
  /**
   * Makes a fresh, empty store for one test. Called once per test, at the start of that test (inside
   * its `it` body, so within its timeout), never while the suite is being defined and never shared
   * between tests or per `describe`; the harness's `cleanup` is called when that test ends, whether it
   * passed or failed. Tests run one after another in the order the runner gives them; a runner that runs
   * several test files at once may call it from several files at the same time, so each harness needs
   * its own namespace (a fresh key prefix, schema or table).
   */
  create(): Promise<StoreContractHarness<S>> | StoreContractHarness<S>;
  /**
   * How long one test may take, in milliseconds, `create()` and `cleanup()` included: for a backend
   * slower than the runner's default (5 s in Vitest and Jest). The suite enforces it itself, failing the
   * test with a message naming the slow step (`create()`, the test, or `cleanup()`), and passes
   * `timeoutMs + 1000` to each `it` as its third argument, so the runner's own timeout (Vitest, Jest) does
   * not cut in first. `node:test` takes a timeout only as an option before the body; give it
   * `it: (name, body, timeout) => it(name, { timeout }, body)` to pass it on (the suite's own deadline
   * applies either way).
   * @default the runner's timeout (nothing is passed to `it`, and the suite sets no deadline)
   */
  timeoutMs?: number;
}

/**
 * The parts of a test runner the suite needs. Vitest and Jest provide them as they are (`{ describe, it }`);
 * for `node:test`, see {@link StoreContractOptions.timeoutMs}. The suite asserts with `node:assert`, so it
 * does not depend on any runner's `expect`.
 */
export interface ContractTestApi {
  /**
   * Defines a group of tests: the suite's own (`store contract: <name>`) and, inside it, one per part of
   * the contract (`app-facing methods`, `readBatches`, `writeBatch`). `body` defines the tests synchronously.
   */
  describe(name: string, body: () => void): unknown;
  /** Defines one test. `timeout` (milliseconds) is given only when the suite has a `timeoutMs`. */
  it(name: string, body: () => Promise<void> | void, timeout?: number): unknown;
}
