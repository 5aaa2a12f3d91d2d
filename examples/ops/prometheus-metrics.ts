/**
 * Prometheus metrics with prom-client, fed by the reconciler's `onEvent`:
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `novita_reconciler_runs_total` | counter | `outcome` (`finished` / `failed`), `code` (the error code; empty when finished), `dry_run` |
 * | `novita_reconciler_actions_total` | counter | `kind`, `outcome`, `dry_run` |
 * | `novita_reconciler_run_duration_seconds` | histogram | `outcome` |
 * | `novita_reconciler_last_success_timestamp_seconds` | gauge | (none): the end of the last real run that finished |
 * | `novita_reconciler_runs_skipped_total` | counter | `reason`: a scheduled turn another replica had already run |
 * | `novita_reconciler_safety_trips_total` | counter | `overridden` |
 * | `novita_reconciler_listing_restarts_total` | counter | (none) |
 * | `novita_reconciler_destructive_held_back_total` | counter | `limit` (`cap` / `window` / `hold` / `liveness`), `dry_run`: records a guard kept from being ended |
 * | `novita_reconciler_liveness_checks_total` | counter | `verdict` (`gone` / `alive` / `failed`), `dry_run`: the application's livenessCheck answers |
 * | `novita_reconciler_hold` | gauge | (none): 1 while the last run found the hold set (`novita-reconcile hold`), else 0 |
 * | `novita_reconciler_destructive_window_used` | gauge | (none): the window budget used after the last real run (all replicas) |
 * | `novita_reconciler_destructive_window_max` | gauge | (none): the window budget's `max` (absent without a budget) |
 *
 * ```ts
 * const registry = new Registry();
 * const metrics = createSyncMetrics(registry);
 * const reconciler = createReconciler({ store, novitaClient, lock, onEvent: metrics.onEvent });
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 * ```
 *
 * A sync that finds the lock held by another replica rejects with `SYNC_IN_PROGRESS` before its run
 * starts, so it emits no event: count those where you call `sync()` if you want them.
 *
 * On its own it runs the reconciler of the environment, as the command reads it: REDIS_URL,
 * NOVITA_API_KEY, SYNC_*; it schedules itself and serves the metrics at
 * http://127.0.0.1:$PORT/metrics, PORT default 9464; SIGTERM stops it.
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY=sk_... node --import tsx examples/ops/prometheus-metrics.ts
 */
import type { ReconcilerEvent } from 'novita-reconciler';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isMain, reconcilerFromEnv, stopOnSignal } from './from-env.js';

/** The metrics, and the `onEvent` handler that keeps them. */
export interface SyncMetrics {
  /** Pass as `createReconciler({ onEvent })`, or call from your own handler. */
  onEvent(event: ReconcilerEvent): void;
}

