/**
 * The handlers against input an attacker (or a confused framework) hands them: throwing getters,
 * Proxies whose traps throw, objects that are not plain, cyclic and huge values, and floods of unknown
 * keys. The promises: the handler's promise always resolves, a sync never runs on input that could not
 * be read, and the answer stays small whatever the input holds.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, createMemoryStore, createReconciler, type InstanceStore } from '../../src/index.js';
import { createListHandler, createSyncHandler, type HttpResult } from '../../src/http/index.js';
import { createScriptedNovitaClient } from '../../src/testing/scripted-novita-client.js';
import { instance, NOW, record } from '../support/reconcile-fixtures.js';

function setup() {
  const store = createMemoryStore({ records: [record('r0'), record('r1')] });
  const novita = createScriptedNovitaClient({ instances: [instance('nv-r0', 'running')] });
  const reconciler = createReconciler({ store, novitaClient: novita, clock: () => NOW });
  return { store, novita, reconciler, sync: createSyncHandler(reconciler), list: createListHandler(reconciler) };
}

const snapshot = async (store: InstanceStore): Promise<string> => JSON.stringify(await store.list());

const boom = (): never => {
  throw new Error('getter exploded with /etc/secret');
};

function throwingProxy(trap: keyof ProxyHandler<object>, target: object = { dryRun: true }): object {
  return new Proxy(target, { [trap]: boom });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({ dryRun: true }, {});
  revoke();
  return proxy;
}

function cyclic(): object {
  const value: Record<string, unknown> = {};
  value.self = value;
  return { dryRun: value };
}

class SearchParamsThatThrow extends URLSearchParams {
  override entries(): ReturnType<URLSearchParams['entries']> {
    throw new Error('entries exploded');
  }
}

describe('the sync handler never rejects and never syncs on input it could not read', () => {
  it.each([
    ['a getter on an accepted field that throws', 'dryRun', () => Object.defineProperty({}, 'dryRun', { get: boom, enumerable: true })],
    ['a Proxy whose ownKeys trap throws', '(input)', () => throwingProxy('ownKeys')],
    ['a Proxy whose get trap throws', 'dryRun', () => throwingProxy('get')],
    ['a Proxy whose getOwnPropertyDescriptor trap throws', '(input)', () => throwingProxy('getOwnPropertyDescriptor')],
    ['a Proxy whose getPrototypeOf trap throws', '(input)', () => throwingProxy('getPrototypeOf')],
    ['a revoked Proxy', '(input)', revokedProxy],
    ['a cyclic object as a field value', 'dryRun', cyclic],
    ['a Proxy as a field value', 'dryRun', () => ({ dryRun: throwingProxy('get') })],
    ['a revoked Proxy as a field value', 'dryRun', () => ({ dryRun: revokedProxy() })],
    [
      'a fetch Request instead of its body',
      '(input)',
      () => new Request('http://localhost/sync?dryRun=true', { method: 'POST', body: 'dryRun=true' }),
    ],
    ['a Map of fields', '(input)', () => new Map([['dryRun', true]])],
    [
      'a class instance',
      '(input)',
      () =>
        new (class Fields {
          dryRun = true;
        })(),
    ],
    ['a URLSearchParams whose entries() throws', '(input)', () => new SearchParamsThatThrow('dryRun=true')],
    ['a function', '(input)', () => () => ({ dryRun: true })],
    ['a symbol', '(input)', () => Symbol('dryRun')],
  ])('%s: resolves 400 naming %s, nothing runs, nothing is written', async (_case, field, makeInput) => {
    const { store, novita, sync } = setup();
    const before = await snapshot(store);
    const result = await sync(makeInput());
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR', details: { field } } });
    expect(JSON.stringify(result)).not.toContain('/etc/secret');
    expect(novita.calls).toHaveLength(0);
    expect(await snapshot(store)).toBe(before);
  });

  it('never calls the getter of a field it does not accept', async () => {
    const { novita, sync } = setup();
    let reads = 0;
    const input = Object.defineProperty({}, 'debug', {
      enumerable: true,
      get: () => {
        reads += 1;
        return boom();
      },
    });
    const result = await sync(input);
    expect(result.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: { field: 'debug' } } });
    expect(reads).toBe(0);
    expect(novita.calls).toHaveLength(0);
  });

  it('reads a getter once: a value that changes between reads cannot pass validation as one and run as another', async () => {
    const { store, sync } = setup();
    const before = await snapshot(store);
    let reads = 0;
    const input = Object.defineProperty({}, 'dryRun', {
      enumerable: true,
      get: () => {
        reads += 1;
        return reads === 1;
      },
    });
    const result = await sync(input);
    expect(result.body).toMatchObject({ success: true, data: { dryRun: true } });
    expect(reads).toBe(1);
    expect(await snapshot(store)).toBe(before);
  });

  it('call options that cannot be read answer 500 CONFIG_INVALID (the application is at fault) and run nothing', async () => {
    const { novita, sync } = setup();
    const unreadable = await sync({}, Object.defineProperty({}, 'signal', { get: boom }));
    expect(unreadable).toMatchObject({
      status: 500,
      body: { error: { code: 'CONFIG_INVALID', message: expect.stringMatching(/^signal: /) } },
    });
    const notASignal = await sync({}, { signal: 'abort' as never });
    expect(notASignal).toMatchObject({
      status: 500,
      body: { error: { code: 'CONFIG_INVALID', message: expect.stringMatching(/^signal: must be an AbortSignal/) } },
    });
    expect(novita.calls).toHaveLength(0);
  });
});

describe('the answer repeats little of the input', () => {
  const manyKeys = (count: number): Record<string, boolean> =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`unknown-${i}`, true]));

  it('100,000 unknown keys: a 400 under 4 KB naming ten of them and counting the rest', async () => {
    const { novita, sync } = setup();
    const result = await sync(manyKeys(100_000));
    const size = JSON.stringify(result.body).length;
    expect(result.status).toBe(400);
    expect(size).toBeLessThan(4096);
    if (result.body.success) throw new Error('expected a failure');
    const issues = result.body.error.details?.issues ?? [];
    expect(issues.slice(0, 10).map((issue) => issue.field)).toEqual(Array.from({ length: 10 }, (_, i) => `unknown-${i}`));
    expect(issues[10]).toEqual({ field: '(input)', message: 'and 99990 more fields that are not accepted' });
    expect(issues).toHaveLength(11);
    expect(novita.calls).toHaveLength(0);
  });

  it('100,000 unknown keys in a URLSearchParams, and on the list handler: the same small answer', async () => {
    const { list } = setup();
    const query = new URLSearchParams(Array.from({ length: 100_000 }, (_, i): [string, string] => [`q${i}`, 'true']));
    const result = await list(query);
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body).length).toBeLessThan(4096);
    expect(JSON.stringify(result.body)).toContain('and 99990 more fields that are not accepted');
  });

  it('a megabyte field name and a megabyte value are cut short in the answer', async () => {
    const { sync } = setup();
    const long = 'x'.repeat(1_000_000);
    const byName = await sync({ [long]: true });
    expect(JSON.stringify(byName.body).length).toBeLessThan(1024);
    expect(byName.body).toMatchObject({ error: { details: { field: expect.stringContaining('(1000000 characters)') } } });
    const byValue = await sync({ dryRun: long });
    expect(JSON.stringify(byValue.body).length).toBeLessThan(1024);
    expect(byValue.body).toMatchObject({ error: { message: expect.stringContaining('(got "xxxxxxxx') } });
  });

  it('names the received value and suggests the accepted field a typo was meant to be', async () => {
    const { sync } = setup();
    const result = await sync({ dryRun: 'yes', dryrun: true });
    if (result.body.success) throw new Error('expected a failure');
    expect(result.body.error.message).toBe(
      'dryRun: must be true or false (a JSON boolean, or the query string "true" or "false") (got "yes")',
    );
    expect(result.body.error.details?.issues?.[1]).toEqual({
      field: 'dryrun',
      message: 'is not an accepted field; did you mean "dryRun"? (accepted: dryRun, handleObsoleteInstances, forceSync)',
    });
  });
});

describe('handler options use the one option rule', () => {
  const { reconciler } = setup();
  it.each([
    ['createSyncHandler', () => createSyncHandler(reconciler, { allowforce: true } as never), 'allowforce', 'allowForce'],
    ['createListHandler', () => createListHandler(reconciler, { onerror: () => undefined } as never), 'onerror', 'onError'],
  ])('%s refuses an unknown key with ConfigError naming it and the nearest option', (owner, create, field, suggestion) => {
    let thrown: unknown;
    try {
      create();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({
      field,
      suggestion,
      message: expect.stringContaining(`is not an option of ${owner}; did you mean "${suggestion}"?`),
    });
  });
});

describe('HttpResult.status', () => {
  it('is a union of literal statuses (so Hono-style c.json(body, status) type-checks)', () => {
    expectTypeOf<HttpResult<unknown>['status']>().toEqualTypeOf<200 | 400 | 405 | 409 | 413 | 415 | 500 | 502 | 503>();
  });
});
