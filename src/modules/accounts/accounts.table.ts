import { sql } from 'drizzle-orm';
import { index, integer, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { recordColumns } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';

export const accounts = pgTable(
  'accounts',
  {
    ...recordColumns(),
    name: text('name').notNull(),
    /** lower(name), kept by PostgreSQL, for lookups by name under row-level security (see leads.emailKey). */
    nameKey: text('name_key').generatedAlwaysAs(sql`lower(name)`),
    website: text('website'),
    phone: text('phone'),
    industry: text('industry'),
    accountType: text('account_type'),
    annualRevenue: numeric('annual_revenue', { precision: 18, scale: 2 }),
    employees: integer('employees'),
    street: text('street'),
    city: text('city'),
    state: text('state'),
    postalCode: text('postal_code'),
    country: text('country'),
    description: text('description'),
    /** Territories whose criteria the account meets, ancestors included (kept by the territories module). */
    territoryIds: uuid('territory_ids').array().notNull().default([]),
  },
  (t) => [
    ...recordKeys('accounts', t),
    index('accounts_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('accounts_name_idx').on(t.organizationId, t.nameKey),
    index('accounts_owner_idx').on(t.organizationId, t.ownerId),
    index('accounts_territory_idx').using('gin', t.territoryIds),
  ],
);

export type AccountRow = typeof accounts.$inferSelect;
