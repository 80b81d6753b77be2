import { and, desc, inArray, isNull } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { deals } from './deals.table.js';
import { stageHistories } from './stage-history.service.js';

export function createDealLoaders(db: Db, viewer: Viewer) {
  const live = and(readScope(viewer, 'deals', deals), isNull(deals.deletedAt));
  const newestOf = (parent: PgColumn) =>
    loaderFamily((first: number) =>
      childrenLoader((parentIds) => topPerParent(db, deals, parent, parentIds, live, [desc(deals.createdAt), desc(deals.id)], pageSize(first))),
    );
  return {
    byId: byIdLoader((ids) => db.select().from(deals).where(and(readScope(viewer, 'deals', deals), inArray(deals.id, [...ids])))),
    /** An account's deals, newest first. */
    ofAccount: newestOf(deals.accountId),
    /** A contact's deals, newest first. */
    ofContact: newestOf(deals.contactId),
    /** A deal's moves, oldest first. */
    stageHistory: childrenLoader((dealIds) => stageHistories(db, viewer, dealIds)),
  };
}
