import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Viewer } from './viewer.js';

interface TerritoryTable {
  readonly organizationId: PgColumn;
  readonly territoryIds: PgColumn;
}

/**
 * Records in a territory the viewer manages: the grant `readScope` ORs in once access narrows
 * below the whole organisation. Records carry their territories' ancestors too, so the manager
 * of Americas sees US West's records.
 */
export function territoryScope(viewer: Viewer, table: TerritoryTable): SQL {
  return sql`(${table.organizationId} = ${viewer.organizationId} and ${table.territoryIds} && array(
    select territory_id from territory_users
    where organization_id = ${viewer.organizationId} and user_id = ${viewer.userId} and manager))`;
}

