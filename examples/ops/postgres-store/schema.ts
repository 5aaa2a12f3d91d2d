/**
 * The table the Postgres store keeps its records in. Put these statements in your migrations, or call
 * `ensureSchema` once at start-up.
 *
 * - `body` is TEXT, not JSONB: a value your own code wrote badly must still be storable, so that the
 *   reconciler can report it as invalid instead of the row being unreadable.
 * - `version` comes from a sequence and is replaced by a trigger on EVERY insert and update, whoever
 *   makes it: code that writes this table without this library (a migration, psql, another service)
 *   still changes the version, so the reconciler's conditional write sees the change. A sequence never
 *   repeats a number, so a row deleted and created again does not get its old version back.
 * - `id` sorts byte-wise (`COLLATE "C"`), so reading in batches by `id > last` is stable whatever the
 *   database's locale.
 *
 * Part of: examples/ops/postgres-store/main.ts
 */
import { ConfigError } from 'novita-reconciler';
import type { SqlQueryable } from './sql-client.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** Checks a table name (lowercase letters, digits, `_`; the store quotes nothing it did not check). */
export function checkTableName(table: string): string {
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new ConfigError(
      'table',
      'must be a lowercase SQL identifier (a-z, 0-9 and _, at most 41 characters, not starting with a digit)',
      { received: table },
    );
  }
  return table;
}

/** The statements that create the table, its version sequence and its trigger; each is idempotent. */
export function schemaStatements(table: string): string[] {
  const name = checkTableName(table);
  return [
    `CREATE SEQUENCE IF NOT EXISTS ${name}_version_seq`,
    `CREATE TABLE IF NOT EXISTS ${name} (
       id      TEXT COLLATE "C" PRIMARY KEY CHECK (id <> ''),
       body    TEXT NOT NULL,
       version BIGINT NOT NULL DEFAULT nextval('${name}_version_seq')
     )`,
    `CREATE OR REPLACE FUNCTION ${name}_next_version() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW.version := nextval('${name}_version_seq');
       RETURN NEW;
     END
     $$`,
    `CREATE OR REPLACE TRIGGER ${name}_next_version BEFORE INSERT OR UPDATE ON ${name}
       FOR EACH ROW EXECUTE FUNCTION ${name}_next_version()`,
  ];
}

/** Creates the table (and its sequence and trigger) when missing. Run it once, not from every replica at once. */
export async function ensureSchema(client: SqlQueryable, table: string): Promise<void> {
  for (const statement of schemaStatements(table)) await client.query(statement);
}

/** Drops what {@link schemaStatements} created (tests). */
export async function dropSchema(client: SqlQueryable, table: string): Promise<void> {
  const name = checkTableName(table);
  await client.query(`DROP TABLE IF EXISTS ${name}`);
  await client.query(`DROP FUNCTION IF EXISTS ${name}_next_version()`);
  await client.query(`DROP SEQUENCE IF EXISTS ${name}_version_seq`);
}
