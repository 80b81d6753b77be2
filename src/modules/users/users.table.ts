import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { profiles, roles } from '../access-control/access-control.table.js';

export const users = pgTable(
  'users',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    /** Legacy title (ADMIN, MANAGER, SALES_REP); what a user may do comes from `profileId`. */
    role: text('role').notNull(),
    /** The user's one profile (permissions). */
    profileId: uuid('profile_id').notNull(),
    /** The user's place in the role hierarchy; null: sees only its own records in PRIVATE modules. */
    roleId: uuid('role_id'),
    passwordHash: text('password_hash'),
    active: boolean('active').notNull().default(true),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    deactivatedAt: timestampMs('deactivated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    uniqueIndex('users_org_email_idx').on(t.organizationId, sql`lower(${t.email})`),
    foreignKey({ name: 'users_profile_fk', columns: [t.organizationId, t.profileId], foreignColumns: [profiles.organizationId, profiles.id] }),
    foreignKey({ name: 'users_role_fk', columns: [t.organizationId, t.roleId], foreignColumns: [roles.organizationId, roles.id] }),
    index('users_role_idx').on(t.organizationId, t.roleId),
  ],
);

/**
 * Sign-in looks a user up by email before it knows the organisation, so emails map to their
 * user here, globally (a reference table on Citus); `users` itself stays tenant-keyed.
 */
export const loginIdentities = pgTable(
  'login_identities',
  {
    email: text('email').primaryKey(),
    organizationId: uuid('organization_id').notNull(),
    userId: uuid('user_id').notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.organizationId, t.userId], foreignColumns: [users.organizationId, users.id] }).onDelete(
      'cascade',
    ),
  ],
);

/** One-time set-password tokens from `inviteUser`, stored hashed. */
export const invitations = pgTable(
  'invitations',
  {
    tokenHash: text('token_hash').primaryKey(),
    organizationId: uuid('organization_id').notNull(),
    userId: uuid('user_id').notNull(),
    expiresAt: timestampMs('expires_at').notNull(),
    usedAt: timestampMs('used_at'),
  },
  (t) => [
    foreignKey({ columns: [t.organizationId, t.userId], foreignColumns: [users.organizationId, users.id] }).onDelete(
      'cascade',
    ),
    index('invitations_user_idx').on(t.organizationId, t.userId),
  ],
);

export type UserRow = typeof users.$inferSelect;
