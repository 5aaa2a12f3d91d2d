/**
 * Sending one request to Novita: ofetch with its own retry and timeout switched off (ofetch 1.5.1
 * re-uses an aborted signal on retry and ignores `timeout` when a signal is passed), inside our own
 * loop that gives every attempt a fresh timeout signal (linked to the caller's without a listener per
 * attempt), honours `Retry-After`, backs off with full jitter, shares a client-wide concurrency gate,
 * and never retries a create that may have reached Novita. Knows nothing of v1 bodies beyond the error-envelope reader it is given.
 */
import { createFetch } from 'ofetch';
import { AbortedError, NovitaApiError, NovitaAuthError, NovitaInvalidResponseError } from '../errors.js';
import type { ResolvedNovitaClientOptions } from './client-options.js';
import { linkedAbort } from './abort-fan-out.js';
import { scrubSecrets } from './redact.js';
import type { RequestGate } from './request-gate.js';
import { backoffDelay, parseRetryAfter, sleep } from './retry-delay.js';

/**
 * `idempotent`: retried on 429, 5xx, network errors and timeouts.
 * `create`: retried only when the request certainly did not reach Novita (connection refused, DNS
 * failure) or Novita refused it with a 429; a second attempt after a timeout, a 5xx or a dropped
 * connection could bill a second GPU.
 */
export type RetryPolicy = 'idempotent' | 'create';

/** One request. */
export interface TransportRequest {
  method: 'GET' | 'POST';
  /** Path below the base URL, for example `/gpu/instances`. */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  policy?: RetryPolicy;
}

/** An answer the caller interprets: any 2xx, or a non-retryable error status. */
export interface TransportResponse {
  status: number;
  /** The parsed JSON body; `undefined` when the body was empty (or, for an error status, not JSON). */
  body: unknown;
  /** The API's error envelope, when the body was one. */
  envelope: ErrorEnvelope | undefined;
  /** For messages: `GET /gpu/instances`. */
  endpoint: string;
}

/** The parts of an API error body the transport needs. */
export interface ErrorEnvelope {
  reason: string;
  message: string;
}

/** Sends requests to one API version. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
}

interface AttemptFailure {
  kind: 'status' | 'timeout' | 'network';
  status?: number;
  envelope?: ErrorEnvelope | undefined;
  retryAfterMs?: number | undefined;
  /** Whether the request may have been received by Novita. */
  mayHaveReached: boolean;
  detail: string;
  cause?: Error;
}

