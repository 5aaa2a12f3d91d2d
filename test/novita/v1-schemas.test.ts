import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isReconcilerError } from '../../src/errors.js';
import { parseV1ErrorEnvelope, parseV1Instance, parseV1ListPage } from '../../src/novita/v1-schemas.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/novita/${name}`, import.meta.url), 'utf8'));

function invalidField(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isReconcilerError(error, 'NOVITA_INVALID_RESPONSE')).toBe(true);
    return (error as { field: string }).field;
  }
  throw new Error('expected NOVITA_INVALID_RESPONSE');
}

describe('v1 list page parsing', () => {
  it('turns string-encoded numbers into numbers and Unix-second strings into ISO dates', () => {
    const page = parseV1ListPage(fixture('list-instances.page1.json'));
    const first = page.instances[0];
    expect(page.total).toBe(3);
    expect(first).toMatchObject({ id: '3560b7fec915bbf9', status: 'running', cpuNum: 16, memory: 62, gpuNum: 1, rootfsSize: 60 });
    expect(first?.createdAt).toBe(new Date(1732780800 * 1000).toISOString());
    expect(first?.lastStartedAt).toBe(new Date(1732780860 * 1000).toISOString());
  });

  it('reads "0" timestamps as never (absent), "-1" endTime as absent and "" enums as absent', () => {
    const [running, exited] = parseV1ListPage(fixture('list-instances.page1.json')).instances;
    expect(running).not.toHaveProperty('lastStoppedAt');
    expect(running).not.toHaveProperty('endTime');
    expect(running).not.toHaveProperty('spotStatus');
    expect(running).not.toHaveProperty('spotReclaimTime');
    expect(exited).not.toHaveProperty('billingMode');
    expect(exited?.lastStoppedAt).toBe(new Date(1732720000 * 1000).toISOString());
  });

  it('keeps only allowlisted fields: an unknown field is dropped and there is no raw copy by default', () => {
    const body = fixture('list-instances.page2.json') as { instances: Array<Record<string, unknown>> };
    const item = body.instances[0];
    if (item) item.brandNewField = { nested: true };
    const [instance] = parseV1ListPage(body).instances;
    expect(instance).not.toHaveProperty('brandNewField');
    expect(instance).not.toHaveProperty('raw');
    expect(instance?.clusterName).toBe('US-CA-06');
    expect(instance?.spotReclaimTime).toBe(new Date(1732790000 * 1000).toISOString());
  });

  it('keeps every field Novita sent on raw, unknown ones included, only with keepRaw', () => {
    const body = fixture('list-instances.page2.json') as { instances: Array<Record<string, unknown>> };
    const item = body.instances[0];
    if (item) item.brandNewField = { nested: true };
    const [instance] = parseV1ListPage(body, { keepRaw: true }).instances;
    expect(instance?.raw?.brandNewField).toEqual({ nested: true });
    expect(instance?.raw?.clusterName).toBe('US-CA-06');
  });

  it('passes an unknown status through as a string', () => {
    const body = { instances: [{ id: 'a1', status: 'hibernating' }], total: '1' };
    expect(parseV1ListPage(body).instances[0]?.status).toBe('hibernating');
  });

  it('accepts timestamps as numbers, numeric strings, milliseconds and ISO strings', () => {
    const iso = '2024-11-28T08:00:00.000Z';
    const seconds = Date.parse(iso) / 1000;
    const body = {
      total: 4,
      instances: [
        { id: 'a', status: 'running', createdAt: seconds },
        { id: 'b', status: 'running', createdAt: String(seconds) },
        { id: 'c', status: 'running', createdAt: seconds * 1000 },
        { id: 'd', status: 'running', createdAt: iso },
      ],
    };
    expect(parseV1ListPage(body).instances.map((instance) => instance.createdAt)).toEqual([iso, iso, iso, iso]);
  });

  it('accepts a null instances array (how Go encodes an empty slice) as an empty page', () => {
    expect(parseV1ListPage({ instances: null, total: 0 })).toMatchObject({ instances: [], total: 0 });
  });

  it('drops a descriptive field of an undocumented shape instead of failing the listing', () => {
    const [instance] = parseV1ListPage(
      { total: 1, instances: [{ id: 'a', status: 'running', cpuNum: 'lots', portMappings: 'none' }] },
      { keepRaw: true },
    ).instances;
    expect(instance).not.toHaveProperty('cpuNum');
    expect(instance).not.toHaveProperty('portMappings');
    expect(instance?.raw?.cpuNum).toBe('lots');
  });

  it('rejects an item without an id, naming the field', () => {
    expect(invalidField(() => parseV1ListPage({ total: 2, instances: [{ id: 'a', status: 'running' }, { status: 'running' }] }))).toBe(
      'instances[1].id',
    );
  });

  it('rejects an item without a status, naming the field', () => {
    expect(invalidField(() => parseV1ListPage({ total: 1, instances: [{ id: 'a' }] }))).toBe('instances[0].status');
  });

  it('rejects an unreadable timestamp, naming the field', () => {
    expect(invalidField(() => parseV1ListPage({ total: 1, instances: [{ id: 'a', status: 'running', createdAt: 'yesterday-ish' }] }))).toBe(
      'instances[0].createdAt',
    );
  });

  it("reads a body without a total (Novita's current reference) as a page without one, and a null total likewise", () => {
    expect(parseV1ListPage({ instances: [] })).toEqual({ instances: [] });
    expect(parseV1ListPage({ instances: [], total: null })).toEqual({ instances: [] });
    expect(parseV1ListPage({ instances: [], total: '7' })).toEqual({ instances: [], total: 7 });
  });

  it('rejects a total that is not a count, and a body that is not an object', () => {
    expect(invalidField(() => parseV1ListPage({ instances: [], total: -1 }))).toBe('total');
    expect(invalidField(() => parseV1ListPage({ instances: [], total: 'many' }))).toBe('total');
    expect(invalidField(() => parseV1ListPage([]))).toBe('');
    expect(invalidField(() => parseV1ListPage('ok'))).toBe('');
  });
});

