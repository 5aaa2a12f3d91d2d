import { describe, expect, it } from 'vitest';
import { clientFor, fakeNovita, rejectionOf } from '../support/novita-test-kit.js';

describe('getInstance', () => {
  it('resolves the instance with its detail fields parsed', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'running', gpuNum: 4 });
    const instance = await clientFor(fake).getInstance('aaaa000000000001');
    expect(instance).toMatchObject({ id: 'aaaa000000000001', status: 'running', gpuNum: 4, network: { ip: '10.12.0.7' }, keepDataDay: 7 });
  });

  it('resolves null for 400 RESOURCE_NOT_FOUND, the way Novita says "no such instance"', async () => {
    const fake = await fakeNovita();
    await expect(clientFor(fake).getInstance('aaaa0000000000ff')).resolves.toBeNull();
    expect(fake.requests[0]?.status).toBe(400);
  });

  it("rejects, never null, on a route-style 404 in Novita's own envelope (RESOURCE_NOT_FOUND included)", async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'running' });
    fake.fault({ endpoint: 'get', kind: 'route-404', times: Infinity });
    const error = await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 404, reason: 'RESOURCE_NOT_FOUND', retryable: false });
    expect(error.message).toContain('not taken as "does not exist"');
    expect(fake.requests.map((request) => request.status)).toEqual([404]);
  });

  it('rejects a 404 carrying RESOURCE_NOT_FOUND from an API that answers not-found that way (404 mode), by default', async () => {
    const fake = await fakeNovita({ notFoundStatus: 404 });
    const error = await rejectionOf(clientFor(fake).getInstance('aaaa0000000000ff'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 404, reason: 'RESOURCE_NOT_FOUND' });
    expect(fake.requests[0]?.status).toBe(404);
  });

  it('resolves null for an enveloped 404 RESOURCE_NOT_FOUND only when notFoundResponses widens the rule explicitly', async () => {
    const fake = await fakeNovita({ notFoundStatus: 404 });
    const widened = clientFor(fake, { notFoundResponses: 'documented-or-enveloped-404' });
    await expect(widened.getInstance('aaaa0000000000ff')).resolves.toBeNull();
    // Still only Novita's own reason: a 404 with another reason, or a bare 404, proves nothing.
    fake.fault({ endpoint: 'get', kind: 'route-404', reason: 'NOT_FOUND' });
    expect(await rejectionOf(widened.getInstance('aaaa0000000000ff'))).toMatchObject({ status: 404, reason: 'NOT_FOUND' });
    fake.fault({ endpoint: 'get', kind: 'error', status: 404, body: '404 page not found' });
    expect(await rejectionOf(widened.getInstance('aaaa0000000000ff'))).toMatchObject({ status: 404, reason: undefined });
  });

  it("rejects a 404 carrying Novita's error body with another reason", async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 404, reason: 'NOT_FOUND', message: 'instance not found' });
    expect(await rejectionOf(clientFor(fake).getInstance('aaaa0000000000ff'))).toMatchObject({
      code: 'NOVITA_API',
      status: 404,
      reason: 'NOT_FOUND',
    });
  });

  it('rejects RESOURCE_NOT_FOUND under any status but 400', async () => {
    const fake = await fakeNovita();
    for (const status of [409, 410, 422]) {
      fake.fault({ endpoint: 'get', kind: 'error', status, reason: 'RESOURCE_NOT_FOUND', message: 'instance not found' });
      expect(await rejectionOf(clientFor(fake).getInstance('aaaa0000000000ff')), String(status)).toMatchObject({
        code: 'NOVITA_API',
        status,
        reason: 'RESOURCE_NOT_FOUND',
      });
    }
  });

  it('rejects, never null, on a bare 404 from something that is not Novita', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 404, body: '404 page not found' });
    const error = await rejectionOf(clientFor(fake).getInstance('aaaa0000000000ff'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 404, reason: undefined });
  });

  it('rejects, never null, when the base URL is wrong and a gateway answers 404', async () => {
    const fake = await fakeNovita();
    const error = await rejectionOf(clientFor(fake, { baseUrl: `${fake.url}/wrong` }).getInstance('aaaa0000000000ff'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 404 });
  });

  it('returns a removed instance as an instance with status removed', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'removed' });
    await expect(clientFor(fake).getInstance('aaaa000000000001')).resolves.toMatchObject({ id: 'aaaa000000000001', status: 'removed' });
  });

  it('passes an unknown status through', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'quantumSuperposition' });
    await expect(clientFor(fake).getInstance('aaaa000000000001')).resolves.toMatchObject({ status: 'quantumSuperposition' });
  });

  it('rejects, never null, on 5xx, 429 and timeouts', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 503, times: Infinity });
    expect((await rejectionOf(clientFor(fake, { retry: { retries: 0 } }).getInstance('a1'))).code).toBe('NOVITA_API');
    fake.clearFaults();
    fake.fault({ endpoint: 'get', kind: 'rate-limit', times: Infinity });
    expect((await rejectionOf(clientFor(fake, { retry: { retries: 0 } }).getInstance('a1'))).status).toBe(429);
    fake.clearFaults();
    fake.fault({ endpoint: 'get', kind: 'hang', times: Infinity });
    expect((await rejectionOf(clientFor(fake, { timeoutMs: 50, retry: { retries: 0 } }).getInstance('a1'))).code).toBe('NOVITA_API');
  });

  it('rejects an answer about another instance instead of taking it for this one', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', extra: { id: 'bbbb000000000002' } });
    const error = await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_INVALID_RESPONSE', field: 'id' });
  });

  it('rejects an instance without a status with NOVITA_INVALID_RESPONSE naming the field', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', extra: { status: null } });
    expect(await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'))).toMatchObject({
      code: 'NOVITA_INVALID_RESPONSE',
      field: 'status',
    });
  });
});
