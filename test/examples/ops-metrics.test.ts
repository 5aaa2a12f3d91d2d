/**
 * examples/ops/prometheus-metrics.ts and examples/ops/opentelemetry.ts: what a scrape or an exporter
 * shows after real runs (one finished, one failed) and a scheduled turn a replica skipped.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createOtelOnEvent } from '../../examples/ops/opentelemetry.js';
import { createSyncMetrics } from '../../examples/ops/prometheus-metrics.js';
import { createMemoryStore, createReconciler, setHold, type LockLease, type ReconcilerEvent, type SyncLock } from '../../src/index.js';
import { createNovitaClient } from '../../src/novita/index.js';
import { createScriptedNovitaClient, startFakeNovita, type FakeNovita } from '../../src/testing/index.js';

const DAY = 86_400_000;
const dayOld = () => new Date(Date.now() - DAY).toISOString();

/**
 * A lock shared by the replicas of one process that remembers when a real run completed: the
 * capability `start()` needs to share a schedule (createRedisLock has it too; its tests are in
 * redis-lock-schedule.test.ts).
 */
function sharedLock(): SyncLock {
  let held = false;
  let lastRun: Date | null = null;
  return {
    async acquire() {
      if (held) return null;
      held = true;
      const lease: LockLease = {
        token: 'shared',
        lost: new AbortController().signal,
        release: async () => void (held = false),
        recordCompletedRun: async (at) => {
          // A lock without a clock of its own (no sinceLastCompletedRun) is always handed the time.
          lastRun = at ?? null;
          return true;
        },
      };
      return lease;
    },
    lastCompletedRun: async () => lastRun,
  };
}

/** The samples of a text exposition, each with its labels. */
function parseExposition(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

let fake: FakeNovita | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('Prometheus metrics through onEvent (examples/ops/prometheus-metrics.ts)', () => {
  it('exposes runs by outcome and code, actions by kind, durations, the last success and a skipped scheduled turn', async () => {
    fake = await startFakeNovita();
    const [alive, exited] = fake.addInstances(2, () => ({ createdAtMs: Date.now() - DAY }));
    fake.setStatus(exited?.id ?? '', 'exited');
    const store = createMemoryStore({
      records: [
        {
          id: 'alive',
          novitaInstanceId: alive?.id,
          status: 'running',
          novitaStatus: 'running',
          timestamps: { created: dayOld(), started: dayOld(), novitaStatusSince: dayOld() },
        },
        {
          id: 'exited',
          novitaInstanceId: exited?.id,
          status: 'running',
          novitaStatus: 'running',
          timestamps: { created: dayOld(), started: dayOld(), novitaStatusSince: dayOld() },
        },
        {
          id: 'vanished',
          novitaInstanceId: 'aaaa00000000dead',
          status: 'running',
          novitaStatus: 'running',
          timestamps: { created: dayOld(), started: dayOld(), novitaStatusSince: dayOld() },
        },
      ],
    });
    const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url });
    const lock = sharedLock();
    const registry = new Registry();
    const metrics = createSyncMetrics(registry);
    const reconciler = createReconciler({ store, novitaClient, lock, onEvent: metrics.onEvent });

    const before = Date.now() / 1000;
    const report = await reconciler.sync();
    const after = Date.now() / 1000;
    expect(report).toMatchObject({ updated: 1, markedTerminated: 1, unchanged: 1 });
    fake.fault({ endpoint: 'list', kind: 'error', status: 401 });
    await expect(reconciler.sync()).rejects.toMatchObject({ code: 'NOVITA_AUTH' });

    // A second replica on the same lock: its first turn finds the run above and skips.
    let skippedTurn!: () => void;
    const skipped = new Promise<void>((resolve) => (skippedTurn = resolve));
    const replica = createReconciler({
      store,
      novitaClient,
      lock,
      onEvent: (event: ReconcilerEvent) => {
        metrics.onEvent(event);
        if (event.type === 'run-skipped') skippedTurn();
      },
    });
    replica.start({ runImmediately: true });
    await skipped;
    await replica.stop();

    const samples = parseExposition(await registry.metrics());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))
        .map((sample) => sample.value);

    expect(value('novita_reconciler_runs_total', { outcome: 'finished', code: '', dry_run: 'false' })).toEqual([1]);
    expect(value('novita_reconciler_runs_total', { outcome: 'failed', code: 'NOVITA_AUTH', dry_run: 'false' })).toEqual([1]);
    expect(value('novita_reconciler_runs_total')).toHaveLength(2);
    expect(value('novita_reconciler_actions_total', { kind: 'refresh', outcome: 'applied', dry_run: 'false' })).toEqual([1]);
    expect(value('novita_reconciler_actions_total', { kind: 'markTerminated', outcome: 'applied', dry_run: 'false' })).toEqual([1]);
    expect(value('novita_reconciler_actions_total')).toHaveLength(2);
    expect(value('novita_reconciler_run_duration_seconds_count', { outcome: 'finished' })).toEqual([1]);
    expect(value('novita_reconciler_run_duration_seconds_count', { outcome: 'failed' })).toEqual([1]);
    expect(value('novita_reconciler_run_duration_seconds_bucket', { outcome: 'finished', le: '+Inf' })).toEqual([1]);
    expect(value('novita_reconciler_runs_skipped_total', { reason: 'recent-run-elsewhere' })).toEqual([1]);
    // Set by the finished run only: the failed one after it left it alone.
    const [lastSuccess] = value('novita_reconciler_last_success_timestamp_seconds');
    expect(lastSuccess).toBeGreaterThanOrEqual(before);
    expect(lastSuccess).toBeLessThanOrEqual(after);
  });
});

