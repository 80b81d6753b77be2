import { boolean, foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import type { Criterion } from '../records/criteria.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/**
 * A sales territory (Americas > US West): an account belongs to it when it meets the criteria of
 * the territory and of every ancestor. Accounts store every territory they belong to, ancestors
 * included, so "accounts of Americas" covers US West's without walking the tree.
 */
export const territories = pgTable(
  'territories',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    parentId: uuid('parent_id'),
    criteria: jsonb('criteria').$type<Criterion[]>().notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'territories_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'territories_parent_fk', columns: [t.organizationId, t.parentId], foreignColumns: [t.organizationId, t.id] }),
    index('territories_parent_idx').on(t.organizationId, t.parentId),
  ],
);

export type TerritoryRow = typeof territories.$inferSelect;

/** The users of a territory; managers see its records (see auth/territory-access.ts). */
export const territoryUsers = pgTable(
  'territory_users',
  {
    organizationId: uuid('organization_id').notNull(),
    territoryId: uuid('territory_id').notNull(),
    userId: uuid('user_id').notNull(),
    manager: boolean('manager').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.territoryId, t.userId] }),
    foreignKey({ name: 'territory_users_territory_fk', columns: [t.organizationId, t.territoryId], foreignColumns: [territories.organizationId, territories.id] }).onDelete(
      'cascade',
    ),
    foreignKey({ name: 'territory_users_user_fk', columns: [t.organizationId, t.userId], foreignColumns: [users.organizationId, users.id] }),
    index('territory_users_user_idx').on(t.organizationId, t.userId),
  ],
);

export type TerritoryUserRow = typeof territoryUsers.$inferSelect;
