import { and, getTableColumns, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/database.js';

/**
 * The first `limit` children of each parent in one statement (a window function), so that a
 * relation list such as `account.contacts(first: 5)` costs one query for a whole page of parents.
 */
export async function topPerParent<T extends PgTable>(
  db: Db,
  table: T,
  parentColumn: PgColumn,
  parentIds: readonly string[],
  where: SQL | undefined,
  order: SQL[],
  limit: number,
): Promise<Map<string, T['$inferSelect'][]>> {
  const byParent = new Map<string, T['$inferSelect'][]>();
  if (parentIds.length === 0 || limit <= 0) return byParent;
  // Typed loosely on purpose: drizzle cannot infer a subquery over a generic table.
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const ranked = db
    .select({
      ...columns,
      pulseRank: sql<number>`row_number() over (partition by ${parentColumn} order by ${sql.join(order, sql`, `)})`.as('pulse_rank'),
    })
    .from(table as PgTable)
    .where(and(where, inArray(parentColumn, [...parentIds])))
    .as('ranked');
  const rows = (await db
    .select()
    .from(ranked)
    .where(lte(sql`${sql.identifier('ranked')}.${sql.identifier('pulse_rank')}`, limit))) as Record<string, unknown>[];
  const parentKey = Object.entries(columns).find(([, column]) => column === parentColumn)?.[0];
  if (!parentKey) throw new Error('topPerParent: the parent column must belong to the table');
  rows.sort((a, b) => Number(a['pulseRank']) - Number(b['pulseRank']));
  for (const row of rows) {
    delete row['pulseRank'];
    const parent = row[parentKey] as string;
    const list = byParent.get(parent) ?? [];
    list.push(row as T['$inferSelect']);
    byParent.set(parent, list);
  }
  return byParent;
}