describe('Prometheus: a listing that could not be proven complete', () => {
  it('counts the run under novita_reconciler_listing_unproven_total (a listing without total)', async () => {
    fake = await startFakeNovita({ listingTotal: false });
    fake.addInstances(3, () => ({ createdAtMs: Date.now() - DAY }));
    const registry = new Registry();
    const metrics = createSyncMetrics(registry);
    const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url });
    const reconciler = createReconciler({ store: createMemoryStore(), novitaClient, onEvent: metrics.onEvent });
    const report = await reconciler.sync();
    expect(report.listing.complete).toBe(false);
    const samples = parseExposition(await registry.metrics()).filter(
      (sample) => sample.name === 'novita_reconciler_listing_unproven_total',
    );
    expect(samples.map((sample) => sample.value)).toEqual([1]);
  });
});

describe('Prometheus: orphans, their cost, the calls that end them, stuck instances', () => {
  it('counts an orphan stopped by novitaOnly: stop, and shows the orphans and what they cost', async () => {
    fake = await startFakeNovita();
    fake.addInstance({ name: 'app-orphan', createdAtMs: Date.now() - DAY });
    const registry = new Registry();
    const metrics = createSyncMetrics(registry);
    const novitaClient = createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url });
    const reconciler = createReconciler({
      store: createMemoryStore(),
      novitaClient,
      scope: { instance: (instance) => String(instance.name).startsWith('app-') },
      priceOf: () => 0.69,
      // One orphan of one instance in scope: the orphans' own fraction limit would hold it back.
      policy: { novitaOnly: 'stop', maxObsoleteFraction: 1 },
      onEvent: metrics.onEvent,
    });
    const report = await reconciler.sync();
    expect(report.instanceActions.map((action) => action.outcome)).toEqual(['applied']);
    const samples = parseExposition(await registry.metrics());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))
        .map((sample) => sample.value);
    expect(value('novita_reconciler_instance_actions_total', { kind: 'stop', outcome: 'applied', dry_run: 'false' })).toEqual([1]);
    expect(value('novita_reconciler_orphans')).toEqual([1]);
    expect(value('novita_reconciler_orphans_cost_per_hour_usd')).toEqual([0.69]);
    expect(value('novita_reconciler_stuck_instances')).toEqual([0]);
  });
});

