import { and, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../db/database.js';

/**
 * The first `limit` children of each parent in one statement: a lateral subquery per parent, so
 * each parent's children are read through the index in order and cut at `limit` (a window
 * function over all children would sort every child of every parent first).
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
  const parentKey = Object.entries(columns).find(([, column]) => column === parentColumn)?.[0];
  if (!parentKey) throw new Error('topPerParent: the parent column must belong to the table');
  const parents = sql`(values ${sql.join(
    [...new Set(parentIds)].map((id) => sql`(${id}::uuid)`),
    sql`, `,
  )}) as pulse_parent(id)`;
  const children = db
    .select({
      ...columns,
      pulseRank: sql<number>`row_number() over (order by ${sql.join(order, sql`, `)})`.as('pulse_rank'),
    })
    .from(table as PgTable)
    .where(and(where, sql`${parentColumn} = pulse_parent.id`))
    .orderBy(...order)
    .limit(limit)
    .as('pulse_child');
  const selection = Object.fromEntries(
    [...Object.keys(columns), 'pulseRank'].map((key) => [key, (children as unknown as Record<string, PgColumn>)[key] as PgColumn]),
  );
  const rows = (await db.select(selection).from(parents).crossJoinLateral(children)) as Record<string, unknown>[];
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
