/**
 * The fake's fleet and its lifecycle, driven by an injectable clock: every read first applies the
 * status changes whose time has come, so a test moves instances along by moving its clock.
 */
import { randomBytes } from 'node:crypto';
import type { FakeInstanceSeed, FakeInstanceState, FakeTransition } from './fake-instance.js';

/** Lifecycle actions the fake's API accepts. */
export type FakeLifecycleAction = 'start' | 'stop' | 'restart' | 'delete';

/** The outcome of a lifecycle action. */
export type FakeLifecycleOutcome = { ok: true; status: string } | { ok: false; problem: 'not-found' | 'invalid-state' };

/** The fleet. */
export interface FakeFleet {
  add(seed: FakeInstanceSeed): FakeInstanceState;
  create(fields: Partial<FakeInstanceSeed>): FakeInstanceState;
  /** The instance, or `undefined` when it does not exist (gone instances included). */
  get(id: string): FakeInstanceState | undefined;
  /** Every instance that still exists, in insertion order. */
  all(): FakeInstanceState[];
  /** Changes whenever an instance joins or leaves the fleet (not on a status change). */
  readonly version: number;
  setStatus(id: string, status: string): void;
  act(id: string, action: FakeLifecycleAction): FakeLifecycleOutcome;
  /** Gone at once, without the gradual removal. */
  remove(id: string): boolean;
  clear(): void;
}

/** How the fleet's lifecycle is timed. */
export interface FakeFleetTiming {
  now: () => number;
  stepMs: number;
  removedVisibleMs: number;
}

const START_FROM = new Set(['exited']);
const STOP_FROM = new Set(['running', 'pulling', 'starting', 'restarting']);
const RESTART_FROM = new Set(['running']);
const DELETING = new Set(['toRemove', 'removing', 'removed']);
/** Statuses of an instance that has been started and is not stopped now. */
const STARTED = new Set(['running', 'toStop', 'stopping', 'toRestart', 'restarting']);
/** Statuses of an instance that ran and was stopped since (`toStart`/`starting`: being started again). */
const STOPPED = new Set(['exited', 'toStart', 'starting']);

/**
 * The start and stop times of a seeded instance, where the seed leaves them out: consistent with its
 * status and never in the future (createdAt <= lastStartedAt <= lastStoppedAt <= now, each step at most
 * a minute after the one before). A time the seed gives is kept as it is.
 */
export function seededRunTimes(
  seed: FakeInstanceSeed,
  status: string,
  createdAtMs: number,
  nowMs: number,
): { lastStartedAtMs: number | undefined; lastStoppedAtMs: number | undefined } {
  const step = (fromMs: number): number => fromMs + Math.max(0, Math.min(60_000, Math.floor((nowMs - fromMs) / 2)));
  const ran = STARTED.has(status) || STOPPED.has(status);
  const lastStartedAtMs = seed.lastStartedAtMs ?? (ran ? step(createdAtMs) : undefined);
  const lastStoppedAtMs = seed.lastStoppedAtMs ?? (STOPPED.has(status) ? step(lastStartedAtMs ?? createdAtMs) : undefined);
  return { lastStartedAtMs, lastStoppedAtMs };
}