/** A reader the test collects from by hand. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('OpenTelemetry spans and metrics through onEvent (examples/ops/opentelemetry.ts)', () => {
  it('one span per run with the counts and status, an event per action, and run, action, duration and last-success metrics', async () => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
    const reader = new CollectingReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const novita = createScriptedNovitaClient({ instances: [{ id: 'nv-a', status: 'exited' }] });
    const store = createMemoryStore({
      records: [
        {
          id: 'a',
          novitaInstanceId: 'nv-a',
          status: 'running',
          novitaStatus: 'running',
          timestamps: { created: dayOld(), started: dayOld(), novitaStatusSince: dayOld() },
        },
        {
          id: 'b',
          novitaInstanceId: 'nv-b',
          status: 'running',
          novitaStatus: 'running',
          timestamps: { created: dayOld(), started: dayOld(), novitaStatusSince: dayOld() },
        },
      ],
    });
    const reconciler = createReconciler({ store, novitaClient: novita, onEvent: createOtelOnEvent({ tracer, meter }) });

    const report = await reconciler.sync();
    novita.failListing(new Error('upstream down'));
    await expect(reconciler.sync()).rejects.toMatchObject({ code: 'NOVITA_API' });

    const [finished, failed] = spans.getFinishedSpans();
    expect(spans.getFinishedSpans()).toHaveLength(2);
    expect(finished?.name).toBe('novita_reconciler.sync');
    expect(finished?.status.code).toBe(SpanStatusCode.OK);
    expect(finished?.attributes).toMatchObject({
      'novita_reconciler.run_id': report.runId,
      'novita_reconciler.dry_run': false,
      'novita_reconciler.records.before': 2,
      'novita_reconciler.updated': 1,
      'novita_reconciler.marked_terminated': 1,
      'novita_reconciler.listing_walks': 1,
      'novita_reconciler.safety.tripped': false,
      'novita_reconciler.skipped.grace': 0,
    });
    expect(
      finished?.events.map((event) => [event.name, event.attributes?.kind, event.attributes?.['record.id'], event.attributes?.outcome]),
    ).toEqual([
      ['action', 'refresh', 'a', 'applied'],
      ['action', 'markTerminated', 'b', 'applied'],
    ]);
    expect(failed?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/^NOVITA_API: .*upstream down/) });
    expect(failed?.attributes['novita_reconciler.error.code']).toBe('NOVITA_API');
    expect(failed?.events.map((event) => event.name)).toEqual(['exception']);

    const { resourceMetrics } = await reader.collect();
    const metric = (name: string): MetricData | undefined =>
      resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === name);
    const points = (name: string) => (metric(name)?.dataPoints ?? []) as DataPoint<unknown>[];
    expect(points('novita_reconciler.runs').map((point) => [point.attributes, point.value])).toEqual([
      [{ outcome: 'finished', dry_run: false }, 1],
      [{ outcome: 'failed', code: 'NOVITA_API', dry_run: false }, 1],
    ]);
    expect(points('novita_reconciler.actions').map((point) => [point.attributes.kind, point.value])).toEqual([
      ['refresh', 1],
      ['markTerminated', 1],
    ]);
    expect(
      points('novita_reconciler.run.duration').map((point) => [point.attributes.outcome, (point.value as { count: number }).count]),
    ).toEqual([
      ['finished', 1],
      ['failed', 1],
    ]);
    const [lastSuccess] = points('novita_reconciler.last_success');
    expect(lastSuccess?.value).toBeGreaterThan(Date.now() / 1000 - 60);
  });
});

describe('the guards on destructive actions in the metrics recipes', () => {
  /** Five vanished records: one vetoed by the liveness check, the cap of 2 holding two, then the hold holding the rest. */
  function guardedScene(onEvent: (event: ReconcilerEvent) => void) {
    const record = (id: string) => ({
      id,
      novitaInstanceId: `nv-${id}`,
      status: 'running',
      novitaStatus: 'running',
      timestamps: { created: dayOld(), started: dayOld() },
    });
    const store = createMemoryStore({ records: ['a', 'b', 'c', 'd', 'e'].map(record) });
    const reconciler = createReconciler({
      store,
      novitaClient: createScriptedNovitaClient(),
      policy: { maxObsoleteFraction: 1, maxDestructivePerRun: 2, destructiveBudget: { max: 10, windowMinutes: 60 } },
      livenessCheck: (stored) => stored.id === 'a',
      onEvent,
    });
    return { store, reconciler };
  }

  it('Prometheus: held back by guard, liveness answers, the hold and the window used', async () => {
    const registry = new Registry();
    const metrics = createSyncMetrics(registry);
    const { store, reconciler } = guardedScene(metrics.onEvent);
    await reconciler.sync();
    await setHold(store, { reason: 'incident', by: 'alice' });
    await reconciler.sync();
    const samples = parseExposition(await registry.metrics());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, label]) => sample.labels[key] === label))?.value;
    expect(value('novita_reconciler_destructive_held_back_total', { limit: 'cap', dry_run: 'false' })).toBe(2);
    expect(value('novita_reconciler_destructive_held_back_total', { limit: 'hold', dry_run: 'false' })).toBe(2);
    expect(value('novita_reconciler_destructive_held_back_total', { limit: 'liveness', dry_run: 'false' })).toBe(2);
    expect(value('novita_reconciler_liveness_checks_total', { verdict: 'gone' })).toBe(6);
    expect(value('novita_reconciler_liveness_checks_total', { verdict: 'alive' })).toBe(2);
    expect(value('novita_reconciler_hold')).toBe(1);
    expect(value('novita_reconciler_destructive_window_used')).toBe(2);
    expect(value('novita_reconciler_destructive_window_max')).toBe(10);
  });

  it('OpenTelemetry: the same counters and gauges, limits on the span, a span event when a limit held something back', async () => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');
    const reader = new CollectingReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const { reconciler } = guardedScene(createOtelOnEvent({ tracer, meter }));
    await reconciler.sync();
    const [span] = spans.getFinishedSpans();
    expect(span?.attributes).toMatchObject({
      'novita_reconciler.limits.held_back.cap': 2,
      'novita_reconciler.limits.hold': false,
      'novita_reconciler.limits.window.used_by_run': 2,
      'novita_reconciler.liveness.checked': 5,
      'novita_reconciler.liveness.alive': 1,
      'novita_reconciler.skipped.limit': 2,
      'novita_reconciler.skipped.liveness': 1,
    });
    expect(span?.events.find((event) => event.name === 'destructive-limit-reached')?.attributes).toMatchObject({ 'held_back.cap': 2 });
    const { resourceMetrics } = await reader.collect();
    const points = (name: string) =>
      (resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((candidate) => candidate.descriptor.name === name)?.dataPoints ??
        []) as DataPoint<unknown>[];
    expect(points('novita_reconciler.destructive.held_back').map((point) => [point.attributes.limit, point.value])).toEqual([
      ['cap', 2],
      ['liveness', 1],
    ]);
    expect(points('novita_reconciler.liveness.checks').map((point) => [point.attributes.verdict, point.value])).toEqual([
      ['gone', 4],
      ['alive', 1],
    ]);
    expect(points('novita_reconciler.hold').map((point) => point.value)).toEqual([0]);
    expect(points('novita_reconciler.destructive_window.used').map((point) => point.value)).toEqual([2]);
  });
});
