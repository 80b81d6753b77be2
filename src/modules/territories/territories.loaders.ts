import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader } from '../../shared/loader-factories.js';
import type { Viewer } from '../auth/viewer.js';
import { territories, territoryUsers, type TerritoryRow, type TerritoryUserRow } from './territories.table.js';
import { territoriesByIds } from './territories.service.js';

const group = <Row>(rows: Row[], key: (row: Row) => string | null): Map<string, Row[]> => {
  const byParent = new Map<string, Row[]>();
  for (const row of rows) {
    const parent = key(row);
    if (parent !== null) byParent.set(parent, [...(byParent.get(parent) ?? []), row]);
  }
  return byParent;
};

export function createTerritoryLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => territoriesByIds(db, viewer, ids)),
    children: childrenLoader<TerritoryRow>(async (parentIds) =>
      group(
        await db
          .select()
          .from(territories)
          .where(and(eq(territories.organizationId, viewer.organizationId), inArray(territories.parentId, [...parentIds])))
          .orderBy(asc(territories.name)),
        (row) => row.parentId,
      ),
    ),
    users: childrenLoader<TerritoryUserRow>(async (territoryIds) =>
      group(
        await db
          .select()
          .from(territoryUsers)
          .where(and(eq(territoryUsers.organizationId, viewer.organizationId), inArray(territoryUsers.territoryId, [...territoryIds]))),
        (row) => row.territoryId,
      ),
    ),
  };
}
