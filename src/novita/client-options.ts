import { ConfigError } from '../errors.js';
import { booleanOption, checkOptionKeys, functionOption, integerOption, numberOption, readEnv } from '../options.js';
import type { NovitaListingOptions, ResolvedListingOptions } from './listing-options.js';
import { resolveListingOptions } from './listing-options.js';
import type { NovitaLogger } from './logger.js';
import { silentLogger } from './logger.js';

/** Novita's v1 GPU instance API. */
export const DEFAULT_NOVITA_BASE_URL = 'https://api.novita.ai/gpu-instance/openapi/v1';

/** Per-request retry settings. Retries apply to one request, never to a whole listing. */
export interface NovitaRetryOptions {
  /**
   * Retries after the first attempt, for 429, 5xx, network errors and timeouts.
   * @default 3
   */
  retries?: number;
  /**
   * The backoff before retry `n` is a random delay in `[0, min(maxDelayMs, baseDelayMs * 2^n))`
   * (exponential backoff with full jitter).
   * @default 250
   */
  baseDelayMs?: number;
  /**
   * Upper bound of one backoff delay.
   * @default 5000
   */
  maxDelayMs?: number;
  /**
   * The longest `Retry-After` the client waits out. When Novita asks for longer, the request fails
   * (retryable) instead of sleeping that long.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

/** Which Novita answers prove an instance does not exist; see {@link NovitaClientOptions.notFoundResponses}. */
export type NovitaNotFoundResponses = 'documented' | 'documented-or-enveloped-404';

/** See {@link NovitaClientOptions.requestBudget}. */
export interface NovitaRequestBudget {
  /** Requests per second, sustained (fractions allowed: 1.6 is 96 a minute). */
  requestsPerSecond: number;
  /** Requests allowed at once after a quiet spell. @default the whole part of `requestsPerSecond`, at least 1 */
  burst?: number;
}

/** Options of {@link createNovitaClient}. */
export interface NovitaClientOptions {
  /**
   * The Novita API key (`sk_...`). Never logged, never put into an error.
   * @default process.env.NOVITA_API_KEY
   */
  apiKey?: string;
  /**
   * The API base URL, up to and including `/v1`.
   * @default process.env.NOVITA_API_BASE_URL, else `https://api.novita.ai/gpu-instance/openapi/v1`
   */
  baseUrl?: string;
  /**
   * Instances asked for per listing page. Novita may serve fewer; the client counts pages from what
   * it served.
   * @default 100
   */
  pageSize?: number;
  /**
   * The number of the first page. Whether Novita counts pages from 0 or from 1 is not documented; with
   * `'auto'` the client probes both on its first listing and remembers the answer.
   * @default 'auto'
   */
  firstPageNum?: 0 | 1 | 'auto';
  /**
   * Time allowed for one request (one attempt), in milliseconds.
   * @default 15000
   */
  timeoutMs?: number;
  /** Per-request retries. */
  retry?: NovitaRetryOptions;
  /**
   * Requests in flight at once, across every call of this client. Listing pages after the first and
   * the reconciler's confirmations share this bound. A 429 halves the bound for a while and pauses
   * every request until the wait Novita asked for has passed.
   * @default 4
   */
  maxConcurrency?: number;
  /**
   * A request budget: a token bucket that caps every request this client sends (listing pages,
   * confirmations, lifecycle calls and retries alike) to `requestsPerSecond`, with up to `burst` at once
   * after a quiet spell. Novita's rate limit is not documented; teams that share one API key between this
   * library and their own app's create/start/stop calls set it so a reconcile run never starves the app
   * (the system this library replaces capped itself at 100 requests a minute: `{ requestsPerSecond: 1.6 }`).
   * @default none (only `maxConcurrency` bounds the client)
   */
  requestBudget?: NovitaRequestBudget;
  /**
   * The most pages a listing may have. A `total` that needs more is taken as implausible and the
   * listing rejects rather than hammering Novita.
   * @default 1000
   */
  maxPages?: number;
  /**
   * Unverified behaviour: Novita may answer the listing of an account without instances with
   * `400 RESOURCE_NOT_FOUND`. When `true`, that answer on the first page is taken as an empty listing,
   * graded unproven (`complete: false`): the reconciler then confirms each record's instance with
   * `getInstance` before it acts on its absence. Off by default: the answer rejects, and the error says
   * that an empty account may be answered this way.
   * @default false
   */
  notFoundListingIsEmpty?: boolean;
  /**
   * Which answers prove that an instance does not exist, for `getInstance` (`null`), `deleteInstance`
   * (`alreadyGone`) and, with `notFoundListingIsEmpty`, the empty listing.
   *
   * - `'documented'`: only what Novita documents, HTTP 400 whose error body has
   *   `reason: "RESOURCE_NOT_FOUND"`. Every 404 rejects, whatever its body: a route, a proxy or a
   *   gateway answers 404 too, sometimes in Novita's own error format, and taking that for "gone" lets
   *   the reconciler terminate records of live instances.
   * - `'documented-or-enveloped-404'`: also HTTP 404 whose body is Novita's error envelope with
   *   `reason: "RESOURCE_NOT_FOUND"` (a bare 404 or another reason still rejects). Only for an account
   *   where Novita has been seen answering a missing instance that way, and with the risk above.
   * @default 'documented'
   */
  notFoundResponses?: NovitaNotFoundResponses;
  /**
   * Keep a redacted copy of every field Novita sent on each instance's `raw`. Off by default: a
   * listing of a large account would hold a second copy of every instance, and the typed fields
   * already carry every documented one. Even when on, credentials are redacted (see docs/novita.md).
   * @default false
   */
  keepRaw?: boolean;
  /**
   * The `fetch` implementation, for proxies or instrumentation.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
  /**
   * The `User-Agent` header.
   * @default 'novita-reconciler'
   */
  userAgent?: string;
  /**
   * Where retries, rate limiting and request outcomes are logged (pino-style). Never receives the key
   * or request bodies.
   * @default a silent logger
   */
  logger?: NovitaLogger;
  /**
   * Where `NOVITA_API_KEY` and `NOVITA_API_BASE_URL` are read from when `apiKey` / `baseUrl` are not
   * given (an empty variable counts as unset). Pass your own config object to keep the client off
   * `process.env`, for example one client per Novita account.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * How a listing copes with instances created or deleted while its pages are read: a walk that sees
   * the listing shift is read again, up to `maxWalks` walks, after a short jittered wait.
   * @default { maxWalks: 3, restartDelayMs: 250 }
   */
  listing?: NovitaListingOptions;
}

/** Options with every default applied and every value checked. */
export interface ResolvedNovitaClientOptions {
  apiKey: string;
  baseUrl: string;
  pageSize: number;
  firstPageNum: 0 | 1 | 'auto';
  timeoutMs: number;
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  maxConcurrency: number;
  requestBudget: { requestsPerSecond: number; burst: number } | undefined;
  maxPages: number;
  notFoundListingIsEmpty: boolean;
  notFoundResponses: NovitaNotFoundResponses;
  keepRaw: boolean;
  fetch: typeof globalThis.fetch;
  userAgent: string;
  logger: NovitaLogger;
  listing: ResolvedListingOptions;
}

/** Every key of {@link NovitaClientOptions}: anything else is a typo and refused. */
const CLIENT_OPTION_KEYS = [
  'apiKey',
  'baseUrl',
  'pageSize',
  'firstPageNum',
  'timeoutMs',
  'retry',
  'maxConcurrency',
  'requestBudget',
  'maxPages',
  'notFoundListingIsEmpty',
  'notFoundResponses',
  'keepRaw',
  'listing',
  'fetch',
  'userAgent',
  'logger',
  'env',
] as const;

const RETRY_OPTION_KEYS = ['retries', 'baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const;

const NOT_FOUND_RESPONSES: readonly NovitaNotFoundResponses[] = ['documented', 'documented-or-enveloped-404'];

/**
 * Applies defaults, then the environment, then validates. Every failure is a {@link ConfigError} naming
 * the option (an unknown key included, with the nearest valid name); the API key is never echoed back.
 * An empty `NOVITA_API_KEY` or `NOVITA_API_BASE_URL` counts as unset.
 */
export function resolveNovitaClientOptions(
  input: NovitaClientOptions | undefined,
  fallbackEnv: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedNovitaClientOptions {
  const options = checkOptionKeys<NovitaClientOptions>('createNovitaClient', input, CLIENT_OPTION_KEYS);
  if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
    throw new ConfigError('env', 'must be an object of environment variables', { received: typeof options.env });
  }
  const env = options.env ?? fallbackEnv;
  const retry = checkOptionKeys<NovitaRetryOptions>('createNovitaClient', options.retry, RETRY_OPTION_KEYS, 'retry');
  const apiKey = options.apiKey ?? readEnv(env, 'NOVITA_API_KEY');
  // Never `received`: whatever was passed as the key may be the key.
  if (apiKey !== undefined && typeof apiKey !== 'string') throw new ConfigError('apiKey', 'must be a string');
  if (apiKey === undefined || apiKey.trim() === '') {
    throw new ConfigError('apiKey', 'a Novita API key is required: pass the apiKey option or set NOVITA_API_KEY');
  }
  // A key with whitespace or control characters would make fetch throw an error that quotes the header.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ConfigError(
      'apiKey',
      'the Novita API key contains whitespace or characters a header cannot carry (from the apiKey option or NOVITA_API_KEY)',
    );
  }

