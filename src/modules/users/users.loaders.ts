import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader } from '../../shared/loader-factories.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { users } from './users.table.js';

export function createUserLoaders(db: Db, viewer: Viewer) {
  return {
    byId: byIdLoader((ids) => db.select().from(users).where(and(readScope(viewer, 'users', users), inArray(users.id, [...ids])))),
  };
}
