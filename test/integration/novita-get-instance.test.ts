import { describe, expect, it } from 'vitest';
import { clientFor, fakeNovita, rejectionOf } from './novita-test-kit.js';

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

  it('resolves null for a 404 carrying RESOURCE_NOT_FOUND (404 mode)', async () => {
    const fake = await fakeNovita({ notFoundStatus: 404 });
    await expect(clientFor(fake).getInstance('aaaa0000000000ff')).resolves.toBeNull();
    expect(fake.requests[0]?.status).toBe(404);
  });

  it("resolves null for a 404 carrying Novita's error body with another reason", async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'error', status: 404, reason: 'NOT_FOUND', message: 'instance not found' });
    await expect(clientFor(fake).getInstance('aaaa0000000000ff')).resolves.toBeNull();
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
    expect(await rejectionOf(clientFor(fake).getInstance('aaaa000000000001'))).toMatchObject({ code: 'NOVITA_INVALID_RESPONSE', field: 'status' });
  });
});