describe('v1 get-instance parsing', () => {
  it('parses the detail fields and never hands out sshPassword, connect-component passwords or env values', () => {
    const body = fixture('get-instance.json') as Record<string, unknown>;
    body.sshPassword = 'top-level-ssh-password-never-log';
    const instance = parseV1Instance(body);
    expect(instance).toMatchObject({
      id: '3560b7fec915bbf9',
      network: { id: 'net-01', ip: '10.12.0.7' },
      freeStorageSize: 41,
      keepDataDay: 7,
    });
    expect(instance.envs).toEqual([{ key: 'HF_TOKEN', value: '[redacted]' }]);
    const text = JSON.stringify(instance);
    for (const secret of [
      'ssh-password-never-log',
      'web-password-never-log',
      'hf_secret_value_never_log',
      'top-level-ssh-password-never-log',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(instance.connectComponentSSH).toEqual({ sshCommand: 'ssh root@ssh.example -p 31022', isRunning: true });
    expect(instance).not.toHaveProperty('sshPassword');
  });

  it('keeps every documented field of the get-one fixture, credentials aside', () => {
    const instance = parseV1Instance(fixture('get-instance.json'));
    expect(instance).toEqual({
      id: '3560b7fec915bbf9',
      status: 'running',
      name: 'train-llama-7b',
      clusterId: 'us-ca-6',
      clusterName: 'US-CA-06',
      productId: '4090.16c62g',
      productName: 'RTX 4090 24GB',
      imageUrl: 'docker.io/pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime',
      kind: 'gpu',
      cpuNum: 16,
      memory: 62,
      gpuNum: 1,
      rootfsSize: 60,
      createdAt: new Date(1732780800 * 1000).toISOString(),
      lastStartedAt: new Date(1732780860 * 1000).toISOString(),
      portMappings: [{ port: 8888, type: 'http', endpoint: 'https://3560b7fec915bbf9-8888.proxy.example' }],
      envs: [{ key: 'HF_TOKEN', value: '[redacted]' }],
      volumeMounts: [{ type: 'local', size: 100, id: 'vol-01', mountPath: '/data' }],
      billingMode: 'onDemand',
      network: { id: 'net-01', ip: '10.12.0.7' },
      node: [{ maxRootfsSize: 500 }],
      freeStorageSize: 41,
      keepDataDay: 7,
      connectComponentSSH: { sshCommand: 'ssh root@ssh.example -p 31022', isRunning: true },
      connectComponentWebTerminal: { address: 'https://term.example/3560b7fec915bbf9', username: 'root', isRunning: true },
      connectComponentJupyter: { port: 8888, address: 'https://3560b7fec915bbf9-8888.proxy.example', isRunning: true },
      connectComponentLog: {
        systemLogAddress: 'https://logs.example/sys/3560b7fec915bbf9',
        instanceLogAddress: 'https://logs.example/inst/3560b7fec915bbf9',
        isRunning: true,
      },
    });
  });

  it('drops imageAuth, authorization and connect-component tokens, and redacts secrets in URLs', () => {
    const body = {
      ...(fixture('get-instance.json') as Record<string, unknown>),
      imageAuth: 'user:secretpass',
      authorization: 'Bearer sk_instance_secret',
      imageAuthId: 'auth-01',
      connectComponentJupyter: {
        port: 8888,
        address: 'https://host.example/lab?token=jupyter-token-never-log',
        token: 'jupyter-token-never-log',
        password: 'jpw-never-log',
        isRunning: true,
      },
      portMappings: [{ port: 22, type: 'tcp', endpoint: 'ssh://root:endpoint-pw-never-log@host.example:31022' }],
    };
    const instance = parseV1Instance(body);
    expect(instance.imageAuthId).toBe('auth-01');
    expect(instance.connectComponentJupyter).toEqual({ port: 8888, address: 'https://host.example/lab?token=[redacted]', isRunning: true });
    expect(instance.portMappings).toEqual([{ port: 22, type: 'tcp', endpoint: 'ssh://[redacted]@host.example:31022' }]);
    const withRaw = parseV1Instance(body, { keepRaw: true });
    for (const parsed of [instance, withRaw]) {
      const text = JSON.stringify(parsed);
      for (const secret of [
        'secretpass',
        'sk_instance_secret',
        'jupyter-token-never-log',
        'jpw-never-log',
        'endpoint-pw-never-log',
        'ssh-password-never-log',
        'hf_secret_value_never_log',
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(withRaw.raw).toMatchObject({ imageAuth: '[redacted]', authorization: '[redacted]', imageAuthId: 'auth-01' });
  });
});

describe('v1 error envelope', () => {
  it("recognises Novita's error body and nothing else", () => {
    expect(parseV1ErrorEnvelope(fixture('error-not-found.json'))).toEqual({
      code: 400,
      reason: 'RESOURCE_NOT_FOUND',
      message: 'instance not found',
    });
    expect(parseV1ErrorEnvelope(fixture('error-rate-limited.json'))?.reason).toBe('RATE_LIMIT_EXCEEDED');
    expect(parseV1ErrorEnvelope({ error: 'not found' })).toBeUndefined();
    expect(parseV1ErrorEnvelope('404 page not found')).toBeUndefined();
  });
});
