import { describe, expect, it } from 'vitest';
import { RUN_OPTION_DEFAULTS, RUN_OPTION_NAMES, resolveRunOptions, runOptionsKey } from '../../../src/core/config/run-options.js';
import type { SyncRunOptions } from '../../../src/index.js';

describe('the run options shape', () => {
  it('gives calls that differ in any one run option different single-flight keys, so they never share a run', () => {
    // Every option the shape has (its defaults must name each one, or this file does not compile).
    const names = Object.keys(RUN_OPTION_DEFAULTS) as (keyof SyncRunOptions)[];
    expect([...RUN_OPTION_NAMES].sort()).toEqual([...names].sort());
    const base = runOptionsKey(RUN_OPTION_DEFAULTS);
    for (const name of names) {
      const flipped = { ...RUN_OPTION_DEFAULTS, [name]: !RUN_OPTION_DEFAULTS[name] };
      expect(runOptionsKey(flipped), name).not.toBe(base);
    }
  });

  it('gives equal run options one key', () => {
    expect(runOptionsKey(resolveRunOptions({}))).toBe(runOptionsKey({ ...RUN_OPTION_DEFAULTS }));
  });

  it('fills the documented defaults and refuses a value that is not a real boolean, naming the option', () => {
    expect(resolveRunOptions({ dryRun: true })).toEqual({ dryRun: true, handleObsoleteInstances: true, forceSync: false });
    expect(() => resolveRunOptions({ forceSync: 'true' as unknown as boolean })).toThrow(/forceSync/);
  });
});
