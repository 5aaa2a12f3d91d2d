import { describe, expect, it } from 'vitest';
import { fakeNovitaVariants } from '../../src/testing/index.js';
import { clientFor, fakeNovita, idsOf, rejectionOf } from '../support/novita-test-kit.js';

describe('the built-in client against each variant Novita was seen answering in', () => {
  it('numbers sent as numbers parse like numbers sent as strings', async () => {
    for (const variant of ['reference', 'numbers-as-numbers'] as const) {
      const fake = await fakeNovita(fakeNovitaVariants[variant]);
      const seeded = fake.addInstance({ gpuNum: 2, createdAtMs: Date.UTC(2025, 0, 1), lastStartedAtMs: Date.UTC(2025, 0, 1, 0, 1) });
      const client = clientFor(fake);
      const [listed] = (await client.listInstances()).instances;
      const detail = await client.getInstance(seeded.id);
      for (const instance of [listed, detail]) {
        expect(instance).toMatchObject({
          gpuNum: 2,
          cpuNum: 32,
          createdAt: '2025-01-01T00:00:00.000Z',
          lastStartedAt: '2025-01-01T00:01:00.000Z',
        });
        expect(instance?.lastStoppedAt).toBeUndefined();
      }
    }
  });

  it('empty strings for billingMode and spotStatus read as absent', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['empty-enum-strings']);
    fake.addInstance();
    const [instance] = (await clientFor(fake).listInstances()).instances;
    expect(instance?.billingMode).toBeUndefined();
    expect(instance?.spotStatus).toBeUndefined();
  });

  it('a status outside the reference (pending) passes through as it is', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ status: 'pending' });
    expect((await clientFor(fake).listInstances()).instances).toMatchObject([{ status: 'pending' }]);
  });

  it('a refused key answered 403 INVALID_API_KEY without metadata rejects NOVITA_AUTH, naming the reason', async () => {
    const fake = await fakeNovita(fakeNovitaVariants['refused-key-403']);
    const error = await rejectionOf(clientFor(fake, { apiKey: 'sk_refused_key' }).listInstances());
    expect(error).toMatchObject({ code: 'NOVITA_AUTH', status: 403, reason: 'INVALID_API_KEY' });
    expect(error.message).not.toContain('sk_refused_key');
  });

  it("a relay's error body is never taken as not-found: getInstance rejects instead of resolving null", async () => {
    const fake = await fakeNovita(fakeNovitaVariants['relay-error-bodies']);
    const error = await rejectionOf(clientFor(fake).getInstance('ffff000000000000'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 400 });
    expect(error.reason).toBeUndefined();
  });

  it("a gateway's HTML 502 on getInstance rejects (after its retries), never null", async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'get', kind: 'html', times: Infinity });
    const error = await rejectionOf(clientFor(fake).getInstance('ffff000000000000'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 502, retryable: true });
  });

  it('a capped page size without a total still reads every instance', async () => {
    const fake = await fakeNovita({ ...fakeNovitaVariants['capped-page-size'], ...fakeNovitaVariants['no-total'] });
    fake.addInstances(45);
    const listing = await clientFor(fake, { pageSize: 100 }).listInstances();
    expect(listing.complete).toBe(false);
    expect(idsOf(listing.instances)).toEqual(idsOf(fake.listInstances()));
  });
});
