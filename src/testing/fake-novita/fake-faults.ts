/**
 * Scripted faults: what a test asks the fake to get wrong, for which requests, and how often.
 */
import type { FakeInstanceSeed, FakeNovitaInstance } from './fake-instance.js';

/**
 * What a `mutate` fault may do to the fake before it answers: change the fleet, as a busy account's
 * other clients would. The running fake (`FakeNovita`) has these same methods.
 */
export interface FakeFleetControl {
  /** Adds an instance at once (no lifecycle), and returns it as Novita renders it. */
  addInstance(seed?: FakeInstanceSeed): FakeNovitaInstance;
  /** Adds `count` instances; `seed(i)` customises each. */
  addInstances(count: number, seed?: (index: number) => FakeInstanceSeed): FakeNovitaInstance[];
  /** Sets an instance's status at once (any string, unknown ones included), cancelling pending transitions. */
  setStatus(id: string, status: string): void;
  /** Deletes as Novita does: `toRemove` -> `removing` -> `removed` -> gone, on the fake's clock. */
  deleteInstance(id: string): void;
  /** Makes an instance gone at once. */
  removeInstance(id: string): void;
  /** Removes every instance. */
  clearInstances(): void;
  /** An instance as the list endpoint would render it now, or `undefined` when it does not exist. */
  getInstance(id: string): FakeNovitaInstance | undefined;
  /** Every instance that exists now (the true fleet), in listing order. */
  listInstances(): FakeNovitaInstance[];
}

/** The fake's endpoints. */
export type FakeEndpoint = 'list' | 'get' | 'create' | 'start' | 'stop' | 'restart' | 'delete';

/** Which requests a fault applies to, and how many times. */
export interface FakeFaultTarget {
  /** The endpoint, or every endpoint. @default 'any' */
  endpoint?: FakeEndpoint | 'any';
  /** For `list`: the page, counted from 1 whatever `pageNum` convention the fake uses. @default every page */
  page?: number;
  /** For `get` and the lifecycle endpoints: only requests about this instance. */
  instanceId?: string;
  /** How many matching requests the fault hits; `Infinity` for all of them. @default 1 */
  times?: number;
  /** Matching requests to let through untouched before the fault starts hitting. @default 0 */
  after?: number;
}

/** What a fault does to a request it hits. */
export type FakeFaultEffect =
  /** Answer with this status and Novita's error envelope (or `body`, sent as it is, for a bare error page). */
  | { kind: 'error'; status: number; reason?: string; message?: string; body?: string }
  /**
   * Answer HTTP 404 in Novita's error envelope, as a route, proxy or gateway in front of Novita may:
   * `{code: 404, reason, message, metadata: {}}`, reason `RESOURCE_NOT_FOUND` unless given. It must
   * never read as "the instance does not exist" (Novita documents that as HTTP 400).
   */
  | { kind: 'route-404'; reason?: string; message?: string }
  /** Answer with an HTML page, as a gateway in front of Novita does (a bad gateway page); `status` 502 unless given. */
  | { kind: 'html'; status?: number }
  /** Answer 429 `RATE_LIMIT_EXCEEDED`, with a `Retry-After` header (seconds, or an HTTP date string) when given. */
  | { kind: 'rate-limit'; retryAfter?: number | string }
  /** Never answer (until the client gives up or the fake closes). */
  | { kind: 'hang' }
  /** Close the connection without answering. */
  | { kind: 'drop' }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'malformed-json' }
  /** `list`: leave one item out of the page (lag; the first unless `index` says), `total` unchanged. */
  | { kind: 'omit-item'; index?: number }
  /** `list`: announce this `total` instead of the real one. */
  | { kind: 'total'; total: number }
  /** `list`: serve this page (counted from 1) instead of the one asked for, as an API ignoring `pageNum` would. */
  | { kind: 'repeat-page'; servePage: number }
  /** Wait this long, then answer normally (combines with every other fault). */
  | { kind: 'latency'; ms: number }
  /** Run this against the fake before answering, for example to delete an instance mid-listing. */
  | { kind: 'mutate'; run: (fake: FakeFleetControl) => void };

/** A scripted fault: a target and an effect. */
export type FakeFault = FakeFaultTarget & FakeFaultEffect;

/** A fault the fake holds, with how often it has hit. */
export interface FakeFaultHandle {
  /** The fault as scripted. */
  readonly fault: FakeFault;
  /** Requests it has hit so far. */
  readonly hits: number;
  /** Stops it from hitting again. */
  cancel(): void;
}

/** A request as fault targets see it. */
export interface FaultRequest {
  endpoint: FakeEndpoint | undefined;
  page: number | undefined;
  instanceId: string | undefined;
}

interface HeldFault {
  fault: FakeFault;
  seen: number;
  hits: number;
  cancelled: boolean;
}

/** The fake's fault book. */
export interface FaultBook {
  add(fault: FakeFault): FakeFaultHandle;
  clear(): void;
  /** Every fault that hits this request, each counted as one hit. */
  take(request: FaultRequest): FakeFault[];
}

/** Creates an empty fault book. */
export function createFaultBook(): FaultBook {
  let held: HeldFault[] = [];
  return {
    add(fault) {
      const times = fault.times ?? 1;
      if (!(times >= 1)) throw new RangeError('fault.times must be at least 1 (or Infinity)');
      const entry: HeldFault = { fault, seen: 0, hits: 0, cancelled: false };
      held.push(entry);
      return {
        fault,
        get hits() {
          return entry.hits;
        },
        cancel() {
          entry.cancelled = true;
        },
      };
    },
    clear() {
      held = [];
    },
    take(request) {
      const hitting: FakeFault[] = [];
      for (const entry of held) {
        const { fault } = entry;
        if (entry.cancelled || entry.hits >= (fault.times ?? 1)) continue;
        if (fault.endpoint !== undefined && fault.endpoint !== 'any' && fault.endpoint !== request.endpoint) continue;
        if (fault.page !== undefined && fault.page !== request.page) continue;
        if (fault.instanceId !== undefined && fault.instanceId !== request.instanceId) continue;
        entry.seen += 1;
        if (entry.seen <= (fault.after ?? 0)) continue;
        entry.hits += 1;
        hitting.push(fault);
      }
      return hitting;
    },
  };
}

/** The faults that answer (or refuse to answer) a request instead of the fake's normal answer. */
export type TerminalFault = Extract<
  FakeFault,
  { kind: 'error' | 'route-404' | 'html' | 'rate-limit' | 'hang' | 'drop' | 'malformed-json' }
>;

// Keyed by the union itself: a terminal kind added to TerminalFault and missing here does not compile.
const TERMINAL_KINDS: Record<TerminalFault['kind'], true> = {
  error: true,
  'route-404': true,
  html: true,
  'rate-limit': true,
  hang: true,
  drop: true,
  'malformed-json': true,
};

/** Whether a fault replaces the fake's answer (see {@link TerminalFault}). */
export function isTerminalFault(fault: FakeFault): fault is TerminalFault {
  return Object.hasOwn(TERMINAL_KINDS, fault.kind);
}