const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Creates the transport over ofetch. `readErrorEnvelope` is the API version's error-body reader. */
export function createHttpTransport(
  options: ResolvedNovitaClientOptions,
  gate: RequestGate,
  readErrorEnvelope: (body: unknown) => ErrorEnvelope | undefined,
  random: () => number = Math.random,
): Transport {
  const $fetch = createFetch({ fetch: options.fetch, Headers: globalThis.Headers, AbortController: globalThis.AbortController });
  const secrets = [options.apiKey];
  const scrub = (text: string): string => scrubSecrets(text, secrets).slice(0, 500);
  const { logger } = options;

  async function attempt(request: TransportRequest, endpoint: string): Promise<TransportResponse | AttemptFailure> {
    // A child controller per attempt instead of `AbortSignal.any([caller, AbortSignal.timeout()])`:
    // its link to the caller's signal is one shared listener, removed when the attempt ends.
    const attemptAbort = linkedAbort(request.signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptAbort.abort(new DOMException(`no answer within ${options.timeoutMs} ms`, 'TimeoutError'));
    }, options.timeoutMs);
    let status: number;
    let text: string | undefined;
    let retryAfterHeader: string | null;
    try {
      const response = await $fetch.raw<string, 'text'>(`${options.baseUrl}${request.path}`, {
        method: request.method,
        ...(request.query ? { query: request.query } : {}),
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': options.userAgent,
        },
        retry: 0,
        signal: attemptAbort.signal,
        ignoreResponseError: true,
        responseType: 'text',
      });
      status = response.status;
      text = response._data;
      retryAfterHeader = response.headers.get('retry-after');
    } catch (error) {
      if (request.signal?.aborted) throw new AbortedError(undefined, { cause: request.signal.reason });
      if (timedOut) {
        return { kind: 'timeout', mayHaveReached: true, detail: `no answer within ${options.timeoutMs} ms` };
      }
      const { detail, code } = describeNetworkError(error);
      const cause = Object.assign(new Error(scrub(detail)), code ? { code } : {});
      return { kind: 'network', mayHaveReached: !(code && NEVER_SENT_CODES.has(code)), detail: scrub(detail), cause };
    } finally {
      clearTimeout(timer);
      attemptAbort.unlink();
    }

    let body: unknown;
    let json = true;
    if (text !== undefined && text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        json = false;
      }
    }
    if (status >= 200 && status < 300) {
      gate.noteSuccess();
      if (!json) throw new NovitaInvalidResponseError('', `${endpoint} answered HTTP ${status} with a body that is not JSON`);
      return { status, body, envelope: undefined, endpoint };
    }
    const envelope = json ? readErrorEnvelope(body) : undefined;
    if (status === 429 || status === 408 || status >= 500) {
      return {
        kind: 'status',
        status,
        envelope,
        retryAfterMs: parseRetryAfter(retryAfterHeader),
        // A 429 carrying Novita's envelope is Novita saying it did not act.
        mayHaveReached: !(status === 429 && envelope !== undefined),
        detail: describeStatus(status, envelope, scrub),
      };
    }
    return { status, body: json ? body : undefined, envelope, endpoint };
  }

  return {
    async send(request) {
      const endpoint = `${request.method} ${request.path}`;
      const policy = request.policy ?? 'idempotent';
      for (let attemptIndex = 0; ; attemptIndex += 1) {
        if (request.signal?.aborted) throw new AbortedError(undefined, { cause: request.signal.reason });
        await gate.acquire(request.signal);
        const started = Date.now();
        let outcome: TransportResponse | AttemptFailure;
        try {
          outcome = await attempt(request, endpoint);
        } finally {
          gate.release();
        }
        const attempts = attemptIndex + 1;
        if ('endpoint' in outcome) {
          logger.debug({ endpoint, status: outcome.status, attempt: attempts, durationMs: Date.now() - started }, 'novita request');
          if (outcome.status === 401 || outcome.status === 403) {
            const reason = outcome.envelope?.reason;
            throw new NovitaAuthError(
              `Novita refused the API key (HTTP ${outcome.status}${reason ? ` ${reason}` : ''}) for ${endpoint}; check the apiKey option or NOVITA_API_KEY`,
              { status: outcome.status, ...(reason ? { reason } : {}), endpoint },
            );
          }
          return outcome;
        }

        const failure = outcome;
        const backoff = backoffDelay(attemptIndex, options.baseDelayMs, options.maxDelayMs, random);
        const delay = failure.status === 429 ? Math.min(failure.retryAfterMs ?? backoff, options.maxRetryAfterMs) : backoff;
        if (failure.kind === 'timeout' || (failure.status !== undefined && failure.status >= 500)) gate.noteServerError();
        if (failure.status === 429) {
          gate.noteRateLimited(delay);
          logger.warn(
            { endpoint, status: 429, attempt: attempts, pauseMs: delay, retryAfterMs: failure.retryAfterMs },
            'novita rate limit: slowing the whole client down',
          );
        }
        const neverRetry = policy === 'create' && failure.mayHaveReached;
        const retryAfterTooLong = failure.retryAfterMs !== undefined && failure.retryAfterMs > options.maxRetryAfterMs;
        if (neverRetry || retryAfterTooLong || attemptIndex >= options.retries) {
          logger.debug(
            { endpoint, status: failure.status, attempt: attempts, durationMs: Date.now() - started, failure: failure.kind },
            'novita request',
          );
          throw finalError(failure, endpoint, attempts, { neverRetry, retryAfterTooLong });
        }
        logger.warn(
          { endpoint, status: failure.status, failure: failure.kind, detail: failure.detail, attempt: attempts, delayMs: delay },
          'novita request failed, retrying',
        );
        await sleep(delay, request.signal);
      }
    },
  };

  function finalError(
    failure: AttemptFailure,
    endpoint: string,
    attempts: number,
    why: { neverRetry: boolean; retryAfterTooLong: boolean },
  ): NovitaApiError {
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    let message: string;
    if (failure.kind === 'timeout') message = `Novita did not answer ${endpoint} within ${options.timeoutMs} ms (${tries})`;
    else if (failure.kind === 'network') message = `could not reach Novita for ${endpoint}: ${failure.detail} (${tries})`;
    else message = `Novita answered ${endpoint} with ${failure.detail} (${tries})`;
    if (why.retryAfterTooLong)
      message += `; Novita asked to wait ${Math.ceil((failure.retryAfterMs ?? 0) / 1000)} s, longer than retry.maxRetryAfterMs`;
    if (why.neverRetry) message += '; not retried because the create may have reached Novita: list the instances before creating again';
    return new NovitaApiError(message, {
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.envelope ? { reason: failure.envelope.reason } : {}),
      // A create that may have reached Novita must not be blindly repeated by the caller either.
      retryable: !why.neverRetry,
      endpoint,
      ...(failure.cause ? { cause: failure.cause } : {}),
    });
  }
}

/** `HTTP 503 UNKNOWN: upstream failed`, the key scrubbed from Novita's message. */
export function describeStatus(status: number, envelope: ErrorEnvelope | undefined, scrub: (text: string) => string): string {
  if (!envelope) return `HTTP ${status}`;
  return `HTTP ${status} ${envelope.reason}${envelope.message ? `: ${scrub(envelope.message).slice(0, 200)}` : ''}`;
}

/**
 * A one-line description and the system error code of a network failure, read from the cause chain
 * without keeping any object of it: ofetch's `FetchError` exposes the request options, headers and
 * key included, so it must never become a cause.
 */
function describeNetworkError(error: unknown): { detail: string; code: string | undefined } {
  const parts: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const own = (current as { code?: unknown }).code;
    if (typeof own === 'string' && code === undefined) code = own;
    // ofetch's message quotes the URL; ours already names the endpoint.
    if (current.name !== 'FetchError') parts.push(current.message);
    current = (current as { cause?: unknown }).cause;
  }
  const text = parts.filter((part) => part !== '').join(': ') || 'network error';
  return { detail: code && !text.includes(code) ? `${text} (${code})` : text, code };
}
