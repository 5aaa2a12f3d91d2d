/**
 * OpenTelemetry traces and metrics, fed by the reconciler's `onEvent`. Only `@opentelemetry/api` is
 * used here: register your SDK (NodeSDK, an OTLP exporter, ...) as usual and this picks it up.
 *
 * Traces: one span `novita_reconciler.sync` per run, started at `run-started` and ended at
 * `run-finished` (status OK) or `run-failed` (status ERROR, the error code and message), with the
 * report's counts, the safety limit, the limits on destructive actions and `listingWalks` as attributes,
 * and one span event per action (and per listing restart, safety trip and destructive limit reached).
 * Metrics: `novita_reconciler.runs` and `novita_reconciler.actions` (counters),
 * `novita_reconciler.run.duration` (histogram, seconds), `novita_reconciler.runs.skipped` (counter),
 * `novita_reconciler.last_success` (observable gauge, Unix seconds), `novita_reconciler.destructive.held_back`
 * (counter, attribute `limit`: `cap`, `window`, `hold`, `liveness`), `novita_reconciler.liveness.checks`
 * (counter, attribute `verdict`: `gone`, `alive`, `failed`), `novita_reconciler.hold` (observable gauge:
 * 1 while the last run found the hold set) and `novita_reconciler.destructive_window.used` (observable
 * gauge: the window budget used after the last real run, by every replica).
 *
 * ```ts
 * const reconciler = createReconciler({ store, novitaClient, onEvent: createOtelOnEvent() });
 * // Nested under your own span: the run span's parent is the context `sync()` was called in.
 * await tracer.startActiveSpan('nightly-maintenance', async (span) => { await reconciler.sync(); span.end(); });
 * ```
 *
 * On its own it makes one sync of the reconciler of the environment, as the command reads it: REDIS_URL,
 * NOVITA_API_KEY, SYNC_*; its span printed to stdout by the SDK's ConsoleSpanExporter, then exit.
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY=sk_... node --import tsx examples/ops/opentelemetry.ts [--dry-run]
 */
