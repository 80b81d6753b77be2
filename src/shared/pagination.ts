import { and, asc, desc, eq, gt, isNotNull, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { badInput } from './errors.js';

export const MAX_PAGE_SIZE = 200;

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface PageInfo {
  readonly hasNextPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

/** A Relay connection; `totalCount` is only computed when a client asks for it. */
export interface Connection<T> {
  readonly edges: Edge<T>[];
  readonly nodes: T[];
  readonly pageInfo: PageInfo;
  readonly totalCount: () => Promise<number>;
}

export type Direction = 'ASC' | 'DESC';

/** The sort key of a list: one column or expression (possibly nullable) with the id as tie-breaker. */
export interface SortKey {
  /** A column, or an expression over the row (e.g. a score less its decay). */
  readonly column: PgColumn | SQL;
  readonly direction: Direction;
  readonly nullable: boolean;
  /** Turns a value read back from a cursor into what the column compares against. */
  readonly decode?: (value: string) => unknown;
}

interface CursorPayload {
  /** The sort column's value (ISO string for timestamps), or null. */
  v: string | number | null;
  /** The id, the tie-breaker. */
  i: string;
}

export function pageSize(first: number | null | undefined, fallback = 50): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput('first', `first must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return size;
}

export function encodeCursor(value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : (value as string | number | null | undefined) ?? null;
  const payload: CursorPayload = { v, i: id };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeCursor(cursor: string): CursorPayload {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as CursorPayload).i === 'string' &&
      /^[0-9a-f-]{36}$/i.test((parsed as CursorPayload).i)
    ) {
      const v = (parsed as CursorPayload).v;
      if (v === null || typeof v === 'string' || typeof v === 'number') return parsed as CursorPayload;
    }
  } catch {
    // fall through to the typed error below
  }
  throw badInput('after', 'after is not a cursor this list returned');
}

/**
 * The keyset condition "strictly after the cursor" for ORDER BY column, id in PostgreSQL's
 * default null placement (ASC: nulls last, DESC: nulls first), so indexes on the column serve it.
 */
export function afterCursor(key: SortKey, id: PgColumn, cursor: string): SQL {
  const { v, i } = decodeCursor(cursor);
  const value = v === null ? null : key.decode ? key.decode(String(v)) : v;
  const beyond = key.direction === 'ASC' ? gt : lt;
  if (value === null) {
    // Inside the null group: ASC puts it last (only later nulls follow); DESC first (all values follow).
    const laterNulls = and(isNull(key.column), beyond(id, i)) as SQL;
    return key.direction === 'ASC' ? laterNulls : (or(laterNulls, isNotNull(key.column)) as SQL);
  }
  // An expression compares like a column (drizzle binds the value as a plain parameter for it);
  // the cast only picks one of the comparison overloads.
  const column = key.column as PgColumn;
  const after = or(beyond(column, value), and(eq(column, value), beyond(id, i))) as SQL;
  if (key.nullable && key.direction === 'ASC') return or(after, isNull(key.column)) as SQL;
  return after;
}

export function orderBy(key: SortKey, id: PgColumn): SQL[] {
  return key.direction === 'ASC' ? [asc(key.column), asc(id)] : [desc(key.column), desc(id)];
}

/** Builds the connection from `size + 1` fetched rows. */
export function toConnection<T extends { id: string }>(
  rows: T[],
  size: number,
  sortValue: (row: T) => unknown,
  totalCount: () => Promise<number>,
): Connection<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(sortValue(node), node.id), node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > size,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}
