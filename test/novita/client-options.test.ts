import { describe, expect, it } from 'vitest';
import { DEFAULT_NOVITA_BASE_URL, resolveNovitaClientOptions } from '../../src/novita/client-options.js';
import { createNovitaClient } from '../../src/novita/index.js';
import type { NovitaClientOptions } from '../../src/novita/index.js';
import { configError } from '../support/config-error.js';

const KEY = 'sk_canary_options_0123456789';

describe('client options', () => {
  it('refuses to start without a key and names both the option and NOVITA_API_KEY', () => {
    const error = configError(() => resolveNovitaClientOptions({}, {}));
    expect(error.field).toBe('apiKey');
    expect(error.message).toContain('apiKey');
    expect(error.message).toContain('NOVITA_API_KEY');
  });

  it('takes the key and base URL from the environment when no option is given, the option first', () => {
    const fromEnv = resolveNovitaClientOptions({}, { NOVITA_API_KEY: KEY, NOVITA_API_BASE_URL: 'http://127.0.0.1:9/v1/' });
    expect(fromEnv.apiKey).toBe(KEY);
    expect(fromEnv.baseUrl).toBe('http://127.0.0.1:9/v1');
    const explicit = resolveNovitaClientOptions(
      { apiKey: 'sk_other', baseUrl: 'https://example.test/x' },
      { NOVITA_API_KEY: KEY, NOVITA_API_BASE_URL: 'http://127.0.0.1:9' },
    );
    expect(explicit.apiKey).toBe('sk_other');
    expect(explicit.baseUrl).toBe('https://example.test/x');
  });

  it("defaults to Novita's base URL and modest limits", () => {
    const resolved = resolveNovitaClientOptions({ apiKey: KEY }, {});
    expect(resolved.baseUrl).toBe(DEFAULT_NOVITA_BASE_URL);
    expect(resolved).toMatchObject({ pageSize: 100, firstPageNum: 'auto', timeoutMs: 15_000, retries: 3, maxConcurrency: 4 });
  });

  it('names the option, what it got and what it wants for a bad value', () => {
    const error = configError(() => resolveNovitaClientOptions({ apiKey: KEY, maxConcurrency: 0 }, {}));
    expect(error.field).toBe('maxConcurrency');
    expect(error.message).toBe('maxConcurrency: must be a whole number from 1 to 64 (got 0)');
    expect(configError(() => resolveNovitaClientOptions({ apiKey: KEY, retry: { retries: -1 } }, {})).field).toBe('retry.retries');
    expect(configError(() => resolveNovitaClientOptions({ apiKey: KEY, firstPageNum: 2 as 0 }, {})).field).toBe('firstPageNum');
    expect(configError(() => resolveNovitaClientOptions({ apiKey: KEY }, { NOVITA_API_BASE_URL: 'not a url' })).field).toBe(
      'NOVITA_API_BASE_URL',
    );
  });

  it('never echoes the key, even when the key itself is malformed or hidden in the base URL', () => {
    const badKey = `${KEY}\n`;
    const keyError = configError(() => resolveNovitaClientOptions({ apiKey: badKey }, {}));
    expect(JSON.stringify({ ...keyError, message: keyError.message })).not.toContain(KEY);
    const urlError = configError(() => resolveNovitaClientOptions({ apiKey: KEY, baseUrl: `https://user:${KEY}@api.novita.ai/v1` }, {}));
    expect(`${urlError.message} ${urlError.received}`).not.toContain(KEY);
  });

  it('refuses an unknown key, naming it and the nearest valid name: createNovitaClient({ timeoutMS })', () => {
    const error = configError(() => createNovitaClient({ apiKey: KEY, timeoutMS: 5 } as NovitaClientOptions));
    expect(error.field).toBe('timeoutMS');
    expect(error.suggestion).toBe('timeoutMs');
    expect(error.message).toContain('is not an option of createNovitaClient');
    expect(configError(() => createNovitaClient({ apiKey: KEY, notFoundResponse: 'documented' } as NovitaClientOptions)).suggestion).toBe(
      'notFoundResponses',
    );
  });

  it('refuses an unknown key inside retry, with its path', () => {
    const error = configError(() =>
      createNovitaClient({ apiKey: KEY, retry: { retries: 1, maxDelay: 10 } as NovitaClientOptions['retry'] }),
    );
    expect(error.field).toBe('retry.maxDelay');
    expect(error.suggestion).toBe('maxDelayMs');
    expect(configError(() => createNovitaClient({ apiKey: KEY, retry: 3 as unknown as NovitaClientOptions['retry'] })).field).toBe('retry');
  });

  it('counts an empty NOVITA_API_KEY or NOVITA_API_BASE_URL as unset', () => {
    expect(configError(() => resolveNovitaClientOptions({}, { NOVITA_API_KEY: '' })).field).toBe('apiKey');
    expect(configError(() => resolveNovitaClientOptions({}, { NOVITA_API_KEY: '   ' })).message).toContain('a Novita API key is required');
    expect(resolveNovitaClientOptions({}, { NOVITA_API_KEY: KEY, NOVITA_API_BASE_URL: '' }).baseUrl).toBe(DEFAULT_NOVITA_BASE_URL);
    expect(resolveNovitaClientOptions({}, { NOVITA_API_KEY: KEY, NOVITA_API_BASE_URL: '  ' }).baseUrl).toBe(DEFAULT_NOVITA_BASE_URL);
  });

  it('takes not-found only as documented and keeps no raw copy, unless told otherwise', () => {
    expect(resolveNovitaClientOptions({ apiKey: KEY }, {})).toMatchObject({ notFoundResponses: 'documented', keepRaw: false });
    expect(resolveNovitaClientOptions({ apiKey: KEY, notFoundResponses: 'documented-or-enveloped-404', keepRaw: true }, {})).toMatchObject({
      notFoundResponses: 'documented-or-enveloped-404',
      keepRaw: true,
    });
    expect(configError(() => resolveNovitaClientOptions({ apiKey: KEY, notFoundResponses: 'any-404' as 'documented' }, {})).field).toBe(
      'notFoundResponses',
    );
    expect(configError(() => resolveNovitaClientOptions({ apiKey: KEY, keepRaw: 'yes' as unknown as boolean }, {})).field).toBe('keepRaw');
  });
});

describe('the env option', () => {
  it('reads the key and base URL from the env object it is given, not from process.env', () => {
    const saved = { key: process.env.NOVITA_API_KEY, url: process.env.NOVITA_API_BASE_URL };
    process.env.NOVITA_API_KEY = 'sk_from_process_env';
    process.env.NOVITA_API_BASE_URL = 'http://127.0.0.1:1/v1';
    try {
      const resolved = resolveNovitaClientOptions({
        env: { NOVITA_API_KEY: ' sk_account_b ', NOVITA_API_BASE_URL: 'http://127.0.0.1:9/v1' },
      });
      expect(resolved.apiKey).toBe('sk_account_b');
      expect(resolved.baseUrl).toBe('http://127.0.0.1:9/v1');
      expect(configError(() => resolveNovitaClientOptions({ env: {} })).field).toBe('apiKey');
      expect(configError(() => resolveNovitaClientOptions({ env: 'NOVITA_API_KEY=x' as never })).field).toBe('env');
    } finally {
      if (saved.key === undefined) delete process.env.NOVITA_API_KEY;
      else process.env.NOVITA_API_KEY = saved.key;
      if (saved.url === undefined) delete process.env.NOVITA_API_BASE_URL;
      else process.env.NOVITA_API_BASE_URL = saved.url;
    }
  });
});
