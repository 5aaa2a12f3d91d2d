import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clientFor, fakeNovita, recordingLogger } from '../support/novita-test-kit.js';

const CANARY_KEY = 'sk_canary_4f1e9b7d2c6a0853';
const SSH_PASSWORD = 'canary-ssh-password-77aa';
const ENV_SECRET = 'canary-env-secret-99bb';

/** Everything an error exposes: message, stack, every own property (hidden ones too) and the cause chain. */
function everythingIn(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    parts.push(inspect(current, { showHidden: true, depth: 8, getters: true }));
    if (typeof current === 'object') {
      for (const name of Object.getOwnPropertyNames(current)) {
        try {
          parts.push(`${name}=${inspect((current as Record<string, unknown>)[name], { showHidden: true, depth: 8, getters: true })}`);
        } catch {
          // A throwing getter exposes nothing.
        }
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

describe('secrets', () => {
  it('never shows the API key, sshPassword or env values in any error, error property, cause or log line of a failing run', async () => {
    const fake = await fakeNovita({ apiKey: CANARY_KEY });
    fake.addInstances(12, () => ({ sshPassword: SSH_PASSWORD, envs: [{ key: 'HF_TOKEN', value: ENV_SECRET }] }));
    const [first] = fake.listInstances();
    const id = first?.id ?? '';
    const logger = recordingLogger();
    const client = clientFor(fake, { apiKey: CANARY_KEY, logger, timeoutMs: 100, retry: { retries: 1 }, pageSize: 5 });
    const outcomes: unknown[] = [];
    const run = async (scenario: () => Promise<unknown>): Promise<void> => {
      try {
        outcomes.push(await scenario());
      } catch (error) {
        outcomes.push(error);
      }
    };

    fake.fault({ endpoint: 'list', page: 2, kind: 'error', status: 503, times: Infinity });
    await run(() => client.listInstances());
    fake.clearFaults();
    for (const fault of [
      { kind: 'hang' },
      { kind: 'drop' },
      { kind: 'malformed-json' },
      { kind: 'rate-limit', retryAfter: 0 },
      { kind: 'error', status: 500, message: `upstream echoed Bearer ${CANARY_KEY}` },
      { kind: 'error', status: 400, reason: 'VALIDATOR_PARAM', message: `bad key ${CANARY_KEY}` },
    ] as const) {
      fake.fault({ ...fault, times: Infinity });
      await run(() => client.getInstance(id));
      await run(() =>
        client.createInstance({
          productId: 'p',
          gpuNum: 1,
          rootfsSize: 10,
          imageUrl: 'i',
          kind: 'gpu',
          envs: [{ key: 'T', value: ENV_SECRET }],
        }),
      );
      await run(() => client.deleteInstance(id));
      fake.clearFaults();
    }
    fake.fault({ endpoint: 'list', kind: 'omit-item' });
    await run(() => client.listInstances());
    await run(() => client.getInstance(id));
    await run(() => clientFor(fake, { apiKey: `${CANARY_KEY}x`, logger }).listInstances());
    await run(() =>
      clientFor(fake, { apiKey: CANARY_KEY, logger, baseUrl: 'http://127.0.0.1:1/v1', retry: { retries: 0 } }).listInstances(),
    );

    const errors = outcomes.filter((outcome) => outcome instanceof Error);
    expect(errors.length).toBeGreaterThan(15);
    const haystack = [
      ...outcomes.map(everythingIn),
      ...logger.lines.map((line) => `${line.message} ${inspect(line.fields, { depth: 8 })}`),
      JSON.stringify(fake.requests),
    ].join('\n');
    expect(haystack).not.toContain(CANARY_KEY);
    expect(haystack).not.toContain(SSH_PASSWORD);
    expect(haystack).not.toContain(ENV_SECRET);
    // The run really did fail in the ways above, and logged them.
    expect(haystack).toContain('NOVITA_INCOMPLETE_LISTING');
    expect(haystack).toContain('NOVITA_AUTH');
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
  });
});

describe('instance credentials, by allowlist', () => {
  const IMAGE_AUTH = 'user:secretpass';
  const AUTHORIZATION = 'Bearer canary-instance-authorization-55cc';
  const JUPYTER_TOKEN = 'canary-jupyter-token-66dd';
  const CANARIES = [IMAGE_AUTH, 'secretpass', AUTHORIZATION, 'canary-instance-authorization-55cc', SSH_PASSWORD, ENV_SECRET, JUPYTER_TOKEN];

  it('keeps none of imageAuth, authorization, env values or connect-component secrets in listings, getInstance (raw too) or the fake log', async () => {
    const fake = await fakeNovita();
    const seeded = fake.addInstances(3, (index) => ({
      sshPassword: SSH_PASSWORD,
      envs: [{ key: 'HF_TOKEN', value: ENV_SECRET }],
      extra: {
        imageAuth: IMAGE_AUTH,
        authorization: AUTHORIZATION,
        imageAuthId: `auth-${index}`,
        connectComponentJupyter: {
          port: 8888,
          address: `https://jupyter.fake/lab?token=${JUPYTER_TOKEN}`,
          token: JUPYTER_TOKEN,
          isRunning: true,
        },
      },
    }));
    const id = seeded[0]?.id ?? '';
    const returned: unknown[] = [];
    for (const keepRaw of [false, true]) {
      const client = clientFor(fake, { keepRaw });
      const listing = await client.listInstances();
      const one = await client.getInstance(id);
      returned.push(listing, one);
      // The allowlist keeps what scope.instance and adoptRecord need, credentials aside.
      expect(one).toMatchObject({
        id,
        status: 'running',
        imageAuthId: 'auth-0',
        envs: [{ key: 'HF_TOKEN', value: '[redacted]' }],
        connectComponentJupyter: { port: 8888, isRunning: true },
      });
      expect(one).not.toHaveProperty('imageAuth');
      expect(one).not.toHaveProperty('authorization');
      expect(one?.raw === undefined).toBe(!keepRaw);
    }
    await clientFor(fake).createInstance({
      productId: 'p',
      gpuNum: 1,
      rootfsSize: 10,
      imageUrl: 'i',
      kind: 'gpu',
      imageAuth: IMAGE_AUTH,
      authorization: AUTHORIZATION,
      envs: [{ key: 'T', value: ENV_SECRET }],
    });
    await fetch(`${fake.url}/gpu/instance?instanceId=${id}`, {
      headers: { authorization: AUTHORIZATION, cookie: `session=${JUPYTER_TOKEN}`, 'x-api-key': IMAGE_AUTH },
    });

    const haystack = `${JSON.stringify(returned)}\n${JSON.stringify(fake.requests)}\n${inspect(fake.requests, { depth: 10 })}`;
    for (const canary of CANARIES) expect(haystack, canary).not.toContain(canary);
    // The log still shows that these were sent, and what else was in them.
    expect(fake.requests.at(-2)?.body).toMatchObject({ imageAuth: '[redacted]', authorization: '[redacted]', productId: 'p' });
    expect(fake.requests.at(-1)?.headers).toMatchObject({
      authorization: 'Bearer [redacted]',
      cookie: '[redacted]',
      'x-api-key': '[redacted]',
    });
  });
});

describe('URL credentials in any text Novita sends', () => {
  const PASSWORD = 'canary-url-password-88ee';
  const URL_WITH_PASSWORD = `https://deploy:${PASSWORD}@registry.example/team/img:1`;
  const QUERY_SECRET = 'canary-query-token-99ff';

  it('redacts user:password@ and secret query values in statusError, names, image, cluster and product fields of getInstance and listInstances', async () => {
    const fake = await fakeNovita();
    const [seeded] = fake.addInstances(1, () => ({
      name: `job ${URL_WITH_PASSWORD}`,
      imageUrl: URL_WITH_PASSWORD,
      status: 'exited',
      extra: {
        statusError: { state: 'pullImageFailed', message: `pull ${URL_WITH_PASSWORD} failed: unauthorized` },
        clusterName: `mirror https://x:${PASSWORD}@mirror.example`,
        productName: `GPU https://logs.example/?access_token=${QUERY_SECRET}`,
      },
    }));
    const id = seeded?.id ?? '';
    for (const keepRaw of [false, true]) {
      const client = clientFor(fake, { keepRaw });
      const one = await client.getInstance(id);
      const listed = (await client.listInstances()).instances.find((instance) => instance.id === id);
      for (const instance of [one, listed]) {
        const text = JSON.stringify(instance);
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(QUERY_SECRET);
        // What is not a secret is kept, so the message still says what failed.
        expect(instance?.statusError).toEqual({
          state: 'pullImageFailed',
          message: 'pull https://[redacted]@registry.example/team/img:1 failed: unauthorized',
        });
        expect(instance?.imageUrl).toBe('https://[redacted]@registry.example/team/img:1');
        expect(instance?.name).toBe('job https://[redacted]@registry.example/team/img:1');
      }
    }
  });
});
