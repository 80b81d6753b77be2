import { and, desc, inArray, isNull } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import DataLoader from 'dataloader';
import type { DealFilter } from '../../generated/graphql.js';
import type { Connection } from '../../shared/pagination.js';
import { boardCards } from './deals-board.service.js';
import { deals, type DealRow } from './deals.table.js';
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
    /** Further pages of board columns: one statement for every column asked with the same arguments. */
    boardColumn: loaderFamily(({ pipelineId, filter, first, after }: { pipelineId: string; filter: DealFilter | null | undefined; first: number; after: string | null }) =>
      new DataLoader<string, Connection<DealRow>>(async (stageIds) => {
        const columns = await boardCards(db, viewer, pipelineId, stageIds, filter, first, after);
        return stageIds.map((id) => columns.get(id) ?? new Error('missing column'));
      }),
    ),
    /** A deal's moves, oldest first. */
    stageHistory: childrenLoader((dealIds) => stageHistories(db, viewer, dealIds)),
  };
}
