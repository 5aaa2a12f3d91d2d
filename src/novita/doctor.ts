/**
 * The doctor's Novita checks: how this account's Novita really answers, read-only, against what the
 * client expects. A handful of plain requests (no retries: the doctor reports what Novita said), then
 * one listing through the client itself. Nothing a check says is a secret or an instance's value.
 */
import type { DoctorCheck, DoctorReport, DoctorStatus } from '../core/doctor/doctor.js';
import { checkPolicy, doctorReport } from '../core/doctor/doctor.js';
import type { NovitaClient } from '../core/ports/novita-client.js';
import { GONE_STATUSES } from '../core/ports/novita-client.js';
import type { SyncPolicyInput } from '../core/config/sync-policy.js';
import { resolvePolicy } from '../core/config/sync-policy.js';
import { buildStatusMap, mapStatus } from '../core/plan/status-map.js';
import { isReconcilerError } from '../errors.js';
import type { NovitaClientOptions, ResolvedNovitaClientOptions } from './client-options.js';
import { resolveNovitaClientOptions } from './client-options.js';
import { createNovitaClient } from './create-novita-client.js';
import type { CapturedAnswer } from './doctor-capture.js';
import { captureAnswerBody, captureListPage, captureText } from './doctor-capture.js';
import { silentLogger } from './logger.js';
import { RESOURCE_NOT_FOUND } from './not-found-rule.js';
import { scrubSecrets } from './redact.js';
import { parseV1ErrorEnvelope, parseV1Instance, V1_INSTANCE_FIELDS } from './v1-schemas.js';

export type { CapturedAnswer } from './doctor-capture.js';

/** An id no Novita instance can have, for the not-found check. */
export const DOCTOR_MISSING_ID = '0000000000000000';

/** Options of {@link checkNovita}. */
export interface NovitaDoctorOptions {
  /** The client the checks are made for: its key, base URL, page size and not-found rules. */
  client?: NovitaClientOptions;
  /** The policy's `statusMap`, to name the statuses it does not map. @default {} */
  statusMap?: SyncPolicyInput['statusMap'];
  /** Ends the checks; a check cut short fails. */
  signal?: AbortSignal;
}

/** What {@link checkNovita} found. */
export interface NovitaDoctorResult {
  /** The Novita checks, in the order they ran. */
  checks: DoctorCheck[];
  /** The first listing page and the not-found answer, sanitized (see `--capture`). */
  capture: { listPage?: CapturedAnswer; notFound?: CapturedAnswer };
  /** Whether the listing announced a total (`undefined` when the listing was not read). */
  listingHasTotal: boolean | undefined;
  /** Whether the not-found answer matches the client's rule (`undefined` when not asked). */
  notFoundProves: boolean | undefined;
}

/** One plain request's answer. */
interface Probe {
  request: string;
  status: number | undefined;
  ms: number;
  contentType: string | null;
  /** `retry-after` and every header naming a rate limit. */
  rateLimit: Record<string, string>;
  text: string;
  json: unknown;
  /** Why no answer came (network, timeout). */
  error?: string;
}

const RATE_LIMIT_HEADER = /ratelimit|rate-limit|retry-after/i;

/**
 * Checks how Novita answers for this client's settings: the key (`novita.key`), the listing's shape
 * (`novita.listing`: total or not, page size asked against served, page numbering, and one full listing
 * through the client), the statuses seen (`novita.statuses`), fields that failed to parse
 * (`novita.fields`, names only), the real answer for a missing instance (`novita.not-found`), and
 * response times with any rate-limit headers (`novita.timing`). Read-only. Rejects only with a
 * `ConfigError` for bad client options; every Novita failure is a failed check.
 */
