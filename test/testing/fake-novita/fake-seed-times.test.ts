/**
 * The fake Novita's seeded instances have the timestamps a real fleet would: created, then started,
 * then (for a stopped one) stopped, none after "now"; `demoFleet` seeds a plausible fleet; `port` and
 * `host` are checked like every other option.
 */
import { describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../../src/errors.js';
import {
  createFakeClock,
  demoFleet,
  startFakeNovita,
  type FakeNovita,
  type FakeNovitaInstance,
  type FakeNovitaOptions,
} from '../../../src/testing/fake-novita/index.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const DAY = 86_400_000;

async function withFake(options: FakeNovitaOptions, body: (fake: FakeNovita) => void | Promise<void>): Promise<void> {
  const fake = await startFakeNovita(options);
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

/** The instance's Unix-second timestamps as epoch milliseconds (`undefined` for Novita's "0", never). */
const times = (instance: FakeNovitaInstance | undefined) => {
  const ms = (field: string): number | undefined => {
    const value = Number(instance?.[field]);
    return value === 0 ? undefined : value * 1000;
  };
  return { created: ms('createdAt'), started: ms('lastStartedAt'), stopped: ms('lastStoppedAt') };
};

describe('seeded instance timestamps', () => {
  it('an instance seeded now, running, started now: not a minute in the future', async () => {
    await withFake({ clock: createFakeClock(NOW).now }, (fake) => {
      const { created, started, stopped } = times(fake.addInstance({ status: 'running' }));
      expect({ created, started, stopped }).toEqual({ created: NOW, started: NOW, stopped: undefined });
    });
  });

  it('an exited instance was created, started and stopped in that order, none after now', async () => {
    await withFake({ clock: createFakeClock(NOW).now }, (fake) => {
      for (const createdAtMs of [NOW, NOW - 30_000, NOW - DAY]) {
        const { created = NaN, started = NaN, stopped = NaN } = times(fake.addInstance({ status: 'exited', createdAtMs }));
        expect(created).toBeLessThanOrEqual(started);
        expect(started).toBeLessThanOrEqual(stopped);
        expect(stopped).toBeLessThanOrEqual(NOW);
      }
    });
  });

  it('an instance that never ran has no start; a running one no stop; times the seed gives are kept', async () => {
    await withFake({ clock: createFakeClock(NOW).now }, (fake) => {
      expect(times(fake.addInstance({ status: 'pulling', createdAtMs: NOW - DAY }))).toEqual({
        created: NOW - DAY,
        started: undefined,
        stopped: undefined,
      });
      expect(times(fake.addInstance({ status: 'running', createdAtMs: NOW - DAY }))).toEqual({
        created: NOW - DAY,
        started: NOW - DAY + 60_000,
        stopped: undefined,
      });
      const given = { createdAtMs: NOW - 3 * DAY, lastStartedAtMs: NOW - 2 * DAY, lastStoppedAtMs: NOW - DAY };
      expect(times(fake.addInstance({ status: 'exited', ...given }))).toEqual({
        created: given.createdAtMs,
        started: given.lastStartedAtMs,
        stopped: given.lastStoppedAtMs,
      });
    });
  });
});

describe('demoFleet', () => {
  it('seeds mostly running instances, some exited and pulling, created over the last week, consistent with their status', async () => {
    const seeds = demoFleet(25, { nowMs: NOW });
    expect(seeds).toHaveLength(25);
    expect(demoFleet(25, { nowMs: NOW }), 'the same count and clock give the same fleet').toEqual(seeds);
    await withFake({ clock: createFakeClock(NOW).now, instances: seeds }, (fake) => {
      const instances = fake.listInstances();
      const statuses = instances.map((instance) => instance.status);
      expect(statuses.filter((status) => status === 'running').length).toBeGreaterThan(12);
      expect(statuses).toContain('exited');
      expect(statuses).toContain('pulling');
      expect(new Set(instances.map((instance) => instance.name)).size).toBe(25);
      for (const instance of instances) {
        const { created = NaN, started, stopped } = times(instance);
        expect(created).toBeGreaterThanOrEqual(NOW - 8 * DAY);
        expect(created).toBeLessThanOrEqual(NOW);
        if (instance.status === 'pulling') expect(started).toBeUndefined();
        else expect(started).toBeGreaterThanOrEqual(created);
        expect(started ?? created).toBeLessThanOrEqual(NOW);
        if (instance.status === 'exited') expect(stopped).toBeGreaterThanOrEqual(started ?? NaN);
        else expect(stopped).toBeUndefined();
        expect(stopped ?? created).toBeLessThanOrEqual(NOW);
      }
    });
  });

  it('refuses a bad count and an unknown option', () => {
    expect(() => demoFleet(-1)).toThrow(/count: must be a whole number from 0 to 100000/);
    expect(() => demoFleet(2, { now: NOW } as never)).toThrow(/now: is not an option of demoFleet; did you mean "nowMs"\?/);
    expect(demoFleet(0)).toEqual([]);
  });
});

describe('startFakeNovita port and host', () => {
  it('refuses a port outside 0..65535 and an empty host, naming the option', async () => {
    for (const [options, field] of [
      [{ port: 70_000 }, 'port'],
      [{ port: 1.5 }, 'port'],
      [{ host: '' }, 'host'],
    ] as const) {
      await expect(startFakeNovita(options)).rejects.toSatisfy(
        (error: unknown) => isReconcilerError(error, 'CONFIG_INVALID') && (error as unknown as { field: string }).field === field,
      );
    }
  });

  it('listens on the given host, and its url says so', async () => {
    await withFake({ host: '127.0.0.1', port: 0 }, (fake) => {
      expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gpu-instance\/openapi\/v1$/);
    });
  });
});
