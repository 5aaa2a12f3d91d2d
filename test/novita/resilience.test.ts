import { describe, expect, it } from 'vitest';
import { clientFor, fakeNovita, recordingLogger, rejectionOf } from '../support/novita-test-kit.js';

describe('per-request retries', () => {
  it('honours Retry-After seconds on a 429 before trying again', async () => {
    const fake = await fakeNovita();
    fake.addInstances(2);
    fake.fault({ endpoint: 'list', kind: 'rate-limit', retryAfter: 1 });
    const started = Date.now();
    const listing = await clientFor(fake, { firstPageNum: 1 }).listInstances();
    expect(listing.instances).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(fake.requests.filter((request) => request.page === 1).map((request) => request.status)).toEqual([429, 200]);
  });

  it('honours a Retry-After HTTP date', async () => {
    const fake = await fakeNovita();
    fake.addInstances(1);
    // HTTP dates have whole seconds: ask for two seconds ahead so at least one full second must pass.
    const when = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
    fake.fault({ endpoint: 'list', kind: 'rate-limit', retryAfter: when.toUTCString() });
    await clientFor(fake, { firstPageNum: 1 }).listInstances();
    expect(Date.now()).toBeGreaterThanOrEqual(when.getTime() - 20);
  });

  it('backs off and retries a 429 without Retry-After', async () => {
    const fake = await fakeNovita();
    fake.addInstances(1);
    fake.fault({ endpoint: 'list', kind: 'rate-limit', times: 2 });
    await expect(clientFor(fake, { firstPageNum: 1 }).listInstances()).resolves.toMatchObject({ total: 1 });
    expect(fake.requests.filter((request) => request.page === 1).map((request) => request.status)).toEqual([429, 429, 200]);
  });

  it('fails fast, retryable, when Retry-After asks for longer than maxRetryAfterMs', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'list', kind: 'rate-limit', retryAfter: 3600 });
    const error = await rejectionOf(clientFor(fake, { firstPageNum: 1, retry: { maxRetryAfterMs: 500 } }).listInstances());
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 429, reason: 'RATE_LIMIT_EXCEEDED', retryable: true });
    expect(error.message).toContain('asked to wait 3600 s');
    expect(fake.requests).toHaveLength(1);
  });

  it('slows the whole client after a 429: a request made meanwhile waits out the pause too', async () => {
    const fake = await fakeNovita();
    const [limited, other] = fake.addInstances(2);
    const logger = recordingLogger();
    const client = clientFor(fake, { maxConcurrency: 4, logger });
    fake.fault({ endpoint: 'get', instanceId: limited?.id ?? '', kind: 'rate-limit', retryAfter: 1 });
    const first = client.getInstance(limited?.id ?? '');
    // Wait until the client itself has seen the 429 (the fake logs it before the answer reaches the client).
    while (!logger.lines.some((line) => line.fields.status === 429)) await new Promise((resolve) => setTimeout(resolve, 5));
    const rateLimitedAt = Date.now();
    await client.getInstance(other?.id ?? '');
    const second = fake.requests.find((request) => request.query.instanceId === other?.id);
    expect((second?.at ?? 0) - rateLimitedAt).toBeGreaterThanOrEqual(900);
    await expect(first).resolves.toMatchObject({ id: limited?.id });
  });

  it('retries a 5xx and resolves once Novita recovers', async () => {
    const fake = await fakeNovita();
    const [instance] = fake.addInstances(1);
    fake.fault({ endpoint: 'get', kind: 'error', status: 502, times: 2 });
    await expect(clientFor(fake).getInstance(instance?.id ?? '')).resolves.toMatchObject({ id: instance?.id });
    expect(fake.requests.map((request) => request.status)).toEqual([502, 502, 200]);
  });

  it('gives up after the configured retries with a retryable NOVITA_API error', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 500, times: Infinity });
    const error = await rejectionOf(clientFor(fake, { retry: { retries: 2 } }).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 500, reason: 'UNKNOWN', retryable: true, endpoint: 'GET /gpu/instance' });
    expect(error.message).toContain('3 attempts');
    expect(fake.requests).toHaveLength(3);
  });

  it('sends a hung request again with a fresh timeout and resolves', async () => {
    const fake = await fakeNovita();
    fake.addInstances(2);
    fake.fault({ endpoint: 'list', kind: 'hang' });
    const started = Date.now();
    const listing = await clientFor(fake, { firstPageNum: 1, timeoutMs: 150 }).listInstances();
    expect(listing.instances).toHaveLength(2);
    expect(fake.requests.filter((request) => request.page === 1)).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rejects a request that hangs on every attempt with a timeout error, never an empty answer', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'hang', times: Infinity });
    const error = await rejectionOf(clientFor(fake, { timeoutMs: 100, retry: { retries: 1 } }).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', retryable: true, status: undefined });
    expect(error.message).toContain('did not answer GET /gpu/instance within 100 ms (2 attempts)');
  });

  it('retries a dropped connection and resolves', async () => {
    const fake = await fakeNovita();
    fake.addInstances(3);
    fake.fault({ endpoint: 'list', kind: 'drop' });
    await expect(clientFor(fake, { firstPageNum: 1 }).listInstances()).resolves.toMatchObject({ total: 3 });
  });

  it('rejects a connection dropped on every attempt as a network error', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'drop', times: Infinity });
    const error = await rejectionOf(clientFor(fake, { retry: { retries: 1 } }).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', retryable: true });
    expect(error.message).toContain('could not reach Novita for GET /gpu/instance');
  });

  it('rejects malformed JSON with NOVITA_INVALID_RESPONSE (not an empty instance)', async () => {
    const fake = await fakeNovita();
    const [instance] = fake.addInstances(1);
    fake.fault({ endpoint: 'get', kind: 'malformed-json' });
    const error = await rejectionOf(clientFor(fake).getInstance(instance?.id ?? ''));
    expect(error.code).toBe('NOVITA_INVALID_RESPONSE');
  });

  it('refuses a bad key with NOVITA_AUTH, without retrying and without the key', async () => {
    const fake = await fakeNovita();
    const key = 'sk_wrong_key_canary_31337';
    const error = await rejectionOf(clientFor(fake, { apiKey: key, firstPageNum: 1 }).listInstances());
    expect(error).toMatchObject({ code: 'NOVITA_AUTH', status: 401, reason: 'UNAUTHORIZED', retryable: false });
    expect(error.message).toContain('refused the API key');
    expect(error.message).not.toContain(key);
    expect(fake.requests).toHaveLength(1);
  });

  it('takes a 403 as NOVITA_AUTH too', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 403 });
    expect(await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'))).toMatchObject({ code: 'NOVITA_AUTH', status: 403 });
  });

  it('does not retry a 400', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 400, reason: 'VALIDATOR_PARAM', message: 'instanceId is required' });
    const error = await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 400, reason: 'VALIDATOR_PARAM', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('logs each retry at warn level with the endpoint and the wait', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 503 });
    fake.addInstance({ id: 'aaaa000000000001' });
    const logger = recordingLogger();
    await clientFor(fake, { logger }).getInstance('aaaa000000000001');
    expect(logger.lines.filter((line) => line.level === 'warn')).toMatchObject([
      { fields: { endpoint: 'GET /gpu/instance', status: 503, attempt: 1 }, message: 'novita request failed, retrying' },
    ]);
  });

  it('rejects with ABORTED, without retrying, when the caller aborts', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'hang', times: Infinity });
    const error = await rejectionOf(
      clientFor(fake, { timeoutMs: 5_000 }).getInstance('aaaa000000000001', { signal: AbortSignal.timeout(80) }),
    );
    expect(error.code).toBe('ABORTED');
    expect(fake.requests).toHaveLength(1);
  });
});
