import { and, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { anyOf } from '../../db/any-of.js';
import type { Db } from '../../db/database.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import type { RecordKind, RecordTable } from './record-store.js';

/**
 * Live records of `kind` whose `field` equals one of `keys` (case-insensitive), as key -> id:
 * bulk duplicate checks (imports) ask once per batch instead of once per row.
 */
export async function findLiveByKeys(
  db: Db,
  viewer: Viewer,
  kind: RecordKind<RecordTable>,
  field: string,
  keys: readonly string[],
  extra?: SQL,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (keys.length === 0) return found;
  const column = (kind.table as unknown as Record<string, PgColumn | undefined>)[field];
  if (!column) throw new Error(`${kind.label} has no field ${field}`);
  // lower(column) as written in the tables' expression indexes (leads_email_idx...): a cast would miss them.
  const key = column.columnType === 'PgText' ? sql<string>`lower(${column})` : sql<string>`lower(${column}::text)`;
  const rows = await db
    .select({ id: kind.table.id, key })
    .from(kind.table as PgTable)
    .where(and(readScope(viewer, kind.module, kind.table), anyOf(key, keys), isNull(kind.table.deletedAt), extra));
  for (const row of rows) if (!found.has(row.key)) found.set(row.key, row.id as string);
  return found;
}
