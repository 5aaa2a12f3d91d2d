/**
 * The fake's options, checked once when it starts: a typo in a test's setup (`maxPagesize`) must fail
 * loudly, or the test quietly runs against defaults and proves nothing.
 */
import { ConfigError } from '../../errors.js';
import { booleanOption, checkOptionKeys, functionOption, integerOption, stringOption } from '../../options.js';
import type { FakeInstanceSeed } from './fake-instance.js';

/** Options of `startFakeNovita`. */
export interface FakeNovitaOptions {
  /**
   * The API key the fake accepts as `Authorization: Bearer <key>`.
   * @default 'sk_fake_novita_key'
   */
  apiKey?: string;
  /**
   * The path the API lives under, as on Novita.
   * @default '/gpu-instance/openapi/v1'
   */
  basePath?: string;
  /**
   * The number of the first page. Novita's own is not documented (its CLI sends 0, most clients 1).
   * @default 1
   */
  firstPageNum?: 0 | 1;
  /**
   * What a `pageNum` below the first page gets: the first page (`'first-page'`), an empty page
   * (`'empty'`), or a 400 `VALIDATOR_PARAM` (`'error'`).
   * @default 'first-page'
   */
  belowFirstPage?: 'first-page' | 'empty' | 'error';
  /**
   * Page size when the request has none.
   * @default 10
   */
  defaultPageSize?: number;
  /**
   * The largest page the fake serves; a larger `pageSize` is served this many (a capped page size:
   * the client must count pages from what was served, not from what it asked).
   * @default 100
   */
  maxPageSize?: number;
  /**
   * Listing order. Novita's is undocumented.
   * @default 'newest-first'
   */
  order?: 'newest-first' | 'oldest-first';
  /**
   * The HTTP status of "instance not found" (body reason `RESOURCE_NOT_FOUND` either way). Novita
   * documents 400; `404` imitates an API that answers otherwise, which the client refuses to take as
   * "gone" unless created with `notFoundResponses: 'documented-or-enveloped-404'`.
   * @default 400
   */
  notFoundStatus?: 400 | 404;
  /**
   * Unverified Novita behaviour (a third-party client treats it so): answer the listing of an empty
   * account with 400 `RESOURCE_NOT_FOUND` instead of an empty page.
   * @default false
   */
  emptyListingIsNotFound?: boolean;
  /**
   * Novita's current reference shows the list page as `{"instances": [...]}` alone (the older one and
   * the PPIO mirror add `total`, `pageSize`, `pageNum`). `false` answers the listing without them: a
   * client must then find the end from the pages, and cannot prove the listing complete.
   * @default true
   */
  listingTotal?: boolean;
  /**
   * The status a refused key is answered with. `401`: `{"code":401,"reason":"UNAUTHORIZED",...}`;
   * `403`: what Novita's API host was captured answering, `{"code":403,"reason":"INVALID_API_KEY",
   * "message":"invalid api-key"}` without `metadata`.
   * @default 401
   */
  refusedKeyStatus?: 401 | 403;
  /**
   * The shape of every error body. `'envelope'`: Novita's `{code, reason, message, metadata}`;
   * `'relay'`: `{"code": 0, "message", "type"}` as a relay in front of Novita answers (no `reason`, so
   * no answer proves an instance gone). An HTML page from a gateway is the `html` fault.
   * @default 'envelope'
   */
  errorBodies?: 'envelope' | 'relay';
  /**
   * How counts and timestamps are sent: `'strings'` (`"16"`, Unix seconds as `"1727430000"`, `"0"` for
   * never), as the reference documents, or `'numbers'` (the same values as JSON numbers).
   * @default 'strings'
   */
  numbers?: 'strings' | 'numbers';
  /** Send `billingMode` as `""` (as real responses do) whatever the seeds say. `spotStatus` is `""` either way. @default false */
  emptyEnumStrings?: boolean;
  /**
   * The clock lifecycle transitions follow, in epoch milliseconds. See `createFakeClock`.
   * @default Date.now
   */
  clock?: () => number;
  /**
   * Time between two steps of a lifecycle (`pending` -> `creating` -> `pulling` -> `running`, ...).
   * @default 1000
   */
  transitionStepMs?: number;
  /**
   * How long a deleted instance stays visible as `removed` before it is gone.
   * @default 60000
   */
  removedVisibleMs?: number;
  /** Instances the fake starts with. @default [] */
  instances?: FakeInstanceSeed[];
  /**
   * The port to listen on; `0` picks a free one (read the chosen one from `fake.url`). A port in use
   * makes `startFakeNovita` reject with the server's `EADDRINUSE` error.
   * @default 0
   */
  port?: number;
  /**
   * The address to listen on. Keep the loopback default unless another machine or a container must
   * reach the fake: it accepts anyone who knows its (fake) key.
   * @default '127.0.0.1'
   */
  host?: string;
}

