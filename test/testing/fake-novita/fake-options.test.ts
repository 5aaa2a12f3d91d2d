import { describe, expect, it } from 'vitest';
import { isReconcilerError, type ConfigError } from '../../../src/errors.js';
import { startFakeNovita, type FakeNovitaOptions } from '../../../src/testing/fake-novita/index.js';

async function configError(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    if (isReconcilerError(error, 'CONFIG_INVALID')) return error as ConfigError;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('startFakeNovita options', () => {
  it('refuses an unknown key, naming it and the nearest valid name, before listening', async () => {
    const error = await configError(() => startFakeNovita({ maxPagesize: 5 } as FakeNovitaOptions));
    expect(error.field).toBe('maxPagesize');
    expect(error.suggestion).toBe('maxPageSize');
    expect(error.message).toContain('is not an option of startFakeNovita');
  });

  it('refuses an unknown key in an instance seed (a typo would seed the default instead)', async () => {
    const error = await configError(() => startFakeNovita({ instances: [{ id: 'a1' }, { staus: 'exited' } as never] }));
    expect(error.field).toBe('instances[1].staus');
    expect(error.suggestion).toBe('status');
  });

  it('names a bad value', async () => {
    expect((await configError(() => startFakeNovita({ notFoundStatus: 410 as 404 }))).field).toBe('notFoundStatus');
    expect((await configError(() => startFakeNovita({ firstPageNum: 2 as 1 }))).field).toBe('firstPageNum');
    expect((await configError(() => startFakeNovita({ maxPageSize: 0 }))).field).toBe('maxPageSize');
    expect((await configError(() => startFakeNovita({ clock: 5 as unknown as () => number }))).field).toBe('clock');
  });
});

describe('fake.addInstance', () => {
  it('refuses an unknown seed key', async () => {
    const fake = await startFakeNovita();
    try {
      expect(() => fake.addInstance({ stauts: 'exited' } as never)).toThrow(
        /seed\.stauts: is not an option of startFakeNovita; did you mean "status"\?/,
      );
    } finally {
      await fake.close();
    }
  });
});
