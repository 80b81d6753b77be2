import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { byIdLoader } from '../../shared/loader-factories.js';
import type { Viewer } from '../auth/viewer.js';
import { profiles, roles } from './access-control.table.js';

export function createAccessControlLoaders(db: Db, viewer: Viewer) {
  return {
    profileById: byIdLoader((ids) => db.select().from(profiles).where(and(eq(profiles.organizationId, viewer.organizationId), inArray(profiles.id, [...ids])))),
    roleById: byIdLoader((ids) => db.select().from(roles).where(and(eq(roles.organizationId, viewer.organizationId), inArray(roles.id, [...ids])))),
  };
}
