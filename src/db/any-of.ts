import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Values as the text of a PostgreSQL array literal, bound as one parameter and cast
 * (`${arrayLiteral(ids)}::uuid[]`). Each element is quoted, so commas, braces, spaces and NULL
 * stay values.
 */
export function arrayLiteral(values: Iterable<string | number>): string {
  return `{${[...values].map((value) => `"${String(value).replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * `expression = any(<values as one array parameter>)`, where `inArray` binds a parameter per
 * value. The statement's text stays the same however many values there are, and a plan made
 * without the values (a generic plan) still probes the index on `expression` for each of them:
 * with a thousand parameters it may instead read every row of the organisation and filter.
 */
export function anyOf(expression: SQL | PgColumn, values: Iterable<string>, type: 'text' | 'uuid' = 'text'): SQL {
  const literal = arrayLiteral(values);
  return type === 'uuid' ? sql`${expression} = any(${literal}::uuid[])` : sql`${expression} = any(${literal}::text[])`;
}

/**
 * `select k.key, p.* from unnest(<keys>) as k(key) cross join lateral (<probe of k.key>) as p`:
 * the keys as one array parameter, each looked up on its own by `probe` (a query for at most a row
 * or two per key, with a limit). Each key is then an index probe whatever the planner believes of
 * the table. `expression = any(<keys>)` over a batch's thousand keys is judged to match nearly every
 * row when the column has no statistics yet (a new table, or rows an import is adding), and the
 * planner then reads all of the organisation's rows and filters: once per batch, for a cost that
 * grows with the import (measured: 5 ms a batch at its start, 37 ms after 100,000 leads).
 */
export function eachKey(keys: Iterable<string>, probe: (key: SQL) => SQLWrapper): SQL {
  return sql`select k.key, p.* from unnest(${arrayLiteral(keys)}::text[]) as k(key) cross join lateral (${probe(sql`k.key`)}) as p`;
}
