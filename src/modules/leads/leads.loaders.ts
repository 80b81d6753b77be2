import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader } from '../../shared/loader-factories.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { leads } from './leads.table.js';

export function createLeadLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => db.select().from(leads).where(and(readScope(viewer, 'leads', leads), inArray(leads.id, [...ids])))),
  };
}
