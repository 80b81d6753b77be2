import { and, asc, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { contacts } from './contacts.table.js';

export function createContactLoaders(db: Db, viewer: Viewer) {
  const live = and(readScope(viewer, 'contacts', contacts), isNull(contacts.deletedAt));
  return {
    byId: byIdLoader((ids) => db.select().from(contacts).where(and(readScope(viewer, 'contacts', contacts), inArray(contacts.id, [...ids])))),
    /** An account's contacts, oldest first. */
    ofAccount: loaderFamily((first: number) =>
      childrenLoader((accountIds) =>
        topPerParent(db, contacts, contacts.accountId, accountIds, live, [asc(contacts.createdAt), asc(contacts.id)], pageSize(first)),
      ),
    ),
  };
}
