import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';

/** The tenant itself: the only table not keyed by organization_id (a reference table on Citus). */
export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan').notNull().default('FREE'),
  currency: text('currency').notNull().default('USD'),
  country: text('country').notNull().default('US'),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
});

export type OrganizationRow = typeof organizations.$inferSelect;
