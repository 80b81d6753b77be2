import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { recordColumns, timestampMs } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';
import { accounts } from '../accounts/accounts.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';

export const leads = pgTable(
  'leads',
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
    company: text('company'),
    title: text('title'),
    industry: text('industry'),
    annualRevenue: numeric('annual_revenue', { precision: 18, scale: 2 }),
    employees: integer('employees'),
    website: text('website'),
    leadSource: text('lead_source'),
    status: text('status').notNull(),
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
    convertedAt: timestampMs('converted_at'),
    convertedContactId: uuid('converted_contact_id'),
    convertedAccountId: uuid('converted_account_id'),
    convertedDealId: uuid('converted_deal_id'),
  },
  (t) => [
    ...recordKeys('leads', t),
    foreignKey({
      name: 'leads_converted_contact_fk',
      columns: [t.organizationId, t.convertedContactId],
      foreignColumns: [contacts.organizationId, contacts.id],
    }),
    foreignKey({
      name: 'leads_converted_account_fk',
      columns: [t.organizationId, t.convertedAccountId],
      foreignColumns: [accounts.organizationId, accounts.id],
    }),
    foreignKey({
      name: 'leads_converted_deal_fk',
      columns: [t.organizationId, t.convertedDealId],
      foreignColumns: [deals.organizationId, deals.id],
    }),
    index('leads_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('leads_owner_idx').on(t.organizationId, t.ownerId),
    index('leads_last_activity_idx').on(t.organizationId, t.lastActivityAt),
    index('leads_social_idx').using('gin', t.socialHandles),
    index('leads_score_idx').on(t.organizationId, t.score),
    index('leads_status_idx').on(t.organizationId, t.status),
    index('leads_email_idx').on(t.organizationId, t.emailKey),
  ],
);

export type LeadRow = typeof leads.$inferSelect;
