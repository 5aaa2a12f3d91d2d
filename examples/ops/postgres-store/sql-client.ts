/**
 * The little the Postgres store needs from a driver: parameterised queries, and a transaction on one
 * connection. Two adapters: `pg` (a real Postgres, through a Pool) and PGlite (Postgres in WASM, in
 * process: tests, local development). The store's SQL is the same on both.
 *
 * Both drivers are imported as types only, so an application installs just the one it uses.
 *
 * Part of: examples/ops/postgres-store/main.ts
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';

/** Runs one parameterised statement (`$1`, `$2`, ...) and resolves its rows. */
export interface SqlQueryable {
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** A connection pool, or an in-process database. */
export interface SqlClient extends SqlQueryable {
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it rejects. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/**
 * Thrown by a transaction whose COMMIT got no answer it could trust (a connection lost mid-commit):
 * the transaction may or may not have been committed.
 */
export class CommitInDoubtError extends Error {
  constructor(options: { cause: unknown }) {
    super(
      `COMMIT failed, so the transaction may or may not have been committed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
    this.name = 'CommitInDoubtError';
  }
}

/** A `pg` Pool as a {@link SqlClient}. The pool stays yours: end it when the application stops. */
export function pgClient(pool: Pool): SqlClient {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return (await pool.query(text, [...params])).rows as Row[];
    },
    async transaction(work) {
      const connection = await pool.connect();
      let broken: Error | undefined;
      // A connection that breaks while checked out emits 'error'; unheard, that would crash the process.
      const onError = (error: Error): void => {
        broken = error;
      };
      connection.on('error', onError);
      try {
        await connection.query('BEGIN');
        const result = await work({
          query: async <Row>(text: string, params: readonly unknown[] = []) => (await connection.query(text, [...params])).rows as Row[],
        });
        try {
          await connection.query('COMMIT');
        } catch (error) {
          // The server answered (an error response carries a severity): the transaction was rolled back.
          if (typeof (error as { severity?: unknown }).severity === 'string') throw error;
          // No answer (the connection broke): it may have been committed or not.
          broken = error as Error;
          throw new CommitInDoubtError({ cause: error });
        }
        return result;
      } catch (error) {
        if (error instanceof CommitInDoubtError) throw error;
        try {
          await connection.query('ROLLBACK');
        } catch (rollbackError) {
          // A connection that cannot even roll back is not handed to the next caller.
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        connection.off('error', onError);
        connection.release(broken);
      }
    },
  };
}

/**
 * A PGlite database as a {@link SqlClient}. PGlite runs one statement at a time; transactions queue. In
 * process, a failed commit is a definite rollback, never in doubt.
 */
export function pgliteClient(db: Pick<PGlite, 'query' | 'transaction'>): SqlClient {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return (await db.query<Row>(text, [...params])).rows;
    },
    transaction: (work) =>
      db.transaction((tx) =>
        work({ query: async <Row>(text: string, params: readonly unknown[] = []) => (await tx.query<Row>(text, [...params])).rows }),
      ),
  };
}
