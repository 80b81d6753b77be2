import { sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type Db } from '../../db/database.js';

interface ActivityTable {
  readonly organizationId: PgColumn;
  readonly id: PgColumn;
  readonly ownerId: PgColumn;
  readonly lastActivityAt: PgColumn;
}

/**
 * Moves `last_activity_at` forward (never back) for several records in one statement and returns
 * their owners. Does not bump the version: an interaction is not an edit of the record.
 */
export async function markActivity(
  tx: Db,
  table: PgTable & ActivityTable,
  organizationId: string,
  touches: readonly { id: string; at: Date }[],
): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (touches.length === 0) return owners;
  const latest = new Map<string, Date>();
  for (const touch of touches) {
    const known = latest.get(touch.id);
    if (!known || known < touch.at) latest.set(touch.id, touch.at);
  }
  const values = sql.join(
    [...latest].map(([id, at]) => sql`(${id}::uuid, ${at.toISOString()}::timestamptz)`),
    sql`, `,
  );
  const result = await tx.execute<{ id: string; owner_id: string }>(sql`
    update ${table} as t set last_activity_at = greatest(coalesce(t.last_activity_at, touched.at), touched.at)
    from (values ${values}) as touched(id, at)
    where t.organization_id = ${organizationId} and t.id = touched.id
    returning t.id, t.owner_id`);
  const rows = rowsOf<{ id: string; owner_id: string }>(result);
  for (const row of rows) owners.set(row.id, row.owner_id);
  return owners;
}
