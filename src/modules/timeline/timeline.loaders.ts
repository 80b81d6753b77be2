import DataLoader from 'dataloader';
import type { Db } from '../../db/database.js';
import { loaderFamily } from '../../shared/loader-factories.js';
import type { Connection } from '../../shared/pagination.js';
import type { Viewer } from '../auth/viewer.js';
import { timelinePages } from './timeline.service.js';
import type { TimelineEntryRow } from './timeline.table.js';

export function createTimelineLoaders(db: Db, viewer: Viewer) {
  return {
    /** One page of each record's timeline, for one set of page arguments. */
    page: loaderFamily(
      ({ first, after }: { first: number; after: string | null }) =>
        new DataLoader<string, Connection<TimelineEntryRow>>(async (recordIds) => {
          const pages = await timelinePages(db, viewer, recordIds, first, after);
          return recordIds.map((id) => pages.get(id) ?? new Error('missing timeline page'));
        }),
    ),
  };
}
