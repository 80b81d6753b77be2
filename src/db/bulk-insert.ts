import { getTableColumns, getTableName, is, SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type Db } from './database.js';
import { namedStatements } from './named-statements.js';

/** Columns whose JS value is already the JSON the row type reads (Drizzle would turn them into text first). */
const AS_JSON = new Set(['PgJson', 'PgJsonb', 'PgArray']);

/**
 * The value a row without `key` gets: the column's own default when Drizzle knows it in JS; null
 * when the column has none (what DEFAULT gives); undefined when only the database knows it.
 */
function defaultOf(column: PgColumn): unknown {
  if (!column.hasDefault) return null;
  if (column.defaultFn) return column.defaultFn();
  if (column.default !== undefined && !is(column.default, SQL)) return column.default;
  return undefined;
}

/**
 * Inserts many rows into `table` with one statement whose text does not grow with the rows: they
 * travel as a single jsonb parameter and the table's own row type reads them
 * (`jsonb_populate_recordset`). Drizzle's multi-row insert builds a placeholder per cell, which for
 * a few hundred wide rows costs more than the database's work. Returns the rows as
 * `insert(...).returning()` does (none when `returning` is false; only the named fields when it
 * lists them); columns no row sets get their database defaults.
 */
export async function insertRows<T extends PgTable>(db: Db, table: T, rows: readonly Record<string, unknown>[], returning: boolean | readonly (keyof T['$inferSelect'] & string)[] = true): Promise<T['$inferSelect'][]> {
  return insertRowsThen(db, table, rows, returning, []);
}

/** Rows past which a batch goes as one jsonb parameter (`jsonInsert`): binding a parameter per cell costs more. */
const JSON_BATCH_ROWS = 20;

/**
 * The insert of `rows` into `table`, unexecuted, for a writer's own statement (a CTE, an ON
 * CONFLICT): a batch as one jsonb parameter (`jsonInsert`), a few rows (or rows `jsonInsert`
 * cannot take) as Drizzle's insert. `rows` must not be empty. `asJsonFrom` lowers the batch size:
 * a writer on every create's path (automation) saves Drizzle's per-cell building with 1.
 */
export function rowsInsert(db: Db, table: PgTable, rows: readonly Record<string, unknown>[], asJsonFrom = JSON_BATCH_ROWS + 1): SQL {
  return (rows.length >= asJsonFrom ? jsonInsert(table, rows) : null) ?? db.insert(table).values(rows as never).getSQL();
}

/**
 * The insert `insertRows` sends, unexecuted: the rows as one jsonb parameter read by the table's
 * row type, so a writer can make it part of a statement of its own (a CTE, an ON CONFLICT). Null
 * when some rows leave out a column whose default only the database knows (Drizzle's insert,
 * which writes DEFAULT per cell, is then the way). `rows` must not be empty.
 */
export function jsonInsert(table: PgTable, rows: readonly Record<string, unknown>[]): SQL | null {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const seen = new Set<string>();
  for (const row of rows) for (const key in row) if (row[key] !== undefined) seen.add(key);
  const keys = [...seen];
  const defaults = new Map<string, unknown>();
  for (const key of keys) {
    const column = columns[key];
    if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
    if (rows.every((row) => row[key] !== undefined)) continue;
    const value = defaultOf(column);
    if (value === undefined) return null;
    defaults.set(key, value);
  }
  const targets = keys.map((key) => {
    const column = columns[key] as PgColumn;
    return { key, name: column.name, column, raw: AS_JSON.has(column.columnType), fallback: defaults.get(key) };
  });
  // A null is left out of its row: the record type reads a missing key as null.
  const json = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const { key, name, column, raw, fallback } of targets) {
      const given = row[key];
      const value = given === undefined ? fallback : given;
      if (value !== null) out[name] = raw ? value : column.mapToDriverValue(value);
    }
    return out;
  });
  const names = sql.join(
    keys.map((key) => sql.identifier((columns[key] as PgColumn).name)),
    sql`, `,
  );
  return sql`insert into ${table} (${names}) select ${names} from jsonb_populate_recordset(null::${sql.identifier(getTableName(table))}, ${JSON.stringify(json)}::jsonb)`;
}

/**
 * `insertRows`, and in the same statement the `follow` statements (CTEs): writes that go with the
 * new rows, which may read them as `created` (their `id` at least), e.g. the records' timeline
 * entries. A few rows go as Drizzle's insert (a placeholder per cell), a batch as one jsonb
 * parameter (`jsonInsert`).
 */
export async function insertRowsThen<T extends PgTable>(
  db: Db,
  table: T,
  rows: readonly Record<string, unknown>[],
  returning: boolean | readonly (keyof T['$inferSelect'] & string)[],
  follow: readonly SQL[],
  asJsonFrom?: number,
): Promise<T['$inferSelect'][]> {
  if (rows.length === 0) return [];
  const { query, read } = insertRowsThenQuery(db, table, rows, returning, follow, asJsonFrom);
  return read(await db.execute(query));
}

/**
 * `insertRowsThen`, unsent: its statement, and what reads the rows back from its result (for a
 * writer that sends it behind, `readBehind`). `rows` must not be empty.
 */
export function insertRowsThenQuery<T extends PgTable>(
  db: Db,
  table: T,
  rows: readonly Record<string, unknown>[],
  returning: boolean | readonly (keyof T['$inferSelect'] & string)[],
  follow: readonly SQL[],
  asJsonFrom?: number,
): { readonly query: SQL; read(result: unknown): T['$inferSelect'][] } {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const insert = rowsInsert(db, table, rows, asJsonFrom);
  const entries = returning === true ? Object.entries(columns) : returning === false ? [] : returning.map((key) => [key, columns[key] as PgColumn] as const);
  const returned =
    returning === true
      ? sql`returning *`
      : returning === false
        ? sql``
        : sql`returning ${sql.join(
            entries.map(([, column]) => sql.identifier(column.name)),
            sql`, `,
          )}`;
  const query =
    follow.length === 0
      ? sql`${insert} ${returned}`
      : // The follow-ups may need the ids whatever the caller asked back.
        sql`with created as (${insert} ${returning === false ? sql`returning ${sql.identifier((columns['id'] as PgColumn).name)}` : returned}), ${namedStatements('followed', follow)} select * from created`;
  const read = (result: unknown): T['$inferSelect'][] => {
    if (returning === false) return [];
    return rowsOf<Record<string, unknown>>(result).map((raw) => {
      const row: Record<string, unknown> = {};
      for (const [key, column] of entries) {
        const value = raw[column.name];
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return row as T['$inferSelect'];
    });
  };
  return { query, read };
}