export async function checkNovita(options: NovitaDoctorOptions = {}): Promise<NovitaDoctorResult> {
  const resolved = resolveNovitaClientOptions({ ...options.client, logger: silentLogger });
  const secrets = [resolved.apiKey];
  const scrub = (text: string): string => scrubSecrets(text, secrets);
  const probes: Probe[] = [];
  const probe = async (path: string, query: Record<string, string | number>): Promise<Probe> => {
    const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]));
    const request = `GET ${path}?${search}`;
    const started = performance.now();
    const signals = [AbortSignal.timeout(resolved.timeoutMs), ...(options.signal ? [options.signal] : [])];
    let answer: Probe;
    try {
      const response = await resolved.fetch(`${resolved.baseUrl}${path}?${search}`, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${resolved.apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': resolved.userAgent,
        },
        signal: AbortSignal.any(signals),
      });
      const text = await response.text();
      const rateLimit: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (RATE_LIMIT_HEADER.test(name)) rateLimit[name.toLowerCase()] = scrub(value).slice(0, 100);
      });
      let json: unknown;
      try {
        json = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      answer = {
        request,
        status: response.status,
        ms: Math.round(performance.now() - started),
        contentType: response.headers.get('content-type'),
        rateLimit,
        text,
        json,
      };
    } catch (error) {
      const detail = error instanceof Error ? `${error.name === 'TimeoutError' ? 'no answer in time' : error.message}` : String(error);
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      answer = {
        request,
        status: undefined,
        ms: Math.round(performance.now() - started),
        contentType: null,
        rateLimit: {},
        text: '',
        json: undefined,
        error: scrub(`${detail}${cause}`).slice(0, 300),
      };
    }
    probes.push(answer);
    return answer;
  };

  const checks: DoctorCheck[] = [];
  const capture: NovitaDoctorResult['capture'] = {};
  const result = (listingHasTotal?: boolean, notFoundProves?: boolean): NovitaDoctorResult => ({
    checks: [...checks, timingCheck(probes)],
    capture,
    listingHasTotal,
    notFoundProves,
  });

  const [pageOne, pageZero] = await Promise.all([
    probe('/gpu/instances', { pageSize: resolved.pageSize, pageNum: 1 }),
    probe('/gpu/instances', { pageSize: resolved.pageSize, pageNum: 0 }),
  ]);
  capture.listPage = {
    request: pageOne.request,
    status: pageOne.status ?? 0,
    contentType: pageOne.contentType,
    body: pageOne.json === undefined ? captureText(pageOne.text, secrets) : captureListPage(pageOne.json, secrets),
  };
  const key = keyCheck(pageOne, resolved);
  checks.push(key);
  if (key.status === 'fail') return result();

  const listing = await listingCheck(pageOne, pageZero, resolved, probe, options);
  checks.push(...listing.checks);

  const missing = await probe('/gpu/instance', { instanceId: DOCTOR_MISSING_ID });
  capture.notFound = {
    request: missing.request,
    status: missing.status ?? 0,
    contentType: missing.contentType,
    body: missing.json === undefined ? captureText(missing.text, secrets) : captureAnswerBody(missing.json, secrets),
  };
  const notFound = notFoundCheck(missing, resolved);
  checks.push(notFound.check);
  return result(listing.hasTotal, notFound.proves);
}

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The Novita client's options (key and base URL from the environment unless given). */
  client?: NovitaClientOptions;
  /** The policy to check, as you pass it to `createReconciler`. @default the default policy */
  policy?: SyncPolicyInput;
  /** The store's checks, for example `() => checkRedisStore(store)` from `novita-reconciler/redis`. */
  store?: (signal: AbortSignal | undefined) => Promise<DoctorCheck[]>;
  /** Ends the checks; a check cut short fails. */
  signal?: AbortSignal;
}

/** {@link DoctorReport} with the sanitized answers `--capture` saves. */
export interface DoctorResult extends DoctorReport {
  /** The first listing page and the not-found answer, sanitized. */
  capture: NovitaDoctorResult['capture'];
}

