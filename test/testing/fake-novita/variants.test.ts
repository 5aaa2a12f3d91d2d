import { describe, expect, it } from 'vitest';
import { fakeNovitaVariants } from '../../../src/testing/index.js';
import { fakeNovita } from '../../support/novita-test-kit.js';

/** One raw request to the fake, as a client without our parsing would see it. */
async function raw(url: string, key: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('the fake Novita answers in each variant seen in the wild', () => {
  it('no-total: the listing is {"instances": [...]} alone', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['no-total']);
    fake.addInstances(3);
    const page = JSON.parse((await raw(`${fake.url}/gpu/instances?pageSize=10&pageNum=1`, fake.apiKey)).text) as Record<string, unknown>;
    expect(Object.keys(page)).toEqual(['instances']);
    expect(page.instances).toHaveLength(3);
  });

  it('capped-page-size: at most 20 a page whatever was asked', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['capped-page-size']);
    fake.addInstances(30);
    const page = JSON.parse((await raw(`${fake.url}/gpu/instances?pageSize=100&pageNum=1`, fake.apiKey)).text) as {
      instances: unknown[];
      pageSize: number;
    };
    expect(page.instances).toHaveLength(20);
    expect(page.pageSize).toBe(20);
  });

  it('refused-key-403: 403 INVALID_API_KEY without metadata', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['refused-key-403']);
    const answer = await raw(`${fake.url}/gpu/instances?pageSize=10&pageNum=1`, 'sk_wrong');
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toEqual({ code: 403, reason: 'INVALID_API_KEY', message: 'invalid api-key' });
  });

  it('empty-account-not-found: an account without instances answers the listing 400 RESOURCE_NOT_FOUND', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['empty-account-not-found']);
    const answer = await raw(`${fake.url}/gpu/instances?pageSize=10&pageNum=1`, fake.apiKey);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ code: 400, reason: 'RESOURCE_NOT_FOUND' });
  });

  it('relay-error-bodies: every error is {"code": 0, "message", "type"}, with no reason', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['relay-error-bodies']);
    const notFound = await raw(`${fake.url}/gpu/instance?instanceId=ffff000000000000`, fake.apiKey);
    expect(notFound.status).toBe(400);
    expect(JSON.parse(notFound.text)).toEqual({ code: 0, message: 'instance not found', type: 'resource_not_found' });
  });

  it('the html fault: a gateway HTML 502 page', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'list', kind: 'html' });
    const answer = await raw(`${fake.url}/gpu/instances?pageSize=10&pageNum=1`, fake.apiKey);
    expect(answer.status).toBe(502);
    expect(answer.type).toBe('text/html');
    expect(answer.text).toContain('<h1>502 Bad Gateway</h1>');
  });

  it('numbers-as-numbers: counts and Unix seconds as JSON numbers; the reference sends strings', async () => {
    const numbers = await fakeNovita(fakeNovitaVariants['numbers-as-numbers']);
    expect(numbers.addInstance({ createdAtMs: Date.UTC(2025, 0, 1) })).toMatchObject({
      gpuNum: 1,
      cpuNum: 16,
      createdAt: 1735689600,
      lastStoppedAt: 0,
    });
    const strings = await fakeNovita(fakeNovitaVariants.reference);
    expect(strings.addInstance({ createdAtMs: Date.UTC(2025, 0, 1) })).toMatchObject({
      gpuNum: '1',
      cpuNum: '16',
      createdAt: '1735689600',
      lastStoppedAt: '0',
    });
  });

  it('empty-enum-strings: billingMode and spotStatus as ""', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['empty-enum-strings']);
    expect(fake.addInstance({ billingMode: 'spot' })).toMatchObject({ billingMode: '', spotStatus: '' });
  });

  it('pending: a created instance starts in the undocumented status pending', async () => {
    const fake = await fakeNovita();
    const response = await fetch(`${fake.url}/gpu/instance/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ productId: 'p', imageUrl: 'i' }),
    });
    const { id } = (await response.json()) as { id: string };
    expect(fake.getInstance(id)?.status).toBe('pending');
  });
});
