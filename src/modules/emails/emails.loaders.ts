import { and, desc, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader, childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { emailMessages } from './emails.table.js';

export function createEmailLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => db.select().from(emailMessages).where(and(readScope(viewer, 'emails', emailMessages), inArray(emailMessages.id, [...ids])))),
    /** Newest emails of leads or of contacts. */
    of: loaderFamily(({ type, first }: { type: 'LEAD' | 'CONTACT'; first: number }) =>
      childrenLoader((ids) =>
        topPerParent(
          db,
          emailMessages,
          type === 'LEAD' ? emailMessages.leadId : emailMessages.contactId,
          ids,
          readScope(viewer, 'emails', emailMessages),
          [desc(emailMessages.createdAt), desc(emailMessages.id)],
          pageSize(first),
        ),
      ),
    ),
  };
}