/**
 * Every check of a setup, read-only, in the order `novita-reconcile doctor` prints them: Novita's
 * ({@link checkNovita}), the store's (when given), and the resolved policy. `ok` is `false` when any
 * check failed. Nothing in the result is a secret.
 *
 * @example
 * ```ts
 * import { runDoctor } from 'novita-reconciler/novita';
 * import { checkRedisStore, createRedisStore } from 'novita-reconciler/redis';
 *
 * const store = createRedisStore({ url: process.env.REDIS_URL });
 * const report = await runDoctor({ policy, store: (signal) => checkRedisStore(store, { signal }) });
 * for (const check of report.checks) console.log(check.status, check.title, check.why);
 * ```
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorResult> {
  const policy = resolvePolicy(options.policy ?? {});
  const novita = await checkNovita({
    ...(options.client ? { client: options.client } : {}),
    statusMap: policy.statusMap,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const store = options.store ? await options.store(options.signal) : [];
  const policyCheck = checkPolicy(policy, { listingHasTotal: novita.listingHasTotal, notFoundProves: novita.notFoundProves });
  return { ...doctorReport([...novita.checks, ...store, policyCheck]), capture: novita.capture };
}

/**
 * The checks a custom client (one you wrote, behind the `NovitaClient` port) allows: one listing (its
 * grade and statuses) and `getInstance` for an id that cannot exist (`null` is the proof the reconciler
 * needs). For the built-in client, {@link checkNovita} sees far more.
 */
export async function checkNovitaClient(
  client: NovitaClient,
  options: { statusMap?: SyncPolicyInput['statusMap']; signal?: AbortSignal } = {},
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const call = options.signal ? { signal: options.signal } : {};
  try {
    const listing = await client.listInstances(call);
    const distinct = new Set(listing.instances.map((instance) => instance.id)).size;
    const complete = listing.complete ?? (typeof listing.total === 'number' && distinct === listing.total);
    checks.push({
      id: 'novita.listing',
      title: 'Listing',
      status: complete ? 'ok' : 'warn',
      why: complete
        ? `the client's listing is complete: ${distinct} instances`
        : `the client's listing is unproven (${listing.reason ?? (listing.total === undefined ? 'no total' : `${distinct} distinct ids, total ${listing.total}`)}): absent records are confirmed one by one`,
      details: { instances: distinct, total: listing.total ?? null, complete },
    });
    checks.push(statusesCheck(listing.instances, options.statusMap ?? {}));
  } catch (error) {
    checks.push({
      id: 'novita.listing',
      title: 'Listing',
      status: 'fail',
      why: `the client's listInstances rejected: ${describe(error)}`,
      todo: 'every run will fail the same way: fix the client or its Novita settings',
    });
  }
  try {
    const found = await client.getInstance(DOCTOR_MISSING_ID, call);
    checks.push(
      found === null
        ? { id: 'novita.not-found', title: 'Not-found answer', status: 'ok', why: `getInstance resolved null for an id that cannot exist` }
        : {
            id: 'novita.not-found',
            title: 'Not-found answer',
            status: 'warn',
            why: `getInstance resolved an instance for ${DOCTOR_MISSING_ID}, an id that should not exist`,
          },
    );
  } catch (error) {
    checks.push({
      id: 'novita.not-found',
      title: 'Not-found answer',
      status: 'fail',
      why: `getInstance rejected for an id that cannot exist (${describe(error)}): every absent record will stay unverified`,
      todo: "make the client resolve null for Novita's documented not-found (HTTP 400, reason RESOURCE_NOT_FOUND)",
    });
  }
  return checks;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 300);
}