/** Registers the metrics on `registry`; one call per registry (prom-client refuses a name twice). */
export function createSyncMetrics(registry: Registry): SyncMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: 'novita_reconciler_runs_total',
    help: 'Reconcile runs that ended, by outcome and error code',
    labelNames: ['outcome', 'code', 'dry_run'],
    registers,
  });
  const actions = new Counter({
    name: 'novita_reconciler_actions_total',
    help: 'Actions of reconcile runs (planned in a dry run), by kind and outcome',
    labelNames: ['kind', 'outcome', 'dry_run'],
    registers,
  });
  const duration = new Histogram({
    name: 'novita_reconciler_run_duration_seconds',
    help: 'How long reconcile runs took',
    labelNames: ['outcome'],
    // From a small account to a listing of thousands of instances with confirmations.
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'novita_reconciler_last_success_timestamp_seconds',
    help: 'When the last real (not dry) run finished, Unix seconds',
    registers,
  });
  const skipped = new Counter({
    name: 'novita_reconciler_runs_skipped_total',
    help: 'Scheduled turns skipped because a replica sharing the lock had just run',
    labelNames: ['reason'],
    registers,
  });
  const safetyTrips = new Counter({
    name: 'novita_reconciler_safety_trips_total',
    help: 'Runs in which the safety limit tripped',
    labelNames: ['overridden'],
    registers,
  });
  const listingRestarts = new Counter({
    name: 'novita_reconciler_listing_restarts_total',
    help: 'Listing walks started again because the listing shifted while it was read',
    registers,
  });
  const instanceActions = new Counter({
    name: 'novita_reconciler_instance_actions_total',
    help: "Calls to end an orphaned instance (novitaOnly 'stop' | 'delete'), by kind and outcome",
    labelNames: ['kind', 'outcome', 'dry_run'],
    registers,
  });
  const stuck = new Gauge({
    name: 'novita_reconciler_stuck_instances',
    help: 'Records whose Novita status stayed transitional past stuckAfterMinutes, at the last run',
    registers,
  });
  const orphans = new Gauge({
    name: 'novita_reconciler_orphans',
    help: 'Instances in scope that no record names, at the last run',
    registers,
  });
  const orphanCost = new Gauge({
    name: 'novita_reconciler_orphans_cost_per_hour_usd',
    help: 'What the orphans cost per hour, by priceOf, at the last run (unpriced ones not counted)',
    registers,
  });
  const listingUnproven = new Counter({
    name: 'novita_reconciler_listing_unproven_total',
    help: 'Runs whose Novita listing could not be proven complete (absences then need a proof per record)',
    registers,
  });

  const heldBack = new Counter({
    name: 'novita_reconciler_destructive_held_back_total',
    help: 'Records a guard on destructive actions kept from being marked terminated or removed, by guard',
    labelNames: ['limit', 'dry_run'],
    registers,
  });
  const livenessChecks = new Counter({
    name: 'novita_reconciler_liveness_checks_total',
    help: "Answers of the application's livenessCheck: gone (false, the run may end it), alive, failed (threw or timed out)",
    labelNames: ['verdict', 'dry_run'],
    registers,
  });
  const hold = new Gauge({
    name: 'novita_reconciler_hold',
    help: 'Whether the last run found the hold set (1) or not (0)',
    registers,
  });
  const windowUsed = new Gauge({
    name: 'novita_reconciler_destructive_window_used',
    help: 'Destructive actions reserved in the window budget after the last real run, by every replica',
    registers,
  });
  const windowMax = new Gauge({
    name: 'novita_reconciler_destructive_window_max',
    help: "The window budget's max (policy.destructiveBudget)",
    registers,
  });

  // A failed run may carry no report: its duration and options come from its run-started event.
  const started = new Map<string, { at: number; dryRun: boolean }>();

  return {
    onEvent(event) {
      switch (event.type) {
        case 'run-started':
          started.set(event.runId, { at: performance.now(), dryRun: event.options.dryRun });
          return;
        case 'action':
          actions.inc({ kind: event.action.kind, outcome: event.action.outcome, dry_run: String(event.dryRun) });
          return;
        case 'safety-tripped':
          safetyTrips.inc({ overridden: String(event.safety.overridden) });
          return;
        case 'listing-restarted':
          listingRestarts.inc();
          return;
        case 'listing-unproven':
          listingUnproven.inc();
          return;
        case 'instance-action':
          instanceActions.inc({ kind: event.action.kind, outcome: event.action.outcome, dry_run: String(event.dryRun) });
          return;
        case 'run-skipped':
          skipped.inc({ reason: event.reason });
          return;
        case 'run-finished': {
          started.delete(event.runId);
          const { report } = event;
          runs.inc({ outcome: 'finished', code: '', dry_run: String(report.dryRun) });
          duration.observe({ outcome: 'finished' }, report.duration / 1000);
          if (!report.dryRun) lastSuccess.set(Date.now() / 1000);
          stuck.set(report.stuck.length);
          orphans.set(report.orphans.count);
          orphanCost.set(report.orphans.costPerHour ?? 0);
          const dryRun = String(report.dryRun);
          const { limits, liveness } = report;
          for (const [limit, count] of Object.entries(limits.heldBack)) if (count > 0) heldBack.inc({ limit, dry_run: dryRun }, count);
          if (report.skipped.liveness > 0) heldBack.inc({ limit: 'liveness', dry_run: dryRun }, report.skipped.liveness);
          const gone = liveness.checked - liveness.alive - liveness.failed;
          for (const [verdict, count] of [
            ['gone', gone],
            ['alive', liveness.alive],
            ['failed', liveness.failed],
          ] as const)
            if (count > 0) livenessChecks.inc({ verdict, dry_run: dryRun }, count);
          hold.set(limits.hold === null ? 0 : 1);
          if (limits.window !== null) {
            windowMax.set(limits.window.max);
            if (!report.dryRun) windowUsed.set(limits.window.usedBefore + limits.window.usedByRun);
          }
          return;
        }
        case 'run-failed': {
          const run = started.get(event.runId);
          started.delete(event.runId);
          runs.inc({ outcome: 'failed', code: event.error.code, dry_run: String(run?.dryRun ?? event.report?.dryRun ?? false) });
          if (run !== undefined) duration.observe({ outcome: 'failed' }, (performance.now() - run.at) / 1000);
          return;
        }
        case 'destructive-limit-reached':
          // Counted from the run's report (run-finished), which has the liveness vetoes too.
          return;
        case 'progress':
          return;
      }
    },
  };
}

if (isMain(import.meta.url)) {
  const { createServer } = await import('node:http');
  const { collectDefaultMetrics, Registry } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createSyncMetrics(registry);
  const { reconciler, close } = await reconcilerFromEnv({ onEvent: metrics.onEvent });
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') return void response.writeHead(404).end();
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  server.listen(Number(process.env.PORT?.trim() || 9464), process.env.HOST?.trim() || '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    console.log(JSON.stringify({ msg: 'metrics served', url: `http://127.0.0.1:${port}/metrics` }));
    reconciler.start({ runImmediately: true });
  });
  stopOnSignal(async () => {
    await reconciler.stop();
    await new Promise((resolve) => server.close(resolve));
    await close();
  });
}
