import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader } from '../../shared/loader-factories.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { accounts } from './accounts.table.js';

export function createAccountLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => db.select().from(accounts).where(and(readScope(viewer, 'accounts', accounts), inArray(accounts.id, [...ids])))),
  };
}