/** `HTTP 403 INVALID_API_KEY` / `HTTP 502 (an HTML page)` / `HTTP 400 ({code, message, type}: not Novita's envelope)`. */
function describeAnswer(answer: Probe): string {
  if (answer.status === undefined) return `no answer (${answer.error ?? 'network error'})`;
  const envelope = parseV1ErrorEnvelope(answer.json);
  if (envelope) {
    const metadata = typeof answer.json === 'object' && answer.json !== null && 'metadata' in answer.json ? '' : ', without metadata';
    return `HTTP ${answer.status} ${envelope.reason}${metadata}`;
  }
  if (answer.json === undefined) {
    const html = /html/i.test(answer.contentType ?? '') || /^\s*</.test(answer.text);
    return `HTTP ${answer.status} (${html ? 'an HTML page' : answer.text.trim() === '' ? 'an empty body' : 'a body that is not JSON'}, not Novita's)`;
  }
  if (answer.status >= 400) {
    const keys = typeof answer.json === 'object' && answer.json !== null ? Object.keys(answer.json).join(', ') : typeof answer.json;
    return `HTTP ${answer.status} ({${keys}}: not Novita's error envelope)`;
  }
  return `HTTP ${answer.status}`;
}

function keyCheck(pageOne: Probe, resolved: ResolvedNovitaClientOptions): DoctorCheck {
  const check = { id: 'novita.key', title: 'API key', details: { status: pageOne.status ?? null, baseUrl: resolved.baseUrl } };
  const answer = describeAnswer(pageOne);
  if (pageOne.status === undefined) {
    return {
      ...check,
      status: 'fail',
      why: `could not reach Novita at ${new URL(resolved.baseUrl).origin}: ${answer}`,
      todo: 'check NOVITA_API_BASE_URL (default https://api.novita.ai/gpu-instance/openapi/v1) and the network',
    };
  }
  if (pageOne.status === 401 || pageOne.status === 403) {
    return {
      ...check,
      status: 'fail',
      why: `Novita refused the key: GET /gpu/instances answered ${answer}`,
      todo: 'check NOVITA_API_KEY (an sk_... key from the Novita console, sent as Authorization: Bearer)',
    };
  }
  const envelope = parseV1ErrorEnvelope(pageOne.json);
  if ((pageOne.status >= 200 && pageOne.status < 300) || (pageOne.status === 400 && envelope?.reason === RESOURCE_NOT_FOUND)) {
    return { ...check, status: 'ok', why: `Novita accepted the key (GET /gpu/instances answered HTTP ${pageOne.status})` };
  }
  return {
    ...check,
    status: 'fail',
    why: `GET /gpu/instances answered ${answer}: the key could not be checked`,
    todo:
      pageOne.status === 404
        ? 'check NOVITA_API_BASE_URL: it must end in /gpu-instance/openapi/v1'
        : 'run the doctor again later; if it persists, check NOVITA_API_BASE_URL and anything between you and Novita',
  };
}

type ProbeFn = (path: string, query: Record<string, string | number>) => Promise<Probe>;

