import { and, desc, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { RecordType } from '../../generated/graphql.js';
import { byIdLoader, childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { relatedColumnOf } from '../records/related-record.js';
import { activities } from './activities.table.js';

export function createActivityLoaders(db: Db, viewer: Viewer) {
  const live = and(readScope(viewer, 'activities', activities), isNull(activities.deletedAt));
  return {
    byId: byIdLoader((ids) => db.select().from(activities).where(and(readScope(viewer, 'activities', activities), inArray(activities.id, [...ids])))),
    /** Activities about records of one type, newest first. */
    of: loaderFamily(({ type, first }: { type: RecordType; first: number }) =>
      childrenLoader((ids) =>
        topPerParent(db, activities, relatedColumnOf(activities, type), ids, live, [desc(activities.createdAt), desc(activities.id)], pageSize(first)),
      ),
    ),
  };
}
