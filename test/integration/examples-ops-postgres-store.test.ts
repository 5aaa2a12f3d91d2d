/**
 * examples/ops/postgres-store: the store contract suite on PGlite (in process, always) and on a real
 * Postgres through `pg` (POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). Under CI=true
 * a Postgres that does not answer fails this file; elsewhere its half is skipped, saying why.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createReconciler } from '../../src/index.js';
import { createScriptedNovitaClient, defineStoreContract } from '../../src/testing/index.js';
import type { StoreContractHarness } from '../../src/testing/index.js';
import { createPostgresStore, type PostgresStore } from '../../examples/ops/postgres-store/postgres-store.js';
import { dropSchema, ensureSchema } from '../../examples/ops/postgres-store/schema.js';
import { pgClient, pgliteClient, type SqlClient } from '../../examples/ops/postgres-store/sql-client.js';

// The examples import the package by name; here that name means the source, as the root tsconfig's
// `paths` make it mean for tsc (Vite alone would resolve it to ./dist through the exports map).
vi.mock('novita-reconciler', () => import('../../src/index.js'));

const POSTGRES_URL = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A harness on a fresh table; raw writes are plain SQL, as code that does not use this library would write. */
async function postgresHarness(client: SqlClient): Promise<StoreContractHarness<PostgresStore>> {
  const table = `contract_${randomBytes(5).toString('hex')}`;
  await ensureSchema(client, table);
  return {
    store: createPostgresStore({ client, table }),
    writeRaw: async (id, text) => {
      await client.query(`INSERT INTO ${table} (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`, [id, text]);
    },
    deleteRaw: async (id) => {
      await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    },
    cleanup: () => dropSchema(client, table),
  };
}

const pglite = new PGlite();
afterAll(() => pglite.close());
const onPglite = pgliteClient(pglite);

defineStoreContract({ describe, it }, { name: 'Postgres store example on PGlite', create: () => postgresHarness(onPglite) });

/** Whether the real Postgres answers, and why not. */
async function reachable(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await probe.connect();
    await probe.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await probe.end().catch(() => undefined);
  }
}

const realPostgres = await reachable(POSTGRES_URL);
if (!realPostgres.ok) {
  const reason = `no Postgres at ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//***@')} (${realPostgres.reason}); set POSTGRES_URL`;
  if (process.env.CI === 'true') throw new Error(`the Postgres store example must run against a real Postgres under CI: ${reason}`);
  console.warn(`\nexamples-ops-postgres-store: the pg half is skipped: ${reason}\n`);
  it.skip(`store contract: Postgres store example on pg (skipped: ${reason})`, () => undefined);
} else {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
  afterAll(() => pool.end());
  defineStoreContract({ describe, it }, { name: 'Postgres store example on pg', create: () => postgresHarness(pgClient(pool)) });
}

describe('Postgres store example: with the reconciler', () => {
  it('a run on PGlite marks the vanished instance terminated and leaves a record changed by foreign SQL meanwhile to the next run', async () => {
    const harness = await postgresHarness(onPglite);
    try {
      const { store } = harness;
      const created = new Date(Date.now() - 86_400_000).toISOString();
      await store.put({ id: 'alive', novitaInstanceId: 'nv-alive', status: 'running', novitaStatus: 'running', timestamps: { created, started: created } });
      await store.put({ id: 'vanished', novitaInstanceId: 'nv-vanished', status: 'running', novitaStatus: 'running', owner: 'team-a', timestamps: { created, started: created } });
      await store.put({ id: 'relinked', novitaInstanceId: 'nv-old', status: 'running', novitaStatus: 'running', timestamps: { created, started: created } });
      const novita = createScriptedNovitaClient({ instances: [{ id: 'nv-alive', status: 'running' }] });
      // The app links `relinked` to a new instance while the run asks Novita about the old one.
      const original = novita.getInstance.bind(novita);
      novita.getInstance = async (id, options) => {
        if (id === 'nv-old') await harness.writeRaw('relinked', JSON.stringify({ id: 'relinked', novitaInstanceId: 'nv-new', status: 'creating', timestamps: { created } }));
        return original(id, options);
      };

      const report = await createReconciler({ store, novitaClient: novita }).sync();

      expect(report).toMatchObject({ markedTerminated: 1, conflicts: 1, unchanged: 1 });
      expect(await store.get('vanished')).toMatchObject({ status: 'terminated', owner: 'team-a' });
      expect(await store.get('relinked')).toMatchObject({ novitaInstanceId: 'nv-new', status: 'creating' });
    } finally {
      await harness.cleanup?.();
    }
  });

  it('refuses an unknown option and a table name it would have to quote, naming the field', () => {
    expect(() => createPostgresStore({ client: onPglite, tabel: 'x' } as never)).toThrow(/tabel/);
    expect(() => createPostgresStore({ client: onPglite, table: 'records; DROP TABLE users' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'table' }),
    );
  });
});
