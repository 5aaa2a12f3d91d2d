import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../src/testing/fake-novita/index.js';
import { clientFor, fakeNovita, rejectionOf } from '../support/novita-test-kit.js';

const CREATE = {
  productId: '4090.16c62g',
  gpuNum: 1,
  rootfsSize: 60,
  imageUrl: 'docker.io/library/python:3.11',
  kind: 'gpu' as const,
  name: 'trainer',
};

describe('lifecycle calls', () => {
  it('creates an instance that moves pending -> creating -> pulling -> running on the fake clock', async () => {
    const clock = createFakeClock();
    const fake = await fakeNovita({ clock: clock.now, transitionStepMs: 1000 });
    const client = clientFor(fake);
    const { id } = await client.createInstance(CREATE);
    const seen: string[] = [];
    for (let step = 0; step < 4; step += 1) {
      seen.push((await client.getInstance(id))?.status ?? 'null');
      clock.advance(1000);
    }
    expect(seen).toEqual(['pending', 'creating', 'pulling', 'running']);
    expect((await client.getInstance(id))?.lastStartedAt).toBe(new Date(clock.now() - 1000).toISOString());
    expect(fake.requests[0]?.body).toMatchObject(CREATE);
  });

  it('stops (toStop -> stopping -> exited), starts and restarts', async () => {
    const clock = createFakeClock();
    const fake = await fakeNovita({ clock: clock.now, transitionStepMs: 10 });
    fake.addInstance({ id: 'aaaa000000000001', status: 'running' });
    const client = clientFor(fake);
    await expect(client.stopInstance('aaaa000000000001')).resolves.toMatchObject({ instanceId: 'aaaa000000000001', state: 'toStop' });
    clock.advance(10);
    expect((await client.getInstance('aaaa000000000001'))?.status).toBe('stopping');
    clock.advance(10);
    expect((await client.getInstance('aaaa000000000001'))?.status).toBe('exited');
    await expect(client.startInstance('aaaa000000000001')).resolves.toMatchObject({ state: 'toStart' });
    clock.advance(20);
    await expect(client.restartInstance('aaaa000000000001')).resolves.toMatchObject({ state: 'toRestart' });
  });

  it('rejects an invalid state change with Novita’s 400, not retried', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'running' });
    const error = await rejectionOf(clientFor(fake).startInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 400, reason: 'CONFLICT', retryable: false });
    expect(error.message).toContain('invalid state change');
    expect(fake.requests).toHaveLength(1);
  });

  it('deletes gradually: toRemove -> removing -> removed (still visible) -> gone (null)', async () => {
    const clock = createFakeClock();
    const fake = await fakeNovita({ clock: clock.now, transitionStepMs: 100, removedVisibleMs: 5000 });
    fake.addInstance({ id: 'aaaa000000000001' });
    const client = clientFor(fake);
    await client.deleteInstance('aaaa000000000001');
    const seen: string[] = [];
    for (const advance of [0, 100, 100, 4999, 1]) {
      clock.advance(advance);
      seen.push((await client.getInstance('aaaa000000000001'))?.status ?? 'gone');
    }
    expect(seen).toEqual(['toRemove', 'removing', 'removed', 'removed', 'gone']);
  });

  it('resolves a delete of an instance already being removed as done', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'removing' });
    await expect(clientFor(fake).deleteInstance('aaaa000000000001')).resolves.toEqual({
      instanceId: 'aaaa000000000001',
      state: 'removing',
      alreadyGone: true,
    });
  });

  it('resolves a delete of an instance that no longer exists as done', async () => {
    const fake = await fakeNovita();
    await expect(clientFor(fake).deleteInstance('aaaa0000000000ff')).resolves.toEqual({
      instanceId: 'aaaa0000000000ff',
      alreadyGone: true,
    });
  });

  it('never takes a 404 for "already gone": a route-style 404 in Novita\'s envelope rejects the delete', async () => {
    const fake = await fakeNovita();
    fake.addInstance({ id: 'aaaa000000000001', status: 'running' });
    fake.fault({ endpoint: 'delete', kind: 'route-404' });
    const error = await rejectionOf(clientFor(fake).deleteInstance('aaaa000000000001'));
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 404, reason: 'RESOURCE_NOT_FOUND', retryable: false });
  });

  it('takes an enveloped 404 RESOURCE_NOT_FOUND for "already gone" only under notFoundResponses: documented-or-enveloped-404', async () => {
    const fake = await fakeNovita({ notFoundStatus: 404 });
    expect(await rejectionOf(clientFor(fake).deleteInstance('aaaa0000000000ff'))).toMatchObject({ status: 404 });
    await expect(clientFor(fake, { notFoundResponses: 'documented-or-enveloped-404' }).deleteInstance('aaaa0000000000ff')).resolves.toEqual(
      {
        instanceId: 'aaaa0000000000ff',
        alreadyGone: true,
      },
    );
  });

  it('logs a create body without imageAuth, env values or passwords', async () => {
    const fake = await fakeNovita();
    await clientFor(fake).createInstance({
      ...CREATE,
      imageAuth: 'user:secretpass',
      envs: [{ key: 'HF_TOKEN', value: 'hf_canary_env' }],
      password: 'root-canary-pw',
    });
    const logged = fake.requests[0]?.body as Record<string, unknown>;
    expect(logged).toMatchObject({
      ...CREATE,
      imageAuth: '[redacted]',
      envs: [{ key: 'HF_TOKEN', value: '[redacted]' }],
      password: '[redacted]',
    });
    expect(JSON.stringify(fake.requests)).not.toMatch(/secretpass|hf_canary_env|root-canary-pw/);
  });

  for (const [name, fault] of [
    ['a 5xx', { kind: 'error', status: 503 }],
    ['a dropped connection', { kind: 'drop' }],
    ['a timeout', { kind: 'hang' }],
  ] as const) {
    it(`never retries a create after ${name}: a second GPU would be billed`, async () => {
      const fake = await fakeNovita();
      fake.fault({ endpoint: 'create', ...fault, times: Infinity });
      const error = await rejectionOf(clientFor(fake, { timeoutMs: 150 }).createInstance(CREATE));
      expect(error).toMatchObject({ code: 'NOVITA_API', retryable: false, endpoint: 'POST /gpu/instance/create' });
      expect(error.message).toContain('not retried because the create may have reached Novita');
      expect(fake.requests.filter((request) => request.endpoint === 'create')).toHaveLength(1);
    });
  }

  it('retries a create that Novita refused with a 429, since Novita did not act on it', async () => {
    const fake = await fakeNovita();
    fake.fault({ endpoint: 'create', kind: 'rate-limit' });
    await expect(clientFor(fake).createInstance(CREATE)).resolves.toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(fake.listInstances()).toHaveLength(1);
  });

  it('retries a create whose connection was refused, since it never reached Novita', async () => {
    const fake = await fakeNovita();
    const url = fake.url;
    await fake.close();
    const error = await rejectionOf(clientFor(fake, { baseUrl: url, retry: { retries: 2 } }).createInstance(CREATE));
    expect(error).toMatchObject({ code: 'NOVITA_API', retryable: true });
    expect(error.message).toContain('(3 attempts)');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