  const baseUrl = resolveBaseUrl(options.baseUrl, readEnv(env, 'NOVITA_API_BASE_URL'));
  const resolved: ResolvedNovitaClientOptions = {
    apiKey,
    baseUrl,
    pageSize: integerOption('pageSize', options.pageSize, 100, 1, 10_000),
    firstPageNum: options.firstPageNum ?? 'auto',
    timeoutMs: integerOption('timeoutMs', options.timeoutMs, 15_000, 1, 600_000),
    retries: integerOption('retry.retries', retry.retries, 3, 0, 20),
    baseDelayMs: integerOption('retry.baseDelayMs', retry.baseDelayMs, 250, 0, 600_000),
    maxDelayMs: integerOption('retry.maxDelayMs', retry.maxDelayMs, 5_000, 0, 3_600_000),
    maxRetryAfterMs: integerOption('retry.maxRetryAfterMs', retry.maxRetryAfterMs, 60_000, 0, 3_600_000),
    maxConcurrency: integerOption('maxConcurrency', options.maxConcurrency, 4, 1, 64),
    requestBudget: resolveRequestBudget(options.requestBudget),
    maxPages: integerOption('maxPages', options.maxPages, 1_000, 1, 1_000_000),
    notFoundListingIsEmpty: booleanOption('notFoundListingIsEmpty', options.notFoundListingIsEmpty, false),
    notFoundResponses: options.notFoundResponses ?? 'documented',
    keepRaw: booleanOption('keepRaw', options.keepRaw, false),
    fetch: functionOption<typeof globalThis.fetch>('fetch', options.fetch) ?? ((url, init) => globalThis.fetch(url, init)),
    userAgent: options.userAgent ?? 'novita-reconciler',
    logger: options.logger ?? silentLogger,
    listing: resolveListingOptions(options.listing),
  };
  if (resolved.firstPageNum !== 0 && resolved.firstPageNum !== 1 && resolved.firstPageNum !== 'auto') {
    throw new ConfigError('firstPageNum', "must be 0, 1 or 'auto'", { received: resolved.firstPageNum });
  }
  if (!NOT_FOUND_RESPONSES.includes(resolved.notFoundResponses)) {
    throw new ConfigError('notFoundResponses', `must be ${NOT_FOUND_RESPONSES.map((value) => `'${value}'`).join(' or ')}`, {
      received: resolved.notFoundResponses,
    });
  }
  if (typeof resolved.userAgent !== 'string' || !/^[\x20-\x7e]*$/.test(resolved.userAgent)) {
    throw new ConfigError('userAgent', 'must be a printable ASCII string', { received: resolved.userAgent });
  }
  const logger = resolved.logger as Partial<NovitaLogger> | null;
  if (
    logger === null ||
    typeof logger !== 'object' ||
    typeof logger.debug !== 'function' ||
    typeof logger.info !== 'function' ||
    typeof logger.warn !== 'function'
  ) {
    throw new ConfigError('logger', 'must have debug, info and warn methods');
  }
  return resolved;
}

