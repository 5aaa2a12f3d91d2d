/**
 * `defineStoreContract`'s promises about its runner: when `create()` and `cleanup()` are called, how
 * `timeoutMs` reaches each `it`, and the suite's own deadline naming the slow step. A recording runner
 * collects the tests so that they can be run one by one here; the last block runs the suite under
 * Vitest itself with a timeout.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory-store.js';
import { defineStoreContract } from '../../src/testing/store-contract.js';
import type { ContractTestApi, StoreContractHarness, StoreContractOptions } from '../../src/testing/store-contract-types.js';

interface RecordedTest {
  name: string;
  body: () => Promise<void> | void;
  /** Every argument `it` was given after the name and body. */
  rest: unknown[];
}

function recordingRunner(): { api: ContractTestApi; tests: RecordedTest[] } {
  const tests: RecordedTest[] = [];
  return {
    tests,
    api: {
      describe: (_name, body) => body(),
      it: (name: string, body: () => Promise<void> | void, ...rest: unknown[]) => {
        tests.push({ name, body, rest });
      },
    },
  };
}

function memoryHarness(): StoreContractHarness {
  const store = createMemoryStore();
  return { store, writeRaw: async (id, text) => store.writeRaw(id, text), deleteRaw: async (id) => store.deleteRaw(id) };
}

async function settle(test: RecordedTest): Promise<unknown> {
  try {
    await test.body();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('defineStoreContract: create() and cleanup()', () => {
  it('defining the suite calls create() for no test; each test calls it once, and cleanup once, even when the test fails', async () => {
    let created = 0;
    let cleaned = 0;
    const { api, tests } = recordingRunner();
    defineStoreContract(api, {
      name: 'counting',
      create: () => {
        created += 1;
        const harness = memoryHarness();
        // A store whose writes all fail: most writeBatch tests fail, and must still clean up.
        harness.store.writeBatch = async () => {
          throw new Error('writes are down');
        };
        return { ...harness, cleanup: async () => void (cleaned += 1) };
      },
    });
    expect(tests.length).toBeGreaterThan(20);
    expect(created, 'nothing is created while the suite is defined').toBe(0);
    let failed = 0;
    for (const [index, test] of tests.entries()) {
      if ((await settle(test)) !== undefined) failed += 1;
      expect({ created, cleaned }).toEqual({ created: index + 1, cleaned: index + 1 });
    }
    expect(failed).toBeGreaterThan(0);
  });
});

describe('defineStoreContract: timeoutMs', () => {
  it("reaches each it as its third argument, with a second to spare for the suite's own deadline; without it, it gets none", () => {
    const timed = recordingRunner();
    defineStoreContract(timed.api, { name: 'timed', create: memoryHarness, timeoutMs: 30_000 });
    expect(new Set(timed.tests.map((test) => JSON.stringify(test.rest)))).toEqual(new Set(['[31000]']));

    const untimed = recordingRunner();
    defineStoreContract(untimed.api, { name: 'untimed', create: memoryHarness });
    expect(new Set(untimed.tests.map((test) => JSON.stringify(test.rest)))).toEqual(new Set(['[]']));
  });

  it('a create() that never resolves fails the test naming create(), instead of hanging', async () => {
    const { api, tests } = recordingRunner();
    defineStoreContract(api, { name: 'hanging create', create: () => new Promise<StoreContractHarness>(() => undefined), timeoutMs: 30 });
    const [first] = tests;
    expect(await settle(first as RecordedTest)).toMatchObject({
      message: expect.stringMatching(
        /^store contract: ".+" did not finish within 30 ms: create\(\) was still running \(raise timeoutMs for a slow backend\)$/,
      ),
    });
  });

  it('a cleanup() that never resolves is named too', async () => {
    const { api, tests } = recordingRunner();
    defineStoreContract(api, {
      name: 'hanging cleanup',
      create: () => ({ ...memoryHarness(), cleanup: () => new Promise<void>(() => undefined) }),
      timeoutMs: 200,
    });
    expect(await settle(tests[1] as RecordedTest)).toMatchObject({ message: expect.stringContaining('cleanup() was still running') });
  });

  it('refuses a misspelt option, a timeout below 1 ms and a missing create, naming the option', () => {
    const { api } = recordingRunner();
    expect(() => defineStoreContract(api, { name: 'x', create: memoryHarness, timeout: 5 } as unknown as StoreContractOptions)).toThrow(
      /timeout: is not an option of defineStoreContract; did you mean "timeoutMs"\?/,
    );
    expect(() => defineStoreContract(api, { name: 'x', create: memoryHarness, timeoutMs: 0 })).toThrow(
      /timeoutMs: must be a whole number of 1 or more/,
    );
    expect(() => defineStoreContract(api, { name: 'x' } as StoreContractOptions)).toThrow(/create: is required/);
  });
});

// The suite under Vitest itself, with the timeout passed as Vitest takes it.
defineStoreContract({ describe, it }, { name: 'memory store under a 15 s timeout', create: memoryHarness, timeoutMs: 15_000 });