/** The options with every default applied. */
export interface ResolvedFakeOptions {
  apiKey: string;
  basePath: string;
  firstPageNum: 0 | 1;
  belowFirstPage: 'first-page' | 'empty' | 'error';
  defaultPageSize: number;
  maxPageSize: number;
  order: 'newest-first' | 'oldest-first';
  notFoundStatus: 400 | 404;
  emptyListingIsNotFound: boolean;
  listingTotal: boolean;
  refusedKeyStatus: 401 | 403;
  errorBodies: 'envelope' | 'relay';
  numbers: 'strings' | 'numbers';
  emptyEnumStrings: boolean;
  clock: () => number;
  transitionStepMs: number;
  removedVisibleMs: number;
  instances: FakeInstanceSeed[];
  port: number;
  host: string;
}

const OWNER = 'startFakeNovita';

const OPTION_KEYS = [
  'apiKey',
  'basePath',
  'firstPageNum',
  'belowFirstPage',
  'defaultPageSize',
  'maxPageSize',
  'order',
  'notFoundStatus',
  'emptyListingIsNotFound',
  'listingTotal',
  'refusedKeyStatus',
  'errorBodies',
  'numbers',
  'emptyEnumStrings',
  'clock',
  'transitionStepMs',
  'removedVisibleMs',
  'instances',
  'port',
  'host',
] as const;

/** Every key of {@link FakeInstanceSeed}. */
export const SEED_KEYS = [
  'id',
  'name',
  'status',
  'productId',
  'productName',
  'clusterId',
  'imageUrl',
  'kind',
  'gpuNum',
  'rootfsSize',
  'billingMode',
  'createdAtMs',
  'lastStartedAtMs',
  'lastStoppedAtMs',
  'envs',
  'sshPassword',
  'extra',
  'listExtra',
] as const;

/** Applies the defaults; an unknown key or a bad value is a `ConfigError` naming it. */
export function resolveFakeOptions(input: FakeNovitaOptions | undefined): ResolvedFakeOptions {
  const options = checkOptionKeys<FakeNovitaOptions>(OWNER, input, OPTION_KEYS);
  const instances = options.instances ?? [];
  if (!Array.isArray(instances)) throw new ConfigError('instances', 'must be an array of instance seeds', { received: instances });
  for (const [index, seed] of instances.entries()) checkSeed(seed, `instances[${index}]`);
  const basePath = stringOption('basePath', options.basePath) ?? '/gpu-instance/openapi/v1';
  return {
    apiKey: stringOption('apiKey', options.apiKey) ?? 'sk_fake_novita_key',
    basePath: `/${basePath.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, ''),
    firstPageNum: oneOf('firstPageNum', options.firstPageNum, [1, 0] as const),
    belowFirstPage: oneOf('belowFirstPage', options.belowFirstPage, ['first-page', 'empty', 'error'] as const),
    defaultPageSize: integerOption('defaultPageSize', options.defaultPageSize, 10, 1),
    maxPageSize: integerOption('maxPageSize', options.maxPageSize, 100, 1),
    order: oneOf('order', options.order, ['newest-first', 'oldest-first'] as const),
    notFoundStatus: oneOf('notFoundStatus', options.notFoundStatus, [400, 404] as const),
    emptyListingIsNotFound: booleanOption('emptyListingIsNotFound', options.emptyListingIsNotFound, false),
    listingTotal: booleanOption('listingTotal', options.listingTotal, true),
    refusedKeyStatus: oneOf('refusedKeyStatus', options.refusedKeyStatus, [401, 403] as const),
    errorBodies: oneOf('errorBodies', options.errorBodies, ['envelope', 'relay'] as const),
    numbers: oneOf('numbers', options.numbers, ['strings', 'numbers'] as const),
    emptyEnumStrings: booleanOption('emptyEnumStrings', options.emptyEnumStrings, false),
    clock: functionOption<() => number>('clock', options.clock) ?? Date.now,
    transitionStepMs: integerOption('transitionStepMs', options.transitionStepMs, 1000, 0),
    removedVisibleMs: integerOption('removedVisibleMs', options.removedVisibleMs, 60_000, 0),
    instances,
    port: integerOption('port', options.port, 0, 0, 65_535),
    host: stringOption('host', options.host) ?? '127.0.0.1',
  };
}

/** Refuses a seed with an unknown key (`staus: 'exited'` would otherwise seed a running instance). */
export function checkSeed(seed: unknown, path: string): FakeInstanceSeed {
  if (typeof seed !== 'object' || seed === null || Array.isArray(seed)) {
    throw new ConfigError(path, `${OWNER} instance seeds must be objects`, { received: seed });
  }
  return checkOptionKeys<FakeInstanceSeed>(OWNER, seed, SEED_KEYS, path);
}

/** `value` when it is one of `allowed`, the first of them when undefined, else a `ConfigError`. */
function oneOf<const T extends readonly (string | number)[]>(field: string, value: unknown, allowed: T): T[number] {
  if (value === undefined) return allowed[0] as T[number];
  if (!allowed.includes(value as string | number)) {
    throw new ConfigError(field, `must be ${allowed.map((item) => JSON.stringify(item)).join(' or ')}`, { received: value });
  }
  return value as T[number];
}
