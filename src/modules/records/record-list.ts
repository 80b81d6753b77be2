import { and, arrayContains, count, eq, gte, ilike, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { isHiddenField, readScope, type CrmModule } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';

export interface ListTable {
  readonly organizationId: PgColumn;
  readonly id: PgColumn;
  readonly ownerId: PgColumn;
  readonly createdAt: PgColumn;
  readonly deletedAt: PgColumn;
  readonly tags: PgColumn;
}

/** Filter fields every record list accepts. */
export interface CommonFilter {
  ownerId?: string | null | undefined;
  ownerIds?: readonly string[] | null | undefined;
  tag?: string | null | undefined;
  createdAfter?: Date | null | undefined;
  createdBefore?: Date | null | undefined;
  deleted?: boolean | null | undefined;
}

/** `%term%` for ILIKE, with the user's own wildcards taken literally. */
export const containsPattern = (term: string): string => `%${term.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Free-text search over a module's columns, by field name. Fields the viewer's profile hides are
 * left out: a match on them would reveal their value one guess at a time.
 */
export function searchAny(viewer: Viewer, module: CrmModule, columns: Readonly<Record<string, PgColumn>>, term: string | null | undefined): SQL | undefined {
  if (!term || term.trim() === '') return undefined;
  const pattern = containsPattern(term);
  const searched = Object.entries(columns).filter(([field]) => !isHiddenField(viewer, module, field));
  if (searched.length === 0) return sql`false`;
  return or(...searched.map(([, column]) => ilike(column, pattern)));
}

export function commonConditions(table: ListTable, filter: CommonFilter | null | undefined): SQL[] {
  const conditions: SQL[] = [filter?.deleted ? isNotNull(table.deletedAt) : isNull(table.deletedAt)];
  if (!filter) return conditions;
  if (filter.ownerId) conditions.push(eq(table.ownerId, filter.ownerId));
  if (filter.ownerIds) conditions.push(inArray(table.ownerId, [...filter.ownerIds]));
  if (filter.tag) conditions.push(arrayContains(table.tags, [filter.tag]));
  if (filter.createdAfter) conditions.push(gte(table.createdAt, filter.createdAfter));
  if (filter.createdBefore) conditions.push(lt(table.createdAt, filter.createdBefore));
  return conditions;
}

export interface ListRequest<Row> {
  readonly conditions: readonly (SQL | undefined)[];
  readonly sort: SortKey;
  readonly sortValue: (row: Row) => unknown;
  readonly first: number | null | undefined;
  readonly after: string | null | undefined;
}

/** One keyset-paginated page of a module's records the viewer may read; never OFFSET. */
export async function listRecords<T extends PgTable & ListTable>(
  db: Db,
  viewer: Viewer,
  module: CrmModule,
  table: T,
  request: ListRequest<T['$inferSelect'] & { id: string }>,
): Promise<Connection<T['$inferSelect'] & { id: string }>> {
  const size = pageSize(request.first);
  const where = and(readScope(viewer, module, table), ...request.conditions);
  const page = request.after ? and(where, afterCursor(request.sort, table.id, request.after)) : where;
  const rows = (await db
    .select()
    .from(table as PgTable)
    .where(page)
    .orderBy(...orderBy(request.sort, table.id))
    .limit(size + 1)) as (T['$inferSelect'] & { id: string })[];
  const totalCount = async (): Promise<number> => {
    const [result] = await db.select({ n: count() }).from(table as PgTable).where(where);
    return result?.n ?? 0;
  };
  return toConnection(rows, size, request.sortValue, totalCount);
}