import { metrics, SpanStatusCode, trace, type Attributes, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import type { ReconcilerEvent, SyncReport } from 'novita-reconciler';
import { isMain, reconcilerFromEnv } from './from-env.js';

/** Options of {@link createOtelOnEvent}. */
export interface OtelOptions {
  /** @default trace.getTracer('novita-reconciler') */
  tracer?: Tracer;
  /** @default metrics.getMeter('novita-reconciler') */
  meter?: Meter;
}

/** Returns an `onEvent` handler that records spans and metrics. */
export function createOtelOnEvent(options: OtelOptions = {}): (event: ReconcilerEvent) => void {
  const tracer = options.tracer ?? trace.getTracer('novita-reconciler');
  const meter = options.meter ?? metrics.getMeter('novita-reconciler');
  const runs = meter.createCounter('novita_reconciler.runs', { description: 'Reconcile runs that ended, by outcome' });
  const actions = meter.createCounter('novita_reconciler.actions', { description: 'Actions of reconcile runs (planned in a dry run)' });
  const duration = meter.createHistogram('novita_reconciler.run.duration', { unit: 's', description: 'How long reconcile runs took' });
  const skipped = meter.createCounter('novita_reconciler.runs.skipped', {
    description: 'Scheduled turns skipped because a replica sharing the lock had just run',
  });
  const heldBack = meter.createCounter('novita_reconciler.destructive.held_back', {
    description: 'Records a guard on destructive actions kept from being marked terminated or removed, by guard',
  });
  const livenessChecks = meter.createCounter('novita_reconciler.liveness.checks', {
    description: "Answers of the application's livenessCheck: gone, alive, failed",
  });
  let holdSet: number | undefined;
  let windowUsed: number | undefined;
  meter
    .createObservableGauge('novita_reconciler.hold', { description: 'Whether the last run found the hold set (1) or not (0)' })
    .addCallback((result) => {
      if (holdSet !== undefined) result.observe(holdSet);
    });
  meter
    .createObservableGauge('novita_reconciler.destructive_window.used', {
      description: 'Destructive actions reserved in the window budget after the last real run, by every replica',
    })
    .addCallback((result) => {
      if (windowUsed !== undefined) result.observe(windowUsed);
    });
  let lastSuccess: number | undefined;
  meter
    .createObservableGauge('novita_reconciler.last_success', {
      unit: 's',
      description: 'When the last real (not dry) run finished, Unix seconds',
    })
    .addCallback((result) => {
      if (lastSuccess !== undefined) result.observe(lastSuccess);
    });

  const open = new Map<string, { span: Span; at: number; dryRun: boolean }>();
  /** What the guards on destructive actions held back, and what the liveness check answered. */
  const recordGuards = (report: SyncReport): void => {
    const { limits, liveness, dryRun } = report;
    for (const [limit, count] of Object.entries(limits.heldBack)) if (count > 0) heldBack.add(count, { limit, dry_run: dryRun });
    if (report.skipped.liveness > 0) heldBack.add(report.skipped.liveness, { limit: 'liveness', dry_run: dryRun });
    const gone = liveness.checked - liveness.alive - liveness.failed;
    if (gone > 0) livenessChecks.add(gone, { verdict: 'gone', dry_run: dryRun });
    if (liveness.alive > 0) livenessChecks.add(liveness.alive, { verdict: 'alive', dry_run: dryRun });
    if (liveness.failed > 0) livenessChecks.add(liveness.failed, { verdict: 'failed', dry_run: dryRun });
    holdSet = limits.hold === null ? 0 : 1;
    if (limits.window !== null && !dryRun) windowUsed = limits.window.usedBefore + limits.window.usedByRun;
  };

  return (event) => {
    switch (event.type) {
      case 'run-started': {
        const span = tracer.startSpan('novita_reconciler.sync', {
          attributes: {
            'novita_reconciler.run_id': event.runId,
            'novita_reconciler.dry_run': event.options.dryRun,
            'novita_reconciler.handle_obsolete_instances': event.options.handleObsoleteInstances,
            'novita_reconciler.force_sync': event.options.forceSync,
          },
        });
        open.set(event.runId, { span, at: performance.now(), dryRun: event.options.dryRun });
        return;
      }
      case 'action': {
        const { action } = event;
        actions.add(1, { kind: action.kind, outcome: action.outcome, dry_run: event.dryRun });
        open.get(event.runId)?.span.addEvent('action', {
          kind: action.kind,
          outcome: action.outcome,
          reason: action.reason,
          'record.id': action.recordId,
          ...(action.novitaInstanceId === null ? {} : { 'novita.instance_id': action.novitaInstanceId }),
          ...(action.from === null ? {} : { from: action.from }),
          ...(action.to === null ? {} : { to: action.to }),
        });
        return;
      }
      case 'safety-tripped':
        open.get(event.runId)?.span.addEvent('safety-tripped', {
          candidates: event.safety.candidates,
          eligible: event.safety.eligible,
          overridden: event.safety.overridden,
        });
        return;
      case 'listing-restarted':
        open.get(event.runId)?.span.addEvent('listing-restarted', { walk: event.walk, reason: event.reason });
        return;
      case 'listing-unproven':
        open.get(event.runId)?.span.addEvent('listing-unproven', {
          reason: event.reason,
          walks: event.walks,
          instances: event.instances,
          ...(event.total === null ? {} : { total: event.total }),
        });
        return;
      case 'destructive-limit-reached':
        open.get(event.runId)?.span.addEvent('destructive-limit-reached', {
          'held_back.cap': event.limits.heldBack.cap,
          'held_back.window': event.limits.heldBack.window,
          'held_back.hold': event.limits.heldBack.hold,
          hold: event.limits.hold !== null,
        });
        return;
      case 'run-skipped':
        skipped.add(1, { reason: event.reason });
        return;
      case 'run-finished': {
        const run = open.get(event.runId);
        open.delete(event.runId);
        const { report } = event;
        runs.add(1, { outcome: 'finished', dry_run: report.dryRun });
        duration.record(report.duration / 1000, { outcome: 'finished' });
        if (!report.dryRun) lastSuccess = Date.now() / 1000;
        recordGuards(report);
        run?.span.setAttributes(reportAttributes(report));
        run?.span.setStatus({ code: SpanStatusCode.OK });
        run?.span.end();
        return;
      }
      case 'run-failed': {
        const run = open.get(event.runId);
        open.delete(event.runId);
        runs.add(1, { outcome: 'failed', code: event.error.code, dry_run: run?.dryRun ?? false });
        if (run) duration.record((performance.now() - run.at) / 1000, { outcome: 'failed' });
        if (event.report) run?.span.setAttributes(reportAttributes(event.report));
        run?.span.setAttribute('novita_reconciler.error.code', event.error.code);
        run?.span.recordException(event.error);
        run?.span.setStatus({ code: SpanStatusCode.ERROR, message: `${event.error.code}: ${event.error.message}` });
        run?.span.end();
        return;
      }
      case 'progress':
        return;
    }
  };
}

/** The report's counts as span attributes (no record contents, no credentials). */
function reportAttributes(report: SyncReport): Attributes {
  const attributes: Attributes = {
    'novita_reconciler.records.before': report.beforeSync,
    'novita_reconciler.records.after': report.afterSync,
    'novita_reconciler.updated': report.updated,
    'novita_reconciler.marked_terminated': report.markedTerminated,
    'novita_reconciler.removed': report.removed,
    'novita_reconciler.unchanged': report.unchanged,
    'novita_reconciler.conflicts': report.conflicts,
    'novita_reconciler.unverified': report.unverified,
    'novita_reconciler.not_applied': report.notApplied,
    'novita_reconciler.unknown': report.unknown,
    'novita_reconciler.adopted': report.adopted,
    'novita_reconciler.novita_only': report.novitaOnly.length,
    'novita_reconciler.novita_instances': report.novitaInstances,
    'novita_reconciler.listing_walks': report.listingWalks,
    'novita_reconciler.safety.tripped': report.safety.tripped,
    'novita_reconciler.safety.overridden': report.safety.overridden,
    'novita_reconciler.safety.candidates': report.safety.candidates,
    'novita_reconciler.safety.eligible': report.safety.eligible,
    'novita_reconciler.limits.held_back.cap': report.limits.heldBack.cap,
    'novita_reconciler.limits.held_back.window': report.limits.heldBack.window,
    'novita_reconciler.limits.held_back.hold': report.limits.heldBack.hold,
    'novita_reconciler.limits.hold': report.limits.hold !== null,
    'novita_reconciler.liveness.checked': report.liveness.checked,
    'novita_reconciler.liveness.alive': report.liveness.alive,
    'novita_reconciler.liveness.failed': report.liveness.failed,
  };
  if (report.limits.window !== null) {
    attributes['novita_reconciler.limits.window.used_before'] = report.limits.window.usedBefore;
    attributes['novita_reconciler.limits.window.used_by_run'] = report.limits.window.usedByRun;
  }
  for (const [reason, count] of Object.entries(report.skipped)) attributes[`novita_reconciler.skipped.${reason}`] = count;
  return attributes;
}

if (isMain(import.meta.url)) {
  // An SDK of your choice goes here (NodeSDK with an OTLP exporter, say); this one prints spans.
  const { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] }));
  const { reconciler, close } = await reconcilerFromEnv({ onEvent: createOtelOnEvent() });
  try {
    await reconciler.sync({ dryRun: process.argv.includes('--dry-run') });
  } finally {
    await close();
  }
}
