import { sql, type SQL } from 'drizzle-orm';
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