async function listingCheck(
  pageOne: Probe,
  pageZero: Probe,
  resolved: ResolvedNovitaClientOptions,
  probe: ProbeFn,
  options: NovitaDoctorOptions,
): Promise<{ checks: DoctorCheck[]; hasTotal: boolean | undefined }> {
  const title = 'Listing shape';
  const envelope = parseV1ErrorEnvelope(pageOne.json);
  if (pageOne.status === 400 && envelope?.reason === RESOURCE_NOT_FOUND) {
    const check: DoctorCheck = resolved.notFoundListingIsEmpty
      ? {
          id: 'novita.listing',
          title,
          status: 'warn',
          why: 'Novita answered the listing 400 RESOURCE_NOT_FOUND (how an account with no instances may be answered); the client reads it as an empty, unproven listing (notFoundListingIsEmpty)',
        }
      : {
          id: 'novita.listing',
          title,
          status: 'fail',
          why: 'Novita answered the listing 400 RESOURCE_NOT_FOUND: this is how an account with no instances may be answered, and every run will reject it',
          todo: 'if the account has no instances, create the client with notFoundListingIsEmpty: true (novitaClient in a --config module)',
        };
    return { checks: [{ ...check, details: { emptyAccountAnswer: '400 RESOURCE_NOT_FOUND' } }], hasTotal: undefined };
  }
  const body = pageOne.json as Record<string, unknown> | undefined;
  if (pageOne.status !== 200 || typeof body !== 'object' || body === null || !Array.isArray(body.instances)) {
    return {
      checks: [
        {
          id: 'novita.listing',
          title,
          status: 'fail',
          why: `the first listing page is not a page: ${describeAnswer(pageOne)}${body && typeof body === 'object' ? `, keys ${Object.keys(body).join(', ') || 'none'}` : ''}`,
          todo: 'check NOVITA_API_BASE_URL; every run will fail on this answer',
        },
      ],
      hasTotal: undefined,
    };
  }

  const rawItems = body.instances as unknown[];
  const served = rawItems.length;
  const hasTotal = body.total !== undefined && body.total !== null;
  const total = hasTotal ? Number(body.total) : undefined;
  const facts: string[] = [];
  const details: Record<string, unknown> = {
    totalPresent: hasTotal,
    pageSizeAsked: resolved.pageSize,
    pageSizeServed: served,
    keys: Object.keys(body),
  };
  facts.push(hasTotal ? `total present (${total})` : 'no total (Novita sends {"instances": [...]} only)');

  // A cap shows as a full first page smaller than asked, with more instances than it holds.
  let capped: boolean | undefined;
  if (served > resolved.pageSize) capped = false;
  else if (served < resolved.pageSize && served > 0) {
    if (total !== undefined) capped = total > served;
    else {
      const next = await probe('/gpu/instances', { pageSize: resolved.pageSize, pageNum: 2 });
      const nextItems = (next.json as { instances?: unknown } | undefined)?.instances;
      const firstIds = new Set(rawItems.map((item) => (item as { id?: unknown })?.id));
      capped = Array.isArray(nextItems) && nextItems.some((item) => !firstIds.has((item as { id?: unknown })?.id));
    }
  }
  details.capped = capped ?? null;
  if (served > resolved.pageSize) facts.push(`Novita served ${served}, more than the ${resolved.pageSize} asked`);
  else if (capped) facts.push(`page size capped: ${served} served of ${resolved.pageSize} asked`);
  else facts.push(`page size ${resolved.pageSize} asked, ${served} served${served < resolved.pageSize ? ' (the whole account)' : ''}`);

  const numbering = pageNumbering(pageZero, pageOne);
  details.firstPageNum = numbering.base ?? null;
  facts.push(numbering.text);

  // One full listing through the client, as a run reads it.
  const client = createNovitaClient({ ...options.client, logger: silentLogger });
  let status: DoctorStatus = hasTotal ? 'ok' : 'warn';
  let todo: string | undefined = hasTotal
    ? undefined
    : 'nothing to change: runs go on, confirming each absent record with getInstance (keep confirmObsolete true)';
  const extra: DoctorCheck[] = [];
  try {
    const started = performance.now();
    const listing = await client.listInstances(options.signal ? { signal: options.signal } : {});
    const ms = Math.round(performance.now() - started);
    details.listing = { instances: listing.instances.length, complete: listing.complete, walks: listing.walks, ms };
    facts.push(
      listing.complete
        ? `a full listing: ${listing.instances.length} instances, proven complete in ${listing.walks} walk${listing.walks === 1 ? '' : 's'} (${ms} ms)`
        : `a full listing: ${listing.instances.length} instances, unproven (${listing.reason})`,
    );
    if (!listing.complete) status = 'warn';
    extra.push(statusesCheck(listing.instances, options.statusMap ?? {}));
  } catch (error) {
    status = 'fail';
    todo = 'every run will fail the same way until this is fixed';
    facts.push(`a full listing failed: ${describe(error)}`);
    details.listingError = isReconcilerError(error) ? (error as { code: string }).code : 'unknown';
  }
  extra.push(fieldsCheck(rawItems));
  const listing: DoctorCheck = { id: 'novita.listing', title, status, why: facts.join('; '), ...(todo ? { todo } : {}), details };
  return { checks: [listing, ...extra], hasTotal };
}

