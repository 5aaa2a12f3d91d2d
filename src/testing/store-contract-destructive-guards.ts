/**
 * The store contract's tests of the optional destructive-guard capability (the window budget of
 * `policy.destructiveBudget` and the hold switch): run against every store, they check a store that has
 * the capability and pass with nothing to check for one that has none of its methods.
 */
import assert from 'node:assert/strict';
import { DESTRUCTIVE_GUARD_METHODS, keepsDestructiveGuards, type DestructiveGuardStore, type InstanceStore } from '../core/ports/store.js';
import type { ContractIt, WithStore } from './store-contract-kit.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);
const budget = (max: number) => ({ max, windowMs: HOUR });
const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** @internal */
export function defineDestructiveGuardTests<S extends InstanceStore>(it: ContractIt, withStore: WithStore<S>): void {
  /** A test of a store that keeps the guards; a store with none of the methods has nothing to check. */
  const guarded = (name: string, body: (store: DestructiveGuardStore & S) => Promise<void>): void => {
    it(
      name,
      withStore(async ({ store }) => {
        if (!keepsDestructiveGuards(store)) return;
        await body(store);
      }),
    );
  };

  it(
    `has all of ${DESTRUCTIVE_GUARD_METHODS.join(', ')} or none`,
    withStore(async ({ store }) => {
      const present = DESTRUCTIVE_GUARD_METHODS.filter(
        (method) => typeof (store as unknown as Record<string, unknown>)[method] === 'function',
      );
      assert.ok(present.length === 0 || present.length === DESTRUCTIVE_GUARD_METHODS.length, `only ${present.join(', ')}`);
    }),
  );

  guarded('without a budget and a hold, grants every id and reports nothing used', async (store) => {
    const answer = await store.reserveDestructive({ runId: 'run-1', ids: ids('r', 4), now: NOW, reserve: true });
    assert.deepEqual(answer, { hold: null, usedBefore: 0, granted: 4 });
    assert.equal(await store.readHold(), null);
  });

  guarded('grants the ids the budget has left, from the first, and counts them for every later call in the window', async (store) => {
    assert.deepEqual(await store.reserveDestructive({ runId: 'run-1', ids: ids('a', 3), budget: budget(5), now: NOW, reserve: true }), {
      hold: null,
      usedBefore: 0,
      granted: 3,
    });
    assert.deepEqual(
      await store.reserveDestructive({ runId: 'run-2', ids: ids('b', 4), budget: budget(5), now: at(60_000), reserve: true }),
      { hold: null, usedBefore: 3, granted: 2 },
    );
    assert.deepEqual(
      await store.reserveDestructive({ runId: 'run-3', ids: ids('c', 1), budget: budget(5), now: at(120_000), reserve: true }),
      { hold: null, usedBefore: 5, granted: 0 },
    );
  });

  guarded('a call that does not reserve (a dry run) answers the same and keeps nothing', async (store) => {
    for (let i = 0; i < 3; i += 1) {
      assert.deepEqual(
        await store.reserveDestructive({ runId: `dry-${i}`, ids: ids('a', 4), budget: budget(3), now: NOW, reserve: false }),
        {
          hold: null,
          usedBefore: 0,
          granted: 3,
        },
      );
    }
    const real = await store.reserveDestructive({ runId: 'run-1', ids: ids('a', 4), budget: budget(3), now: NOW, reserve: true });
    assert.equal(real.granted, 3);
  });

  guarded('the window slides: reservations older than windowMs no longer count, later ones (another clock) do', async (store) => {
    await store.reserveDestructive({ runId: 'run-1', ids: ids('a', 2), budget: budget(3), now: NOW, reserve: true });
    await store.reserveDestructive({ runId: 'run-2', ids: ids('b', 1), budget: budget(3), now: at(30 * 60_000), reserve: true });
    const stillIn = await store.reserveDestructive({ runId: 'probe', ids: [], budget: budget(3), now: at(HOUR - 1), reserve: false });
    assert.equal(stillIn.usedBefore, 3);
    const moved = await store.reserveDestructive({ runId: 'run-3', ids: ids('c', 5), budget: budget(3), now: at(HOUR + 1), reserve: true });
    assert.deepEqual(moved, { hold: null, usedBefore: 1, granted: 2 });
    // A replica whose clock runs behind still counts what a faster one reserved.
    const behind = await store.reserveDestructive({ runId: 'probe', ids: [], budget: budget(3), now: at(-10 * 60_000), reserve: false });
    assert.equal(behind.usedBefore, 5);
  });

  guarded('release gives back a run’s reservations of the ids it names, and nothing of another run', async (store) => {
    await store.reserveDestructive({ runId: 'run-1', ids: ['a', 'b', 'c'], budget: budget(5), now: NOW, reserve: true });
    await store.reserveDestructive({ runId: 'run-2', ids: ['a'], budget: budget(5), now: NOW, reserve: true });
    await store.releaseDestructive({ runId: 'run-1', ids: ['a', 'b', 'never-reserved'] });
    await store.releaseDestructive({ runId: 'run-3', ids: ['c'] });
    await store.releaseDestructive({ runId: 'run-1', ids: [] });
    const probe = await store.reserveDestructive({ runId: 'probe', ids: [], budget: budget(5), now: NOW, reserve: false });
    assert.equal(probe.usedBefore, 2);
  });

  guarded('reservations made at once never exceed the budget together', async (store) => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, run) =>
        store.reserveDestructive({ runId: `run-${run}`, ids: ids(`r${run}-`, 5), budget: budget(12), now: NOW, reserve: true }),
      ),
    );
    assert.equal(
      answers.reduce((sum, answer) => sum + answer.granted, 0),
      12,
    );
    const probe = await store.reserveDestructive({ runId: 'probe', ids: [], budget: budget(12), now: NOW, reserve: false });
    assert.equal(probe.usedBefore, 12);
  });

  guarded('the hold: set, read, replaced, cleared; while set nothing is granted and the window is still reported', async (store) => {
    await store.reserveDestructive({ runId: 'run-1', ids: ['x'], budget: budget(5), now: NOW, reserve: true });
    const hold = { reason: 'incident 42: Novita listing unreliable', by: 'alice@ops', at: NOW.toISOString() };
    await store.setHold(hold);
    assert.deepEqual(await store.readHold(), hold);
    assert.deepEqual(await store.reserveDestructive({ runId: 'run-2', ids: ['a', 'b'], budget: budget(5), now: NOW, reserve: true }), {
      hold,
      usedBefore: 1,
      granted: 0,
    });
    assert.deepEqual(await store.reserveDestructive({ runId: 'run-3', ids: ['a'], now: NOW, reserve: false }), {
      hold,
      usedBefore: 0,
      granted: 0,
    });
    const replaced = { reason: '', by: 'bob', at: at(60_000).toISOString() };
    await store.setHold(replaced);
    assert.deepEqual(await store.readHold(), replaced);
    assert.deepEqual(await store.clearHold({ by: 'carol' }), replaced);
    assert.equal(await store.readHold(), null);
    assert.equal(await store.clearHold(), null);
    // Nothing was reserved while the hold was set.
    const after = await store.reserveDestructive({ runId: 'run-4', ids: ids('c', 5), budget: budget(5), now: NOW, reserve: true });
    assert.deepEqual(after, { hold: null, usedBefore: 1, granted: 4 });
  });
}
