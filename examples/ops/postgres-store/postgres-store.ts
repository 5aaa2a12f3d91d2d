/**
 * A store of instance records in Postgres: the reconciler's two methods (`readBatches`, `writeBatch`
 * with conditional writes on the `version` column) and the application's (`get`, `put`, `delete`,
 * `list`, `count`). The same SQL runs on `pg` and on PGlite (see sql-client.ts); the table is in
 * schema.ts. It passes the store contract suite of `novita-reconciler/testing`.
 *
 * ```ts
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = createPostgresStore({ client: pgClient(pool) });
 * await ensureSchema(pgClient(pool), store.table);
 * const reconciler = createReconciler({ store, novitaClient, lock });
 * ```
 *
 * No fencing: the lock lives elsewhere (a Redis lock, or none), so a run that lost its lock could still
 * write. It can only ever write over a record unchanged since it read it (every write is conditional).
 *
 * Part of: examples/ops/postgres-store/main.ts
 */
import {
  assertRecord,
  ConfigError,
  decodeRecord,
  isReconcilerError,
  RecordInvalidError,
  StoreUnavailableError,
  type ConditionalWrite,
  type InstanceRecord,
  type InstanceStore,
  type ReadBatchesOptions,
  type StoreEntry,
  type WriteResult,
} from 'novita-reconciler';
import { checkTableName } from './schema.js';
import { CommitInDoubtError, type SqlClient, type SqlQueryable } from './sql-client.js';

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** The database: `pgClient(pool)` or `pgliteClient(db)`. */
  client: SqlClient;
  /** The table (see schema.ts). @default 'novita_instance_records' */
  table?: string;
  /** Rows per batch of `readBatches` when its caller gives none, and of `list()`. @default 500 */
  batchSize?: number;
}

/** The Postgres store: every method the reconciler and the application use. */
export interface PostgresStore extends InstanceStore {
  /** The table the records live in. */
  readonly table: string;
}

const OPTIONS = ['client', 'table', 'batchSize'];

interface Row {
  id: string;
  body: string;
  version: string;
}