function resolveRequestBudget(input: unknown): { requestsPerSecond: number; burst: number } | undefined {
  if (input === undefined) return undefined;
  const budget = checkOptionKeys<NovitaRequestBudget>('createNovitaClient', input, ['requestsPerSecond', 'burst'], 'requestBudget');
  if (budget.requestsPerSecond === undefined)
    throw new ConfigError('requestBudget.requestsPerSecond', 'is required when requestBudget is given');
  const requestsPerSecond = numberOption('requestBudget.requestsPerSecond', budget.requestsPerSecond, 1, 0.01, 10_000);
  const burst = integerOption('requestBudget.burst', budget.burst, Math.max(1, Math.floor(requestsPerSecond)), 1, 10_000);
  return { requestsPerSecond, burst };
}

function resolveBaseUrl(option: unknown, fromEnv: string | undefined): string {
  const field = option !== undefined ? 'baseUrl' : fromEnv !== undefined ? 'NOVITA_API_BASE_URL' : undefined;
  if (option !== undefined && typeof option !== 'string') throw new ConfigError('baseUrl', 'must be a URL string', { received: option });
  const text = option ?? fromEnv ?? DEFAULT_NOVITA_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(field ?? 'baseUrl', 'must be an absolute http(s) URL such as https://api.novita.ai/gpu-instance/openapi/v1');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(field ?? 'baseUrl', 'must use http or https', { received: url.protocol });
  }
  if (url.username || url.password) {
    // Credentials in the URL would end up in logs; the key goes in the apiKey option.
    throw new ConfigError(field ?? 'baseUrl', 'must not contain user or password; pass the key as apiKey');
  }
  return url.href.replace(/\/+$/, '');
}
