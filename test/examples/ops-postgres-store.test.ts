/**
 * examples/ops/postgres-store: the store contract suite on PGlite (in process, always) and on a real
 * Postgres through `pg` (POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test). Under CI=true
 * a Postgres that does not answer fails this file; elsewhere its half is skipped, saying why.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createReconciler, writeBatchProgress } from '../../src/index.js';
import { createScriptedNovitaClient, defineStoreContract } from '../../src/testing/index.js';
import type { StoreContractHarness } from '../../src/testing/index.js';
import { createPostgresStore, type PostgresStore } from '../../examples/ops/postgres-store/postgres-store.js';
import { dropSchema, ensureSchema } from '../../examples/ops/postgres-store/schema.js';
import { pgClient, pgliteClient, type SqlClient } from '../../examples/ops/postgres-store/sql-client.js';
import { startStallingProxy } from '../support/stalling-proxy.js';

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
  // A network database: each test gets 15 s, create() and cleanup() included, whatever the runner's default.
  defineStoreContract(
    { describe, it },
    { name: 'Postgres store example on pg', create: () => postgresHarness(pgClient(pool)), timeoutMs: 15_000 },
  );

  describe('Postgres store example on pg: the answer to COMMIT', () => {
    /** A harness whose table runs `body` (plpgsql) at COMMIT for rows whose text contains `marker`. */
    async function atCommit(marker: string, body: string) {
      const harness = await postgresHarness(pgClient(pool));
      const { table } = harness.store;
      await pool.query(
        `CREATE FUNCTION ${table}_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.body LIKE '%${marker}%' THEN ${body} END IF; RETURN NULL; END $$`,
      );
      await pool.query(
        `CREATE CONSTRAINT TRIGGER ${table}_at_commit AFTER INSERT OR UPDATE ON ${table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${table}_at_commit()`,
      );
      return {
        ...harness,
        cleanup: async () => {
          await harness.cleanup?.();
          await pool.query(`DROP FUNCTION IF EXISTS ${table}_at_commit()`);
        },
      };
    }
    const put = (id: string, note: string) => ({ op: 'put' as const, id, record: { id, status: 'running', note }, expectedVersion: null });

    it('refused by the server: the batch was rolled back, and the rejection says nothing was applied', async () => {
      const { store, cleanup } = await atCommit('refuse-at-commit', `RAISE EXCEPTION 'refused at commit';`);
      try {
        const failure = await store.writeBatch([put('r1', 'fine'), put('r2', 'refuse-at-commit')]).catch((error: unknown) => error);
        expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/refused at commit/) });
        expect(writeBatchProgress(failure)).toBeUndefined();
        expect(await store.count()).toBe(0);
      } finally {
        await cleanup();
      }
    });

    it('lost on the way (the connection cut while COMMIT runs): every write of the batch is reported in doubt, and it did land', async () => {
      // The COMMIT waits for an advisory lock this test holds, so the cut comes while it runs, however slow the machine.
      const gate = 1_000_000 + Math.floor(Math.random() * 1_000_000);
      const holder = await pool.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [gate]);
      const { store: direct, cleanup } = await atCommit('slow-commit', `PERFORM pg_advisory_xact_lock(${gate});`);
      const proxy = await startStallingProxy(POSTGRES_URL);
      const viaProxy = new pg.Pool({
        connectionString: `postgres://postgres@127.0.0.1:${new URL(proxy.url).port}${new URL(POSTGRES_URL).pathname}`,
        max: 1,
      });
      viaProxy.on('error', () => undefined);
      try {
        const store = createPostgresStore({ client: pgClient(viaProxy), table: direct.table });
        const writing = store.writeBatch([put('r1', 'slow-commit'), put('r2', 'fine')]).catch((error: unknown) => error);
        // Cut the connection only once the server is running the COMMIT (waiting for the gate).
        await vi.waitFor(
          async () =>
            expect(
              (await pool.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, [gate])).rowCount,
            ).toBe(1),
          { timeout: 5_000, interval: 20 },
        );
        await proxy.close();
        const failure = await writing;
        await holder.query('SELECT pg_advisory_unlock($1)', [gate]);
        expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect(writeBatchProgress(failure)).toEqual({ writeResults: [], writesInDoubt: 2 });
        // The server finished the COMMIT the client never heard back from.
        await vi.waitFor(async () => expect(await direct.count()).toBe(2), { timeout: 5_000, interval: 50 });
      } finally {
        await holder.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        holder.release();
        await viaProxy.end().catch(() => undefined);
        await proxy.close().catch(() => undefined);
        await cleanup();
      }
    });
  });
}

describe('Postgres store example: with the reconciler', () => {
  it('a run on PGlite marks the vanished instance terminated and leaves a record changed by foreign SQL meanwhile to the next run', async () => {
    const harness = await postgresHarness(onPglite);
    try {
      const { store } = harness;
      const created = new Date(Date.now() - 86_400_000).toISOString();
      await store.put({
        id: 'alive',
        novitaInstanceId: 'nv-alive',
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, started: created },
      });
      await store.put({
        id: 'vanished',
        novitaInstanceId: 'nv-vanished',
        status: 'running',
        novitaStatus: 'running',
        owner: 'team-a',
        timestamps: { created, started: created },
      });
      await store.put({
        id: 'relinked',
        novitaInstanceId: 'nv-old',
        status: 'running',
        novitaStatus: 'running',
        timestamps: { created, started: created },
      });
      const novita = createScriptedNovitaClient({ instances: [{ id: 'nv-alive', status: 'running' }] });
      // The app links `relinked` to a new instance while the run asks Novita about the old one.
      const original = novita.getInstance.bind(novita);
      novita.getInstance = async (id, options) => {
        if (id === 'nv-old')
          await harness.writeRaw(
            'relinked',
            JSON.stringify({ id: 'relinked', novitaInstanceId: 'nv-new', status: 'creating', timestamps: { created } }),
          );
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
