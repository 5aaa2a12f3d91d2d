/**
 * A dedicated worker process: the reconciler schedules itself (`start()`), and the process shuts down
 * cleanly on SIGTERM (Kubernetes, systemd, docker stop) or SIGINT (Ctrl-C).
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY=sk_... node --import tsx examples/ops/worker.ts
 *
 * Configuration is the package's environment: NOVITA_API_KEY, NOVITA_API_BASE_URL, REDIS_URL,
 * REDIS_KEY_PREFIX and the SYNC_* policy variables (see .env.example). Logs are pino JSON lines on stdout.
 *
 * Run one replica or several: they share the Redis lock, so runs never overlap, and they share the
 * schedule (a replica skips its turn when another completed a run within the interval).
 */
import { createReconciler, policyFromEnv, type ReconcilerEvent } from 'novita-reconciler';
import { createNovitaClient } from 'novita-reconciler/novita';
import { createRedisLock, createRedisStore } from 'novita-reconciler/redis';
import pino from 'pino';

/** Below Kubernetes' default 30 s grace period, so the worker exits before it is killed. */
const SHUTDOWN_DEADLINE_MS = 20_000;

// Synchronous writes to stdout: pino's default asynchronous destination retries a write that meets a
// full pipe later, and the lines after it can then overtake it (seen under load: "Instance sync
// completed" printed after "stopped"). A worker logs a few lines a run; their order is worth more.
const logger = pino(pino.destination({ dest: 1, sync: true }));
// The store opens its own connection from REDIS_URL (and quits it on close()).
const store = createRedisStore();
const reconciler = createReconciler({
  store,
  lock: createRedisLock({ store }),
  novitaClient: createNovitaClient({ logger: logger.child({ component: 'novita' }) }),
  policy: policyFromEnv(process.env),
  logger,
  onEvent: logEvent,
});

/** One line per run boundary, with the event's type as `event`: what dashboards and the tests look for. */
function logEvent(event: ReconcilerEvent): void {
  if (event.type === 'run-started') logger.info({ event: event.type, runId: event.runId, options: event.options }, 'reconcile run started');
  else if (event.type === 'run-finished')
    logger.info(
      { event: event.type, runId: event.runId, actions: event.report.actions.length, durationMs: event.report.duration },
      'reconcile run finished',
    );
  else if (event.type === 'run-failed')
    logger.error({ event: event.type, runId: event.runId, code: event.error.code }, 'reconcile run failed');
  else if (event.type === 'run-skipped')
    logger.info(
      { event: event.type, reason: event.reason, lastCompletedRun: event.lastCompletedRun },
      'run skipped: another replica ran it or is running it',
    );
}

if (!reconciler.start({ runImmediately: true })) {
  logger.error({ enableAutomaticSync: false }, 'SYNC_ENABLE_AUTOMATIC_SYNC is false: this worker has nothing to do');
  await store.close();
  process.exit(2);
}

// The reconciler's timer is unref'd: a library never holds a process open by itself, so that a web
// server or a script that calls start() can still exit. A process whose only job is the schedule must
// keep itself alive; this handle does, until shutdown clears it. (An open Redis socket holds the loop
// too, but do not count on a client's socket: an idle pg pool closes its connections after 10 s, and
// a client between reconnects may hold nothing.)
const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting for the run');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down: waiting for the run in flight');
  // A run always ends (every call has a deadline), but a listing may take minutes; the orchestrator
  // will not wait that long. Exiting mid-run is safe: writes are conditional and fenced by the lock,
  // whose key expires by itself; the next run reads what landed.
  // stop() aborts the run in flight once the deadline passes (it then reports what it applied); the
  // hard exit below is the last resort should even that not settle in time.
  setTimeout(() => {
    logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'the run did not end in time; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS + 5_000).unref();
  await reconciler.stop({ signal: AbortSignal.timeout(SHUTDOWN_DEADLINE_MS) });
  await store.close();
  clearInterval(keepAlive);
  logger.info({ signal }, 'stopped');
  process.exit(0);
}
process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