/** Which page numbering Novita uses, told from the answers to pageNum 0 and 1 (as the client's probe does). */
function pageNumbering(pageZero: Probe, pageOne: Probe): { base: 0 | 1 | undefined; text: string } {
  const ids = (answer: Probe): string[] | undefined => {
    const items = (answer.json as { instances?: unknown } | undefined)?.instances;
    return Array.isArray(items) ? items.map((item) => String((item as { id?: unknown })?.id)) : undefined;
  };
  const zero = ids(pageZero);
  const one = ids(pageOne) ?? [];
  if (zero === undefined) {
    return pageZero.status === 400
      ? { base: 1, text: 'pages count from 1 (pageNum 0 answers HTTP 400)' }
      : { base: undefined, text: `page numbering unknown (pageNum 0 answered ${describeAnswer(pageZero)})` };
  }
  if (zero.length === 0 && one.length === 0) return { base: undefined, text: 'page numbering unknown (no instances)' };
  if (zero.length === 0) return { base: 1, text: 'pages count from 1 (pageNum 0 answers an empty page)' };
  const shared = zero.filter((id) => one.includes(id)).length;
  if (shared === zero.length && shared === one.length)
    return { base: 1, text: 'pages count from 1 (pageNum 0 answers the first page again)' };
  if (shared === 0) return { base: 0, text: 'pages count from 0' };
  return { base: undefined, text: 'page numbering unknown (pages 0 and 1 partly overlap: the account changed meanwhile)' };
}

function statusesCheck(instances: ReadonlyArray<{ status: string }>, statusMap: NonNullable<SyncPolicyInput['statusMap']>): DoctorCheck {
  const map = buildStatusMap(statusMap);
  const seen = new Map<string, number>();
  for (const instance of instances) seen.set(instance.status, (seen.get(instance.status) ?? 0) + 1);
  const unmapped = [...seen.keys()].filter((status) => !GONE_STATUSES.has(status) && mapStatus(map, status, '').kind === 'unknown');
  const undocumented = [...seen.keys()].filter((status) => !REFERENCE_STATUSES.has(status));
  const list =
    [...seen].map(([status, count]) => `${status} ${count}`).join(', ') +
    (undocumented.length === 0 ? '' : ` (not in Novita's reference: ${undocumented.join(', ')})`);
  const details = { seen: Object.fromEntries(seen), outsideReference: undocumented, outsideStatusMap: unmapped };
  if (unmapped.length === 0) {
    return {
      id: 'novita.statuses',
      title: 'Statuses',
      status: 'ok',
      why: seen.size === 0 ? 'no instances, no statuses to check' : `seen: ${list}; every one is in the status map`,
      details,
    };
  }
  return {
    id: 'novita.statuses',
    title: 'Statuses',
    status: 'warn',
    why: `seen: ${list}; outside the status map: ${unmapped.join(', ')} (their records are left unchanged, skipped.unknownStatus)`,
    todo: `map them with policy.statusMap or SYNC_STATUS_MAP, for example {"${unmapped[0]}":"starting"}`,
    details,
  };
}

/** The statuses Novita's API reference documents (`pending` is seen in real answers, not documented). */
const REFERENCE_STATUSES: ReadonlySet<string> = new Set([
  'toCreate',
  'creating',
  'pulling',
  'running',
  'toStart',
  'starting',
  'toStop',
  'stopping',
  'exited',
  'toRestart',
  'restarting',
  'toRemove',
  'removing',
  'removed',
  'toReset',
  'resetting',
  'migrating',
  'freezing',
]);

