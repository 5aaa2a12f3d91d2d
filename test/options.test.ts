import { describe, expect, it } from 'vitest';
import { checkOptionKeys, integerOption, nearestName, readEnv } from '../src/options.js';
import { configError } from './support/config-error.js';

describe('the shared option rule', () => {
  it('refuses an unknown key, naming it and the nearest valid name', () => {
    const error = configError(() => checkOptionKeys('createRedisStore', { redis: {}, prefx: 'app' }, ['redis', 'prefix', 'codec']));
    expect(error.field).toBe('prefx');
    expect(error.suggestion).toBe('prefix');
    expect(error.message).toBe('prefx: is not an option of createRedisStore; did you mean "prefix"? Known options: redis, prefix, codec');
  });

  it('suggests across a case slip (timeoutMS -> timeoutMs) and not for a word unlike any option', () => {
    expect(configError(() => checkOptionKeys('createNovitaClient', { timeoutMS: 1 }, ['apiKey', 'timeoutMs'])).suggestion).toBe(
      'timeoutMs',
    );
    const far = configError(() => checkOptionKeys('createReconciler', { banana: 1 }, ['store', 'logger']));
    expect(far.suggestion).toBeUndefined();
    expect(far.message).not.toContain('did you mean');
    expect(far.message).toBe('banana: is not an option of createReconciler. Known options: store, logger');
  });

  it('takes a shortened name for the longer option it is part of', () => {
    expect(nearestName('retentionDays', ['obsoleteRetentionDays', 'syncIntervalMinutes'])).toBe('obsoleteRetentionDays');
    expect(nearestName('max', ['maxConcurrency'])).toBeUndefined();
  });

  it('prefixes nested option paths', () => {
    expect(configError(() => checkOptionKeys('createNovitaClient', { retriez: 1 }, ['retries'], 'retry')).field).toBe('retry.retriez');
  });

  it('accepts undefined as no options and refuses a non-object', () => {
    expect(checkOptionKeys('x', undefined, ['a'])).toEqual({});
    expect(configError(() => checkOptionKeys('x', [1], ['a'])).field).toBe('options');
    expect(configError(() => checkOptionKeys('x', 'a', ['a'])).field).toBe('options');
  });

  it('checks numbers with one wording', () => {
    expect(integerOption('n', undefined, 3)).toBe(3);
    expect(configError(() => integerOption('n', 0, 3)).message).toBe('n: must be a whole number of 1 or more (got 0)');
    expect(configError(() => integerOption('n', 11, 3, 1, 10)).message).toBe('n: must be a whole number from 1 to 10 (got 11)');
  });

  it('counts an empty environment variable as unset', () => {
    expect(readEnv({ REDIS_KEY_PREFIX: '' }, 'REDIS_KEY_PREFIX')).toBeUndefined();
    expect(readEnv({ REDIS_KEY_PREFIX: '  ' }, 'REDIS_KEY_PREFIX')).toBeUndefined();
    expect(readEnv({ REDIS_KEY_PREFIX: 'app' }, 'REDIS_KEY_PREFIX')).toBe('app');
    expect(readEnv({ REDIS_URL: ' redis://127.0.0.1:6379 \n' }, 'REDIS_URL')).toBe('redis://127.0.0.1:6379');
  });

  it('finds no suggestion among no candidates', () => {
    expect(nearestName('x', [])).toBeUndefined();
  });
});