/** Creates an empty fleet. */
export function createFakeFleet(timing: FakeFleetTiming): FakeFleet {
  const instances = new Map<string, FakeInstanceState>();
  let counter = 0;

  // Only the instances with a transition or a removal ahead are looked at when the clock moves, and the
  // membership version tells listings when the fleet's order must be rebuilt: a fleet of 100,000 must
  // not cost 100,000 steps per request, or the fake, not the client, is what a benchmark measures.
  const moving = new Set<string>();
  let membership = 0;
  const advance = (): void => {
    if (moving.size === 0) return;
    const now = timing.now();
    for (const id of moving) {
      const instance = instances.get(id);
      if (!instance) {
        moving.delete(id);
        continue;
      }
      while (instance.transitions.length > 0 && (instance.transitions[0]?.atMs ?? Infinity) <= now) {
        const step = instance.transitions.shift() as FakeTransition;
        instance.status = step.status;
        if (step.status === 'running') instance.lastStartedAtMs = step.atMs;
        if (step.status === 'exited') instance.lastStoppedAtMs = step.atMs;
      }
      if (instance.goneAtMs !== undefined && instance.goneAtMs <= now) {
        instances.delete(id);
        membership += 1;
      }
      if (instance.transitions.length === 0 && (instance.goneAtMs === undefined || !instances.has(id))) moving.delete(id);
    }
  };

  const schedule = (instance: FakeInstanceState, statuses: string[]): void => {
    const now = timing.now();
    instance.status = statuses[0] ?? instance.status;
    instance.transitions = statuses.slice(1).map((status, index) => ({ status, atMs: now + timing.stepMs * (index + 1) }));
    instance.goneAtMs = undefined;
    moving.add(instance.id);
  };

  const fleet: FakeFleet = {
    add(seed) {
      counter += 1;
      const createdAtMs = seed.createdAtMs ?? timing.now();
      const status = seed.status ?? 'running';
      const id = seed.id ?? randomBytes(8).toString('hex');
      if (instances.has(id)) throw new Error(`the fake already has an instance ${id}`);
      const instance: FakeInstanceState = {
        id,
        name: seed.name ?? `instance-${counter}`,
        status,
        productId: seed.productId ?? '4090.16c62g',
        productName: seed.productName ?? 'RTX 4090 24GB',
        clusterId: seed.clusterId ?? 'us-ca-6',
        imageUrl: seed.imageUrl ?? 'docker.io/library/python:3.11',
        kind: seed.kind ?? 'gpu',
        gpuNum: seed.gpuNum ?? 1,
        rootfsSize: seed.rootfsSize ?? 60,
        billingMode: seed.billingMode ?? 'onDemand',
        createdAtMs,
        ...seededRunTimes(seed, status, createdAtMs, timing.now()),
        envs: seed.envs ?? [],
        sshPassword: seed.sshPassword ?? `fake-ssh-${randomBytes(6).toString('hex')}`,
        extra: seed.extra ?? {},
        listExtra: seed.listExtra ?? {},
        transitions: [],
        goneAtMs: undefined,
      };
      instances.set(id, instance);
      membership += 1;
      return instance;
    },
    create(fields) {
      const instance = fleet.add({ ...fields, status: 'pending', createdAtMs: timing.now() });
      instance.lastStartedAtMs = undefined;
      schedule(instance, ['pending', 'creating', 'pulling', 'running']);
      return instance;
    },
    get(id) {
      advance();
      return instances.get(id);
    },
    all() {
      advance();
      return [...instances.values()];
    },
    setStatus(id, status) {
      advance();
      const instance = instances.get(id);
      if (!instance) throw new Error(`the fake has no instance ${id}`);
      instance.status = status;
      instance.transitions = [];
      instance.goneAtMs = undefined;
      moving.delete(id);
    },
    act(id, action) {
      advance();
      const instance = instances.get(id);
      if (!instance) return { ok: false, problem: 'not-found' };
      const from = instance.status;
      if (action === 'delete') {
        if (DELETING.has(from)) return { ok: false, problem: 'invalid-state' };
        schedule(instance, ['toRemove', 'removing', 'removed']);
        instance.goneAtMs = timing.now() + timing.stepMs * 2 + timing.removedVisibleMs;
      } else if (action === 'start') {
        if (!START_FROM.has(from)) return { ok: false, problem: 'invalid-state' };
        schedule(instance, ['toStart', 'starting', 'running']);
      } else if (action === 'stop') {
        if (!STOP_FROM.has(from)) return { ok: false, problem: 'invalid-state' };
        schedule(instance, ['toStop', 'stopping', 'exited']);
      } else {
        if (!RESTART_FROM.has(from)) return { ok: false, problem: 'invalid-state' };
        schedule(instance, ['toRestart', 'restarting', 'running']);
      }
      advance();
      return { ok: true, status: instance.status };
    },
    remove(id) {
      moving.delete(id);
      membership += 1;
      return instances.delete(id);
    },
    clear() {
      instances.clear();
      moving.clear();
      membership += 1;
    },
    get version() {
      advance();
      return membership;
    },
  };
  return fleet;
}