/** Fields the reference sends as strings holding numbers: which way this account sends them. */
const NUMERIC_FIELDS = ['cpuNum', 'memory', 'gpuNum', 'createdAt', 'lastStartedAt', 'lastStoppedAt', 'endTime', 'spotReclaimTime'];
/** Enum-like fields real answers send as `""`. */
const ENUM_FIELDS = ['billingMode', 'spotStatus', 'kind'];

/** `counts and timestamps as strings (as documented)`, `as JSON numbers`, or both; and the enums sent as `""`. */
function encodingFacts(rawItems: readonly unknown[]): { text: string; numbers: string; emptyEnums: string[] } {
  let strings = 0;
  let numbers = 0;
  const emptyEnums = new Set<string>();
  for (const item of rawItems) {
    if (typeof item !== 'object' || item === null) continue;
    const raw = item as Record<string, unknown>;
    for (const field of NUMERIC_FIELDS) {
      if (typeof raw[field] === 'string') strings += 1;
      else if (typeof raw[field] === 'number') numbers += 1;
    }
    for (const field of ENUM_FIELDS) if (raw[field] === '') emptyEnums.add(field);
  }
  const way = numbers === 0 && strings === 0 ? 'none' : numbers === 0 ? 'strings' : strings === 0 ? 'numbers' : 'mixed';
  const described = {
    none: '',
    strings: 'counts and timestamps sent as strings (as documented)',
    numbers: 'counts and timestamps sent as JSON numbers (not strings as documented; both parse)',
    mixed: 'counts and timestamps sent as strings and as numbers (both parse)',
  }[way];
  const enums = emptyEnums.size === 0 ? '' : `empty strings for ${[...emptyEnums].join(', ')} (read as absent)`;
  return { text: [described, enums].filter((part) => part !== '').join('; '), numbers: way, emptyEnums: [...emptyEnums] };
}

// A value Novita sends for "nothing": dropping it is not a parse failure.
function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === '0' || value === -1 || value === '-1') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).every(isEmptyValue);
  return false;
}

/** The first page's fields that did not parse (names only) and the ones outside the allowlist. */
function fieldsCheck(rawItems: readonly unknown[]): DoctorCheck {
  const failed = new Set<string>();
  const rejected = new Set<string>();
  const unknown = new Set<string>();
  for (const item of rawItems) {
    if (typeof item !== 'object' || item === null) {
      rejected.add('(item)');
      continue;
    }
    const raw = item as Record<string, unknown>;
    for (const key of Object.keys(raw)) if (!Object.hasOwn(V1_INSTANCE_FIELDS, key)) unknown.add(key);
    let parsed: Record<string, unknown>;
    try {
      parsed = parseV1Instance(raw) as unknown as Record<string, unknown>;
    } catch (error) {
      rejected.add((error as { field?: string }).field || '(item)');
      continue;
    }
    for (const key of Object.keys(raw)) {
      if (Object.hasOwn(V1_INSTANCE_FIELDS, key) && parsed[key] === undefined && !isEmptyValue(raw[key])) failed.add(key);
    }
  }
  const encoding = encodingFacts(rawItems);
  const details = {
    items: rawItems.length,
    rejected: [...rejected],
    failed: [...failed],
    outsideAllowlist: [...unknown],
    numbers: encoding.numbers,
    emptyEnums: encoding.emptyEnums,
  };
  const dropped =
    (encoding.text === '' ? '' : `; ${encoding.text}`) +
    (unknown.size === 0 ? '' : `; fields the client does not keep: ${[...unknown].join(', ')}`);
  if (rejected.size > 0) {
    return {
      id: 'novita.fields',
      title: 'Fields',
      status: 'fail',
      why: `items of the first page are rejected at ${[...rejected].join(', ')}${dropped}`,
      todo: 'every listing fails on such an item: report it with a --capture of the page',
      details,
    };
  }
  if (failed.size > 0) {
    return {
      id: 'novita.fields',
      title: 'Fields',
      status: 'warn',
      why: `fields that failed to parse and were left out: ${[...failed].join(', ')}${dropped}`,
      todo: 'nothing breaks (descriptive fields only); report it with a --capture of the page',
      details,
    };
  }
  return {
    id: 'novita.fields',
    title: 'Fields',
    status: 'ok',
    why: rawItems.length === 0 ? `no instance to check${dropped}` : `every field of ${rawItems.length} instances parsed${dropped}`,
    details,
  };
}

