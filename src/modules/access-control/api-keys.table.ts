import { foreignKey, index, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';
import { profiles } from './access-control.table.js';

/**
 * Keys for partners and integrations. Only the SHA-256 of the secret is stored; the key itself
 * names its organisation (`pk_<organisation>_<secret>`), so it is found within one tenant.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    profileId: uuid('profile_id').notNull(),
    /** The administrator who created it; the key acts as this user (ownership, role), limited to its profile. */
    createdById: uuid('created_by_id').notNull(),
    secretHash: text('secret_hash').notNull(),
    /** The first characters of the key, to tell keys apart in lists. */
    prefix: text('prefix').notNull(),
    expiresAt: timestampMs('expires_at'),
    revokedAt: timestampMs('revoked_at'),
    lastUsedAt: timestampMs('last_used_at'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'api_keys_profile_fk', columns: [t.organizationId, t.profileId], foreignColumns: [profiles.organizationId, profiles.id] }),
    foreignKey({ name: 'api_keys_creator_fk', columns: [t.organizationId, t.createdById], foreignColumns: [users.organizationId, users.id] }),
    uniqueIndex('api_keys_secret_idx').on(t.organizationId, t.secretHash),
    index('api_keys_created_idx').on(t.organizationId, t.createdAt),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
