import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { recordColumns, timestampMs } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';
import { accounts } from '../accounts/accounts.table.js';

export const contacts = pgTable(
  'contacts',
  {
    ...recordColumns(),
    firstName: text('first_name'),
    lastName: text('last_name').notNull(),
    email: text('email'),
    /**
     * lower(email), kept by PostgreSQL: lookups by email compare it with plain text equality, which
     * row-level security lets an index serve (lower() is not leakproof, so an index on lower(email)
     * is never used under the tenant role: each lookup read the whole organisation).
     */
    emailKey: text('email_key').generatedAlwaysAs(sql`lower(email)`),
    phone: text('phone'),
    mobile: text('mobile'),
    title: text('title'),
    department: text('department'),
    accountId: uuid('account_id'),
    leadSource: text('lead_source'),
    street: text('street'),
    city: text('city'),
    state: text('state'),
    postalCode: text('postal_code'),
    country: text('country'),
    description: text('description'),
    /** Social handles ("network:handle", lower case) that sales signals are matched by. */
    socialHandles: text('social_handles').array().notNull().default([]),
    /** Last signal, email, call or meeting: the engagement colour and the "age of data". */
    lastActivityAt: timestampMs('last_activity_at'),
    /** Stored score before decay (see scoring): sorted and filtered on. */
    score: integer('score').notNull().default(0),
    /** The account's territories (and their ancestors), inherited when the account changes. */
    territoryIds: uuid('territory_ids').array().notNull().default([]),
  },
  (t) => [
    ...recordKeys('contacts', t),
    foreignKey({
      name: 'contacts_account_fk',
      columns: [t.organizationId, t.accountId],
      foreignColumns: [accounts.organizationId, accounts.id],
    }),
    index('contacts_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('contacts_score_idx').on(t.organizationId, t.score),
    index('contacts_territory_idx').using('gin', t.territoryIds),
    index('contacts_account_idx').on(t.organizationId, t.accountId),
    index('contacts_owner_idx').on(t.organizationId, t.ownerId),
    index('contacts_last_activity_idx').on(t.organizationId, t.lastActivityAt),
    index('contacts_social_idx').using('gin', t.socialHandles),
    index('contacts_email_idx').on(t.organizationId, t.emailKey),
  ],
);

export type ContactRow = typeof contacts.$inferSelect;