function notFoundCheck(answer: Probe, resolved: ResolvedNovitaClientOptions): { check: DoctorCheck; proves: boolean | undefined } {
  const check = { id: 'novita.not-found', title: 'Not-found answer', details: { status: answer.status ?? null } };
  const envelope = parseV1ErrorEnvelope(answer.json);
  const asked = `getInstance(${DOCTOR_MISSING_ID}), an id that cannot exist, answered ${describeAnswer(answer)}`;
  const unverified = 'every record absent from the listing will stay unverified (never terminated, never removed)';
  if (answer.status === 400 && envelope?.reason === RESOURCE_NOT_FOUND) {
    return { check: { ...check, status: 'ok', why: `${asked}: the documented rule, so a gone instance can be proven gone` }, proves: true };
  }
  if (answer.status === 404 && envelope?.reason === RESOURCE_NOT_FOUND) {
    if (resolved.notFoundResponses === 'documented-or-enveloped-404')
      return {
        check: { ...check, status: 'ok', why: `${asked}: matches the widened rule (notFoundResponses 'documented-or-enveloped-404')` },
        proves: true,
      };
    return {
      check: {
        ...check,
        status: 'fail',
        why: `${asked}, not the documented HTTP 400: ${unverified}`,
        todo: "only if this 404 comes from Novita itself (not a route or proxy): create the client with notFoundResponses: 'documented-or-enveloped-404'",
      },
      proves: false,
    };
  }
  if (answer.status !== undefined && answer.status >= 200 && answer.status < 300) {
    return { check: { ...check, status: 'warn', why: `${asked} with an instance: an instance with that id exists?` }, proves: undefined };
  }
  const relay = answer.json !== undefined && envelope === undefined;
  return {
    check: {
      ...check,
      status: 'fail',
      why: `${asked}: not the documented HTTP 400 RESOURCE_NOT_FOUND, so ${unverified}`,
      todo: relay
        ? "point NOVITA_API_BASE_URL at Novita's API itself: a relay's error bodies carry no reason, so nothing it says proves an instance gone"
        : 'run the doctor again later; if it persists, check NOVITA_API_BASE_URL and anything between you and Novita',
    },
    proves: false,
  };
}

function timingCheck(probes: readonly Probe[]): DoctorCheck {
  const times = probes.map((probe) => probe.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const slowest = times[times.length - 1] ?? 0;
  const headers: Record<string, string> = {};
  for (const probe of probes) Object.assign(headers, probe.rateLimit);
  const limited = probes.filter((probe) => probe.status === 429).length;
  const headerText =
    Object.keys(headers).length === 0
      ? 'no rate-limit headers seen'
      : `rate-limit headers: ${Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}`)
          .join(', ')}`;
  const why = `${probes.length} request${probes.length === 1 ? '' : 's'}, median ${median} ms, slowest ${slowest} ms; ${headerText}`;
  const details = { requests: probes.length, medianMs: median, slowestMs: slowest, rateLimitHeaders: headers, rateLimited: limited };
  if (limited > 0) {
    return {
      id: 'novita.timing',
      title: 'Response times',
      status: 'warn',
      why: `${why}; ${limited} answered 429`,
      todo: 'set the client option requestBudget (for example { requestsPerSecond: 1.6 }) when the key is shared with your app',
      details,
    };
  }
  return { id: 'novita.timing', title: 'Response times', status: 'ok', why, details };
}
