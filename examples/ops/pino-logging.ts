/**
 * Logging with pino: the reconciler and the Novita client take a pino logger as it is (their logger
 * option has pino's `(fields, message)` shape). One run, then exit:
 *
 * Run:
 *   REDIS_URL=redis://127.0.0.1:6379 NOVITA_API_KEY=sk_... node --import tsx examples/ops/pino-logging.ts [--dry-run]
 *
 * What the reconciler logs, as JSON lines: `Instance sync completed` once per run (info) with the
 * counts (`runId`, `dryRun`, `beforeSync`, `afterSync`, `updated`, `markedTerminated`, `removed`,
 * `unchanged`, `conflicts`, `unverified`, `skipped`, `novitaInstances`, `listingWalks`, `confirmations`,
 * `adopted`, `novitaOnly`, `safetyTripped`, `durationMs`); one info line per obsolete record it marks
 * terminated or removes; warnings (a shifting listing, a confirmation that failed) and errors
 * (`Instance sync failed`, a tripped safety limit). The Novita client logs retries and rate limits
 * (warn) and every request (debug). Neither ever logs an API key or instance credentials, so no
 * `redact` paths are needed for them.
 *
 * The `novita-reconcile` command logs its warnings as text on stderr; give it pino through a `--config`
 * module (pino-cli-config.ts) to have these same JSON lines from a cron job.
 */
import { createReconciler, isReconcilerError, policyFromEnv } from 'novita-reconciler';
import { createNovitaClient } from 'novita-reconciler/novita';
import { createRedisLock, createRedisStore } from 'novita-reconciler/redis';
import pino from 'pino';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'novita-reconciler' } });
const store = createRedisStore();
const reconciler = createReconciler({
  store,
  lock: createRedisLock({ store }),
  novitaClient: createNovitaClient({ logger: logger.child({ component: 'novita' }) }),
  policy: policyFromEnv(process.env),
  logger: logger.child({ component: 'reconciler' }),
});

try {
  await reconciler.sync({ dryRun: process.argv.includes('--dry-run') });
} catch (error) {
  // The reconciler has logged the failure itself (`Instance sync failed`); this is the exit code.
  process.exitCode = isReconcilerError(error, 'SYNC_IN_PROGRESS') ? 3 : 1;
} finally {
  await store.close();
}
