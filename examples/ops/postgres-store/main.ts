/**
 * One reconcile run on the Postgres store: the table created if missing (`ensureSchema`), the Novita
 * client of NOVITA_API_KEY (and NOVITA_API_BASE_URL), the policy of the SYNC_* variables; the report's
 * counts printed as one JSON line. With DATABASE_URL the records are in that Postgres (`pg`); without
 * it, in a PGlite database in this process, empty and gone at exit: a smoke test of the wiring.
 *
 * Run:
 *   DATABASE_URL=postgres://localhost/app NOVITA_API_KEY=sk_... node --import tsx examples/ops/postgres-store/main.ts [--dry-run]
 *
 * The same store under the `novita-reconcile` command: a `--config` module (docs/cli.md).
 */
import { createReconciler, policyFromEnv } from 'novita-reconciler';
import { createNovitaClient } from 'novita-reconciler/novita';
import { createPostgresStore } from './postgres-store.js';
import { ensureSchema } from './schema.js';
import { pgClient, pgliteClient, type SqlClient } from './sql-client.js';

/** The database of DATABASE_URL, or an in-process PGlite; and what closes it. */
async function database(): Promise<{ client: SqlClient; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url });
    return { client: pgClient(pool), close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite();
  return { client: pgliteClient(db), close: () => db.close() };
}

const novitaClient = createNovitaClient();
const policy = policyFromEnv(process.env);
const { client, close } = await database();
try {
  const store = createPostgresStore({ client });
  await ensureSchema(client, store.table);
  // Runs in one process never overlap; for replicas, add a lock (createRedisLock, or one of your own).
  const reconciler = createReconciler({ store, novitaClient, policy });
  const report = await reconciler.sync({ dryRun: process.argv.includes('--dry-run') });
  const { dryRun, beforeSync, afterSync, updated, markedTerminated, removed, novitaInstances } = report;
  console.log(JSON.stringify({ msg: 'sync finished', dryRun, beforeSync, afterSync, updated, markedTerminated, removed, novitaInstances }));
} finally {
  await close();
}