/** Creates the store. The client stays yours: the store never closes it. */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  for (const key of Object.keys(options ?? {})) {
    if (!OPTIONS.includes(key)) throw new ConfigError(key, `is not an option of createPostgresStore. Known options: ${OPTIONS.join(', ')}`);
  }
  const { client } = options;
  if (typeof client?.query !== 'function' || typeof client.transaction !== 'function') {
    throw new ConfigError('client', 'must be pgClient(pool) or pgliteClient(db)', { received: client });
  }
  const table = checkTableName(options.table ?? 'novita_instance_records');
  const defaultBatchSize = positive('batchSize', options.batchSize, 500);

  /** Every driver failure is the store being unavailable; the errors of this package pass as they are. */
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (isReconcilerError(error)) throw error;
      throw new StoreUnavailableError(`Postgres ${what} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  };

  const decode = (row: Row): StoreEntry => {
    let value: unknown;
    try {
      value = JSON.parse(row.body);
    } catch (error) {
      return { id: row.id, version: row.version, invalid: `body is not JSON: ${(error as Error).message}` };
    }
    const decoded = decodeRecord(value);
    if (!decoded.ok) return { id: row.id, version: row.version, invalid: `${decoded.field || '(root)'}: ${decoded.message}` };
    if (decoded.record.id !== row.id)
      return { id: row.id, version: row.version, invalid: `id: ${JSON.stringify(decoded.record.id)} does not match its row id` };
    return { id: row.id, record: decoded.record, version: row.version };
  };

  async function* readBatches(readOptions: ReadBatchesOptions = {}): AsyncGenerator<StoreEntry[]> {
    const size = positive('batchSize', readOptions.batchSize, defaultBatchSize);
    // Keyset pagination on the primary key: every row present for the whole read comes exactly once.
    let after = '';
    for (;;) {
      readOptions.signal?.throwIfAborted();
      const rows = await call('read', () =>
        client.query<Row>(`SELECT id, body, version::text AS version FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`, [after, size]),
      );
      if (rows.length === 0) return;
      yield rows.map(decode);
      after = (rows[rows.length - 1] as Row).id;
      if (rows.length < size) return;
    }
  }

  async function writeBatch(writes: readonly ConditionalWrite[], writeOptions: { signal?: AbortSignal } = {}): Promise<WriteResult[]> {
    // Checked before the transaction, so a bad write leaves the whole batch unapplied.
    const prepared = writes.map(prepare);
    writeOptions.signal?.throwIfAborted();
    if (prepared.length === 0) return [];
    // One transaction: the batch lands whole or not at all, so the results the reconciler reports are
    // exactly what was applied. Each write is still decided on its own.
    try {
      return await call('write', () =>
        client.transaction(async (tx) => {
          const results: WriteResult[] = [];
          for (const write of prepared) results.push(await applyOne(tx, write));
          return results;
        }),
      );
    } catch (error) {
      // The store contract: a rejection means nothing was applied, unless the error says otherwise.
      // A lost COMMIT answer is the one case where every write of the batch is in doubt.
      if ((error as { cause?: unknown }).cause instanceof CommitInDoubtError)
        throw Object.assign(error as Error, { writeResults: [], writesInDoubt: prepared.length });
      throw error;
    }
  }

  function prepare(write: ConditionalWrite, index: number): ConditionalWrite & { body: string } {
    const field = `writes[${index}]`;
    if (write?.op !== 'put' && write?.op !== 'delete')
      throw new ConfigError(`${field}.op`, 'must be "put" or "delete"', { received: (write as { op?: unknown } | null)?.op });
    if (typeof write.id !== 'string' || write.id === '')
      throw new ConfigError(`${field}.id`, 'must be a non-empty string', { received: write.id });
    if (write.op === 'delete') {
      if (typeof write.expectedVersion !== 'string' || write.expectedVersion === '')
        throw new ConfigError(`${field}.expectedVersion`, 'must be the version read', { received: write.expectedVersion });
      return { ...write, body: '' };
    }
    if (write.expectedVersion !== null && (typeof write.expectedVersion !== 'string' || write.expectedVersion === '')) {
      throw new ConfigError(`${field}.expectedVersion`, 'must be the version read, or null to create', { received: write.expectedVersion });
    }
    const record = assertRecord(write.record);
    if (record.id !== write.id) throw new RecordInvalidError(record.id, 'id', `does not match the write's id ${JSON.stringify(write.id)}`);
    return { ...write, body: JSON.stringify(record) };
  }

  async function applyOne(tx: SqlQueryable, write: ConditionalWrite & { body: string }): Promise<WriteResult> {
    const { id } = write;
    if (write.op === 'put' && write.expectedVersion === null) {
      // Waits for a concurrent insert of the same id to commit, then does nothing: a conflict.
      const [created] = await tx.query<{ version: string }>(
        `INSERT INTO ${table} (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING version::text AS version`,
        [id, write.body],
      );
      return created ? { id, outcome: 'ok', version: created.version } : { id, outcome: 'conflict' };
    }
    // `version::text = $2` compares the opaque string as read; the row is found by its primary key.
    // `present` reads the statement's snapshot: the row existed but had changed (conflict), or was gone (missing).
    if (write.op === 'put') {
      const [row] = await tx.query<{ version: string | null; present: boolean }>(
        `WITH updated AS (UPDATE ${table} SET body = $3 WHERE id = $1 AND version::text = $2 RETURNING version::text AS version)
         SELECT (SELECT version FROM updated) AS version, EXISTS (SELECT 1 FROM ${table} WHERE id = $1) AS present`,
        [id, write.expectedVersion, write.body],
      );
      if (row?.version) return { id, outcome: 'ok', version: row.version };
      return { id, outcome: row?.present ? 'conflict' : 'missing' };
    }
    const [row] = await tx.query<{ deleted: boolean; present: boolean }>(
      `WITH deleted AS (DELETE FROM ${table} WHERE id = $1 AND version::text = $2 RETURNING id)
       SELECT EXISTS (SELECT 1 FROM deleted) AS deleted, EXISTS (SELECT 1 FROM ${table} WHERE id = $1) AS present`,
      [id, write.expectedVersion],
    );
    if (row?.deleted) return { id, outcome: 'ok' };
    return { id, outcome: row?.present ? 'conflict' : 'missing' };
  }

  async function get(id: string): Promise<InstanceRecord | null> {
    requireId(id);
    const [row] = await call('get', () => client.query<Row>(`SELECT id, body, version::text AS version FROM ${table} WHERE id = $1`, [id]));
    if (!row) return null;
    const entry = decode(row);
    if (entry.invalid !== undefined) throw new RecordInvalidError(id, '', entry.invalid);
    return entry.record;
  }

  async function put(record: InstanceRecord): Promise<void> {
    const valid = assertRecord(record);
    await call('put', () =>
      client.query(`INSERT INTO ${table} (id, body) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`, [
        valid.id,
        JSON.stringify(valid),
      ]),
    );
  }

  async function remove(id: string): Promise<boolean> {
    requireId(id);
    const rows = await call('delete', () => client.query(`DELETE FROM ${table} WHERE id = $1 RETURNING id`, [id]));
    return rows.length > 0;
  }

  async function list(): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    for await (const batch of readBatches()) for (const entry of batch) if (entry.invalid === undefined) records.push(entry.record);
    return records;
  }

  async function count(): Promise<number> {
    const [row] = await call('count', () => client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`));
    return row?.count ?? 0;
  }

  return { table, readBatches, writeBatch, get, put, delete: remove, list, count };
}

function requireId(id: string): void {
  if (typeof id !== 'string' || id === '') throw new ConfigError('id', 'must be a non-empty string', { received: id });
}

function positive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(field, 'must be a positive integer', { received: value });
  return value;
}
