import { sql, type SQL } from 'drizzle-orm';

/**
 * Data-modifying statements as the CTE list of one statement (`prefix_0 as (...), prefix_1 as
 * (...)`): writes that go in another statement's round trip. `statements` must not be empty.
 */
export function namedStatements(prefix: string, statements: readonly SQL[]): SQL {
  return sql.join(
    statements.map((statement, index) => sql`${sql.raw(`${prefix}_${index}`)} as (${statement})`),
    sql`, `,
  );
}
