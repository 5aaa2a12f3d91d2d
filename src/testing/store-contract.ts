/**
 * `defineStoreContract`: the store contract suite, one function every store runs (the memory and Redis
 * stores here, users' own stores through `novita-reconciler/testing`). The tests themselves are in
 * store-contract-app-methods.ts, store-contract-read-batches.ts, store-contract-write-batch.ts and
 * store-contract-destructive-guards.ts (the optional capability: checked for stores that have it).
 */
import type { InstanceStore } from '../core/ports/store.js';
import { ConfigError } from '../errors.js';
import { checkOptionKeys, functionOption, integerOption, stringOption } from '../options.js';
import { defineAppMethodTests } from './store-contract-app-methods.js';
import { defineReadBatchesTests } from './store-contract-read-batches.js';
import { defineWriteBatchTests } from './store-contract-write-batch.js';
import { defineDestructiveGuardTests } from './store-contract-destructive-guards.js';
import type { Phase } from './store-contract-kit.js';
import type { ContractTestApi, StoreContractHarness, StoreContractOptions } from './store-contract-types.js';

export type { ContractTestApi, StoreContractHarness, StoreContractOptions } from './store-contract-types.js';

/** How much longer than `timeoutMs` the runner is told to wait, so that the suite's own, clearer deadline fires first. */
const RUNNER_TIMEOUT_GRACE_MS = 1_000;

/** Checks the suite's options with the shared option rule. */
function resolveContractOptions<S extends InstanceStore>(
  input: StoreContractOptions<S>,
): { create: StoreContractOptions<S>['create']; timeoutMs: number | undefined } {
  const options = checkOptionKeys<StoreContractOptions<S>>('defineStoreContract', input, ['name', 'create', 'timeoutMs']);
  stringOption('name', options.name);
  const create = functionOption<StoreContractOptions<S>['create']>('create', options.create);
  if (create === undefined) throw new ConfigError('create', 'is required: a function that makes a fresh, empty store harness for one test');
  const timeoutMs = options.timeoutMs === undefined ? undefined : integerOption('timeoutMs', options.timeoutMs, 0, 1);
  return { create, timeoutMs };
}

/**
 * Defines the store contract suite: every behaviour the reconciler relies on from a store,
 * including the conflict cases. Run it against every store implementation, yours included.
 *
 * Defining the suite calls nothing of the store: `options.create()` is called once at the start of
 * each test, and the harness's `cleanup()` when that test ends (see {@link StoreContractOptions.create}).
 * Bad options throw a `ConfigError` naming the option, at the call.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { defineStoreContract } from 'novita-reconciler/testing';
 *
 * defineStoreContract({ describe, it }, {
 *   name: 'my store',
 *   create: async () => ({ store: makeStore(), writeRaw: ..., deleteRaw: ..., cleanup: ... }),
 *   timeoutMs: 30_000, // a remote database: more than the runner's 5 s per test
 * });
 *
 * // node:test takes a timeout only as an option before the body:
 * import { describe, it } from 'node:test';
 * defineStoreContract({ describe, it: (name, body, timeout) => it(name, { timeout }, body) }, { name: 'my store', create, timeoutMs: 30_000 });
 * ```
 */
export function defineStoreContract<S extends InstanceStore>(api: ContractTestApi, options: StoreContractOptions<S>): void {
  const { describe } = api;
  const { create, timeoutMs } = resolveContractOptions(options);
  /** Defines a test; with `timeoutMs`, under a deadline of the suite's own that names the step it caught. */
  const it = (name: string, body: (phase: Phase) => Promise<void>): unknown => {
    if (timeoutMs === undefined) return api.it(name, () => body({ step: 'create()' }));
    const underDeadline = (): Promise<void> => {
      const phase: Phase = { step: 'create()' };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `store contract: "${name}" did not finish within ${timeoutMs} ms: ${phase.step} was still running (raise timeoutMs for a slow backend)`,
              ),
            ),
          timeoutMs,
        );
      });
      return Promise.race([body(phase), deadline]).finally(() => clearTimeout(timer));
    };
    return api.it(name, underDeadline, timeoutMs + RUNNER_TIMEOUT_GRACE_MS);
  };

  /** Runs `body` with a fresh harness (one per test) and always cleans up, noting each step in `phase`. */
  const withStore =
    (body: (harness: StoreContractHarness<S>) => Promise<void>) =>
    async (phase: Phase): Promise<void> => {
      phase.step = 'create()';
      const harness = await create();
      try {
        phase.step = 'the test';
        await body(harness);
      } finally {
        phase.step = 'cleanup()';
        await harness.cleanup?.();
      }
    };

  describe(`store contract: ${options.name}`, () => {
    describe('app-facing methods', () => defineAppMethodTests(it, withStore));
    describe('readBatches', () => defineReadBatchesTests(it, withStore));
    describe('writeBatch', () => defineWriteBatchTests(it, withStore));
    describe('destructive guards (optional: the window budget and the hold)', () => defineDestructiveGuardTests(it, withStore));
  });
}
