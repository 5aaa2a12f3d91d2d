import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_POLICY, isReconcilerError, POLICY_ENV_VARIABLES, policyFromEnv, resolvePolicy } from '../../../src/index.js';
import { configError } from '../../support/config-error.js';

const expectConfigError = (run: () => unknown, field: string, messagePart: RegExp): void => {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isReconcilerError(caught, 'CONFIG_INVALID'), `throws CONFIG_INVALID (got ${String(caught)})`).toBe(true);
  expect((caught as ConfigError).field).toBe(field);
  expect((caught as ConfigError).message).toMatch(messagePart);
  expect((caught as ConfigError).message.startsWith(field)).toBe(true);
};

describe('resolvePolicy', () => {
  it('fills the documented defaults', () => {
    expect(resolvePolicy({})).toEqual({
      removeObsoleteInstances: false,
      obsoleteRetentionDays: 7,
      enableAutomaticSync: true,
      syncIntervalMinutes: 30,
      creationGraceMinutes: 10,
      confirmObsolete: true,
      maxObsoleteFraction: 0.5,
      safetyMinRecords: 10,
      novitaOnly: 'report',
      statusMap: {},
      maxDestructivePerRun: null,
      destructiveBudget: null,
    });
    expect(resolvePolicy(undefined)).toEqual(DEFAULT_POLICY);
  });

  it('keeps the values given', () => {
    expect(resolvePolicy({ removeObsoleteInstances: true, obsoleteRetentionDays: 3, novitaOnly: 'adopt' })).toMatchObject({
      removeObsoleteInstances: true,
      obsoleteRetentionDays: 3,
      novitaOnly: 'adopt',
      syncIntervalMinutes: 30,
    });
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['a string for a boolean', { removeObsoleteInstances: 'yes' }, 'policy.removeObsoleteInstances', /got "yes"/],
    ['negative retention', { obsoleteRetentionDays: -1 }, 'policy.obsoleteRetentionDays', /0 or more.*got -1/],
    ['zero interval', { syncIntervalMinutes: 0 }, 'policy.syncIntervalMinutes', /more than 0.*got 0/],
    ['NaN grace', { creationGraceMinutes: Number.NaN }, 'policy.creationGraceMinutes', /got NaN/],
    ['a fraction above 1', { maxObsoleteFraction: 1.5 }, 'policy.maxObsoleteFraction', /between 0 and 1.*got 1.5/],
    ['a fractional minimum', { safetyMinRecords: 2.5 }, 'policy.safetyMinRecords', /whole number.*got 2.5/],
    ['an unknown novitaOnly', { novitaOnly: 'delete' }, 'policy.novitaOnly', /got "delete"/],
    ['a remap of a deleting status', { statusMap: { removed: 'stopped' } }, 'policy.statusMap.removed', /gone/],
    ['a map to terminated', { statusMap: { exited: 'terminated' } }, 'policy.statusMap.exited', /terminated/],
    ['an empty mapped status', { statusMap: { exited: '' } }, 'policy.statusMap.exited', /got ""/],
    [
      'an unknown field',
      { retentionDays: 3 },
      'policy.retentionDays',
      /is not an option of the policy; did you mean "obsoleteRetentionDays"\?/,
    ],
    [
      'a grace that would turn obsolete handling off',
      { creationGraceMinutes: 1e308 },
      'policy.creationGraceMinutes',
      /at most a day \(1440\).*got 1e\+308/,
    ],
    ['a grace of more than a day', { creationGraceMinutes: 1441 }, 'policy.creationGraceMinutes', /at most a day/],
    ['a retention of more than ten years', { obsoleteRetentionDays: 3651 }, 'policy.obsoleteRetentionDays', /at most 3650/],
    ['an interval of more than a week', { syncIntervalMinutes: 10_081 }, 'policy.syncIntervalMinutes', /at most a week/],
    ['an unsafe safetyMinRecords', { safetyMinRecords: 2 ** 60 }, 'policy.safetyMinRecords', /whole number/],
  ];
  for (const [what, input, field, message] of bad) {
    it(`rejects ${what} with a ConfigError naming ${field}`, () => expectConfigError(() => resolvePolicy(input), field, message));
  }
});

describe('policyFromEnv', () => {
  it('reads every variable', () => {
    const policy = policyFromEnv({
      SYNC_REMOVE_OBSOLETE_INSTANCES: 'true',
      SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS: '3',
      SYNC_ENABLE_AUTOMATIC_SYNC: 'off',
      SYNC_INTERVAL_MINUTES: '15',
      SYNC_CREATION_GRACE_MINUTES: '2.5',
      SYNC_CONFIRM_OBSOLETE: '0',
      SYNC_MAX_OBSOLETE_FRACTION: '0.25',
      SYNC_SAFETY_MIN_RECORDS: '20',
      SYNC_NOVITA_ONLY: 'adopt',
      SYNC_STATUS_MAP: '{"pulling":"creating","exited":{"status":"stopped","keep":["paused"]}}',
      SYNC_MAX_DESTRUCTIVE_PER_RUN: '10',
      SYNC_DESTRUCTIVE_BUDGET: '{"max":15,"windowMinutes":60}',
    });
    expect(policy).toEqual({
      removeObsoleteInstances: true,
      obsoleteRetentionDays: 3,
      enableAutomaticSync: false,
      syncIntervalMinutes: 15,
      creationGraceMinutes: 2.5,
      confirmObsolete: false,
      maxObsoleteFraction: 0.25,
      safetyMinRecords: 20,
      novitaOnly: 'adopt',
      statusMap: { pulling: 'creating', exited: { status: 'stopped', keep: ['paused'] } },
      maxDestructivePerRun: 10,
      destructiveBudget: { max: 15, windowMinutes: 60 },
    });
  });

  it.each([
    ['SYNC_MAX_DESTRUCTIVE_PER_RUN', 'ten', /must be a number/],
    ['SYNC_MAX_DESTRUCTIVE_PER_RUN', '2.5', /whole number/],
    ['SYNC_MAX_DESTRUCTIVE_PER_RUN', '-1', /0 or more/],
    ['SYNC_DESTRUCTIVE_BUDGET', '15', /expected object/i],
    ['SYNC_DESTRUCTIVE_BUDGET', '{max:15}', /must be JSON, such as \{"max":15,"windowMinutes":60\}/],
    ['SYNC_DESTRUCTIVE_BUDGET', '{"max":15,"windowMinutes":0}', /more than 0/],
    ['SYNC_DESTRUCTIVE_BUDGET', '{"max":15,"windowMinutes":60,"burst":2}', /burst/],
  ])('refuses %s=%s with a ConfigError naming the variable', (variable, value, message) => {
    const error = configError(() => policyFromEnv({ [variable]: value }));
    expect(error.field.startsWith(variable)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it('takes 0 as a cap and a budget that end nothing, and unset as none', () => {
    expect(policyFromEnv({ SYNC_MAX_DESTRUCTIVE_PER_RUN: '0' }).maxDestructivePerRun).toBe(0);
    expect(policyFromEnv({ SYNC_DESTRUCTIVE_BUDGET: '{"max":0,"windowMinutes":60}' }).destructiveBudget).toEqual({
      max: 0,
      windowMinutes: 60,
    });
    expect(policyFromEnv({ SYNC_MAX_DESTRUCTIVE_PER_RUN: ' ' })).toMatchObject({ maxDestructivePerRun: null, destructiveBudget: null });
  });

  it('takes the defaults for unset and empty variables, and ignores unrelated ones', () => {
    expect(policyFromEnv({ SYNC_INTERVAL_MINUTES: '', PATH: '/bin', SYNC_UNRELATED: 'x' })).toEqual(DEFAULT_POLICY);
  });

  it.each([
    ['SYNC_INTERVAL_MINS', '5', 'SYNC_INTERVAL_MINUTES'],
    ['SYNC_INTERVAL', '5', 'SYNC_INTERVAL_MINUTES'],
    ['SYNC_REMOVE_OBSOLETE_INSTANCE', 'true', 'SYNC_REMOVE_OBSOLETE_INSTANCES'],
    ['SYNC_RETENTION_DAYS', '3', 'SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS'],
    ['SYNC_CONFIRM_OBSOLETES', 'false', 'SYNC_CONFIRM_OBSOLETE'],
    ['sync_interval_minutes', '5', 'SYNC_INTERVAL_MINUTES'],
  ])('refuses the misspelt %s=%s with a ConfigError naming it and %s', (variable, value, nearest) => {
    const error = configError(() => policyFromEnv({ [variable]: value }));
    expect(error.field).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(`did you mean ${nearest}?`);
  });

  it('leaves alone SYNC_ variables near no policy variable, and misspelt ones left empty', () => {
    expect(policyFromEnv({ SYNC_TOKEN: 'x', SYNC_WEBHOOK_URL: 'https://x', SYNC_INTERVAL_MINS: '' })).toEqual(DEFAULT_POLICY);
  });

  it('lets explicit overrides win over the environment', () => {
    expect(policyFromEnv({ SYNC_INTERVAL_MINUTES: '15' }, { syncIntervalMinutes: 5 }).syncIntervalMinutes).toBe(5);
  });

  const bad: [string, string, RegExp][] = [
    ['SYNC_REMOVE_OBSOLETE_INSTANCES', 'maybe', /true or false.*got "maybe"/],
    ['SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS', 'seven', /number.*got "seven"/],
    ['SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS', '-2', /0 or more.*got "-2"/],
    ['SYNC_ENABLE_AUTOMATIC_SYNC', 'enabled', /true or false.*got "enabled"/],
    ['SYNC_INTERVAL_MINUTES', '10m', /number.*got "10m"/],
    ['SYNC_INTERVAL_MINUTES', '0', /more than 0.*got "0"/],
    ['SYNC_CREATION_GRACE_MINUTES', 'Infinity', /number.*got "Infinity"/],
    ['SYNC_CONFIRM_OBSOLETE', '2', /true or false.*got "2"/],
    ['SYNC_MAX_OBSOLETE_FRACTION', '50%', /number.*got "50%"/],
    ['SYNC_MAX_OBSOLETE_FRACTION', '2', /between 0 and 1.*got "2"/],
    ['SYNC_SAFETY_MIN_RECORDS', '1.5', /whole number.*got "1.5"/],
    ['SYNC_NOVITA_ONLY', 'delete', /got "delete"/],
    ['SYNC_STATUS_MAP', '{pulling:creating}', /JSON.*got "\{pulling:creating\}"/],
  ];
  for (const [variable, value, message] of bad) {
    it(`rejects ${variable}=${value} with a ConfigError naming the variable`, () =>
      expectConfigError(() => policyFromEnv({ [variable]: value }), variable, message));
  }

  it('names the variable and the key for a bad status map entry', () => {
    expectConfigError(() => policyFromEnv({ SYNC_STATUS_MAP: '{"removed":"stopped"}' }), 'SYNC_STATUS_MAP (removed)', /gone/);
  });

  it('.env.example lists every variable the package reads', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    for (const variable of [
      ...Object.keys(POLICY_ENV_VARIABLES),
      'NOVITA_API_KEY',
      'NOVITA_API_BASE_URL',
      'REDIS_URL',
      'REDIS_KEY_PREFIX',
    ]) {
      expect(example, variable).toMatch(new RegExp(`^${variable}=`, 'm'));
    }
  });

  it('a ConfigError is a ReconcilerError', () => {
    const error = new ConfigError('x', 'bad', { received: 1 });
    expect(isReconcilerError(error)).toBe(true);
    expect(error.code).toBe('CONFIG_INVALID');
  });
});

describe('policyFromEnv errors are structured', () => {
  it('carries the variable on envVariable, so nobody has to parse the message', () => {
    try {
      policyFromEnv({ SYNC_INTERVAL_MINUTES: '0' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'SYNC_INTERVAL_MINUTES', envVariable: 'SYNC_INTERVAL_MINUTES' });
    }
  });
});
