import { and, desc, isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { RecordType } from '../../generated/graphql.js';
import { childrenLoader, loaderFamily } from '../../shared/loader-factories.js';
import { pageSize } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { relatedColumnOf } from '../records/related-record.js';
import { notes } from './notes.table.js';

export function createNoteLoaders(db: Db, viewer: Viewer) {
  const live = and(readScope(viewer, 'notes', notes), isNull(notes.deletedAt));
  return {
    /** Notes on records of one type, newest first. */
    of: loaderFamily(({ type, first }: { type: RecordType; first: number }) =>
      childrenLoader((ids) => topPerParent(db, notes, relatedColumnOf(notes, type), ids, live, [desc(notes.createdAt), desc(notes.id)], pageSize(first))),
    ),
  };
}
