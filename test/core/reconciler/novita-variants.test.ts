/**
 * The reconciler, the built-in client and the fake Novita over loopback, in each shape Novita was seen
 * answering in. Above all: a listing without a total reconciles, terminating records whose instance is
 * gone and keeping live ones, and an instance pushed out of the pages by a shift is confirmed alive,
 * never ended.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type InstanceRecord, type ReconcilerEvent } from '../../../src/index.js';
import { createNovitaClient, type NovitaClientOptions } from '../../../src/novita/index.js';
import {
  createFakeClock,
  fakeNovitaVariants,
  startFakeNovita,
  type FakeNovita,
  type FakeNovitaOptions,
} from '../../../src/testing/index.js';

const DAY = 86_400_000;
const fakes: FakeNovita[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function scene(fakeOptions: FakeNovitaOptions, clientOptions: NovitaClientOptions = {}) {
  const clock = createFakeClock(Date.UTC(2026, 10, 28, 12));
  const fake = await startFakeNovita({ clock: clock.now, order: 'oldest-first', ...fakeOptions });
  fakes.push(fake);
  const instances = fake.addInstances(12, (index) => ({
    id: `bb${index.toString(16).padStart(14, '0')}`,
    createdAtMs: clock.now() - DAY + index * 1000,
    status: index === 11 ? 'pending' : 'running',
  }));
  const created = new Date(clock.now() - DAY).toISOString();
  const recordOf = (id: string, novitaInstanceId: string): InstanceRecord => ({
    id,
    novitaInstanceId,
    status: 'running',
    novitaStatus: 'running',
    timestamps: { created, started: created },
  });
  const records = [...instances.map((instance, index) => recordOf(`rec-${index}`, instance.id)), recordOf('rec-gone', 'bbffffffffffffff')];
  const store = createMemoryStore({ records });
  const novitaClient = createNovitaClient({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    pageSize: 5,
    firstPageNum: 1,
    maxConcurrency: 1,
    timeoutMs: 2_000,
    retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    listing: { restartDelayMs: 1 },
    ...clientOptions,
  });
  const events: ReconcilerEvent[] = [];
  const reconciler = createReconciler({ store, novitaClient, clock: () => new Date(clock.now()), onEvent: (event) => events.push(event) });
  const snapshot = async () => JSON.stringify(await store.list());
  return { fake, store, reconciler, instances, events, snapshot };
}

describe('a listing without a total reconciles', () => {
  it('terminates the record whose instance is gone (proven one by one), keeps every live one, and confirms an instance pushed out of the pages alive', async () => {
    const { fake, store, reconciler, instances, events } = await scene(fakeNovitaVariants['no-total']);
    // The oldest instance is removed while page 2 is read, so every later page starts one further on: the
    // instance that was 6th is never listed. It is alive; its record must be kept.
    const first = instances[0]?.id ?? '';
    const pushedOut = instances[5]?.id ?? '';
    fake.fault({ endpoint: 'list', page: 2, kind: 'mutate', run: (self) => self.removeInstance(first) });
    const report = await reconciler.sync();

    expect(report.listing).toMatchObject({ complete: false, walks: 1, total: null });
    expect(report.listing.reason).toContain('Novita announced no total');
    expect(events.some((event) => event.type === 'listing-unproven')).toBe(true);
    const gets = fake.requests.filter((request) => request.endpoint === 'get').map((request) => request.query.instanceId);
    expect(gets.sort()).toEqual([pushedOut, 'bbffffffffffffff'].sort());
    expect(await store.get('rec-gone')).toMatchObject({ status: 'terminated', terminationProof: { by: 'novita-not-found' } });
    expect(await store.get('rec-5')).toMatchObject({ status: 'running' });
    for (let index = 0; index < 12; index += 1) expect((await store.get(`rec-${index}`))?.status).not.toBe('terminated');
    expect(await store.get('rec-11')).toMatchObject({ status: 'creating', novitaStatus: 'pending' });
    expect(report.markedTerminated).toBe(1);

    // The instance removed meanwhile was read on page 1 before it went: the next run proves it gone.
    const next = await reconciler.sync();
    expect(next.markedTerminated).toBe(1);
    expect(await store.get('rec-0')).toMatchObject({
      status: 'terminated',
      terminationProof: { by: 'novita-not-found', novitaInstanceId: first },
    });
    expect(await store.get('rec-5')).toMatchObject({ status: 'running' });
  });

  it('a second run with nothing changed at Novita writes nothing', async () => {
    const { reconciler, snapshot } = await scene(fakeNovitaVariants['no-total']);
    await reconciler.sync();
    const after = await snapshot();
    const second = await reconciler.sync();
    expect(second.actions).toEqual([]);
    expect(await snapshot()).toBe(after);
  });
});

describe('the reconciler against each variant Novita was seen answering in', () => {
  for (const variant of ['reference', 'capped-page-size', 'numbers-as-numbers', 'empty-enum-strings'] as const) {
    it(`${variant}: a complete listing; the gone record terminated, the live ones kept`, async () => {
      const { store, reconciler } = await scene({
        ...fakeNovitaVariants[variant],
        ...(variant === 'capped-page-size' ? { maxPageSize: 4 } : {}),
      });
      const report = await reconciler.sync();
      expect(report.listing).toMatchObject({ complete: true, total: 12 });
      expect(report.markedTerminated).toBe(1);
      expect(await store.get('rec-gone')).toMatchObject({ status: 'terminated' });
      expect(await store.get('rec-11')).toMatchObject({ novitaStatus: 'pending' });
    });
  }

  it('refused-key-403: the run rejects NOVITA_AUTH and writes nothing', async () => {
    const { reconciler, snapshot } = await scene(fakeNovitaVariants['refused-key-403'], { apiKey: 'sk_not_the_key' });
    const before = await snapshot();
    await expect(reconciler.sync()).rejects.toMatchObject({ code: 'NOVITA_AUTH', status: 403, reason: 'INVALID_API_KEY' });
    expect(await snapshot()).toBe(before);
  });

  it('empty-account-not-found: rejected by default, naming the option; with notFoundListingIsEmpty each record is proven gone one by one', async () => {
    const strict = await scene(fakeNovitaVariants['empty-account-not-found']);
    strict.fake.clearInstances();
    const before = await strict.snapshot();
    const error = (await strict.reconciler.sync().catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 400, reason: 'RESOURCE_NOT_FOUND' });
    expect(error.message).toContain('notFoundListingIsEmpty: true');
    expect(await strict.snapshot()).toBe(before);

    const lenient = await scene(fakeNovitaVariants['empty-account-not-found'], { notFoundListingIsEmpty: true });
    lenient.fake.clearInstances();
    // Two instances still exist at Novita, although the listing said "none": the unproven empty listing is never proof.
    lenient.fake.addInstance({ id: 'bb0000000000000a', status: 'running' });
    lenient.fake.fault({ endpoint: 'list', kind: 'error', status: 400, reason: 'RESOURCE_NOT_FOUND', times: Infinity });
    const report = await lenient.reconciler.sync();
    expect(report.listing).toMatchObject({ complete: false });
    expect(report.listing.reason).toContain('notFoundListingIsEmpty');
    // Counted before any confirmation, as on a complete listing: 12 of 13 look obsolete.
    expect(report.safety.tripped).toBe(true);
    expect(report.markedTerminated).toBe(0);
    const forced = await lenient.reconciler.sync({ forceSync: true });
    expect(forced.markedTerminated).toBe(12);
    expect(await lenient.store.get('rec-10')).toMatchObject({ status: 'running' });
    expect(await lenient.store.get('rec-3')).toMatchObject({ status: 'terminated', terminationProof: { by: 'novita-not-found' } });
  });

  it('relay-error-bodies on getInstance: a record absent from an unproven listing is never ended (its not-found proves nothing)', async () => {
    const { store, reconciler } = await scene({ ...fakeNovitaVariants['no-total'], ...fakeNovitaVariants['relay-error-bodies'] });
    const report = await reconciler.sync();
    expect(report.markedTerminated + report.removed).toBe(0);
    expect(report.unverified).toBe(1);
    expect(await store.get('rec-gone')).toMatchObject({ status: 'running' });
  });

  it("a gateway's HTML 502 on page 2 rejects the run and writes nothing", async () => {
    const { fake, reconciler, snapshot } = await scene(fakeNovitaVariants['no-total']);
    fake.fault({ endpoint: 'list', page: 2, kind: 'html', times: Infinity });
    const before = await snapshot();
    await expect(reconciler.sync()).rejects.toMatchObject({ code: 'NOVITA_INCOMPLETE_LISTING' });
    expect(await snapshot()).toBe(before);
  });
});
