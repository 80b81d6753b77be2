import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';

/**
 * Reading every tenant table generically, for the organisation backup: the tables come from the
 * catalogue (whatever modules exist when it runs, including ones added later), rows a page at a
 * time in primary-key order, each row as JSON so both drivers give the same text.
 */

/** Not data: the outbox is transport, chunk tables hold files (the archive itself, uploads). */
export const SKIPPED_TABLES = new Set(['events', 'event_streams', 'organization_export_chunks', 'organization_restore_chunks', 'import_file_chunks']);
/** Secrets never leave in a backup. */
const SKIPPED_COLUMNS: Record<string, readonly string[]> = {
  users: ['password_hash'],
  organizations: ['webhook_secret'],
  invitations: ['token_hash'],
};
const PAGE = 1000;

export interface DumpTable {
  readonly name: string;
  /** The column holding the organisation's id (organizations itself: id). */
  readonly tenantColumn: string;
  readonly key: readonly string[];
  /** Exported columns, in table order (secrets left out). */
  readonly columns: readonly string[];
  /** Columns written as PostgreSQL's own text (numbers exact, JSON as its text), not as JSON values. */
  readonly exactColumns: readonly string[];
}

/** Types whose JSON form would lose something in JavaScript: big or exact numbers, and JSON itself (so a JSON string stays a string). */
const EXACT_TYPES = new Set(['numeric', 'bigint', 'json', 'jsonb']);

async function columnsOf(db: Db, table: string): Promise<{ columns: string[]; exactColumns: string[] }> {
  const skipped = SKIPPED_COLUMNS[table] ?? [];
  const rows = rowsOf<{ column_name: string; data_type: string }>(
    // Columns PostgreSQL computes (the match keys) are derived, not data: a restore could not write them.
    await db.execute(sql`select column_name, data_type from information_schema.columns where table_schema = 'public' and table_name = ${table} and is_generated = 'NEVER' order by ordinal_position`),
  ).filter((row) => !skipped.includes(row.column_name));
  return { columns: rows.map((row) => row.column_name), exactColumns: rows.filter((row) => EXACT_TYPES.has(row.data_type)).map((row) => row.column_name) };
}

export async function tenantTables(db: Db): Promise<DumpTable[]> {
  const rows = rowsOf<{ table_name: string }>(
    await db.execute(sql`select distinct table_name from information_schema.columns where table_schema = 'public' and column_name = 'organization_id' order by table_name`),
  );
  const tables: DumpTable[] = [{ name: 'organizations', tenantColumn: 'id', key: ['id'], ...(await columnsOf(db, 'organizations')) }];
  for (const { table_name: name } of rows) {
    if (SKIPPED_TABLES.has(name)) continue;
    const key = rowsOf<{ column_name: string }>(
      await db.execute(sql`
        select a.attname as column_name from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = ${`public.${name}`}::regclass and i.indisprimary
        order by array_position(i.indkey, a.attnum)`),
    ).map((row) => row.column_name);
    tables.push({ name, tenantColumn: 'organization_id', key: key.length > 0 ? key : ['organization_id'], ...(await columnsOf(db, name)) });
  }
  return tables;
}

/**
 * The table's rows of one organisation, as JSON objects (secrets removed), in key order; the
 * exact columns hold PostgreSQL's text of the value (e.g. "1250.50", a jsonb's own text).
 */
export async function* dumpRows(db: Db, table: DumpTable, organizationId: string): AsyncGenerator<Record<string, unknown>> {
  const keyText = sql.join(table.key.map((column) => sql`${sql.identifier(column)}::text`), sql`, `);
  let after: string[] | null = null;
  const skipped = SKIPPED_COLUMNS[table.name] ?? [];
  const exact =
    table.exactColumns.length > 0
      ? sql`json_build_object(${sql.join(
          table.exactColumns.map((column) => sql`${column}::text, t.${sql.identifier(column)}::text`),
          sql`, `,
        )})::text`
      : sql`'{}'`;
  for (;;) {
    const afterCondition: ReturnType<typeof sql> = after ? sql`and (${keyText}) > (${sql.join(after.map((value) => sql`${value}`), sql`, `)})` : sql``;
    const page = rowsOf<{ row: string; exact: string; k: string[] }>(
      await db.execute(sql`
        select row_to_json(t)::text as row, ${exact} as exact, array[${keyText}] as k from ${sql.identifier(table.name)} t
        where ${sql.identifier(table.tenantColumn)} = ${organizationId} ${afterCondition}
        order by ${keyText} limit ${PAGE}`),
    );
    for (const entry of page) {
      const row = { ...(JSON.parse(entry.row) as Record<string, unknown>), ...(JSON.parse(entry.exact) as Record<string, string | null>) };
      for (const column of skipped) delete row[column];
      yield row;
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) return;
    after = last.k;
  }
}
