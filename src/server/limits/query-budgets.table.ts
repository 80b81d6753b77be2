import { boolean, doublePrecision, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';

/**
 * Query-cost buckets shared by every API process (QUERY_BUDGET_STORE=postgres). Keyed by the
 * caller (`org:<id>:user:<id>`, `org:<id>:key:<id>` or `ip:<address>`), so global by design.
 */
export const queryBudgets = pgTable('query_budgets', {
  subject: text('subject').primaryKey(),
  /** Points left at `updated_at`; restored at the configured rate since then. */
  available: doublePrecision('available').notNull(),
  updatedAt: timestampMs('updated_at').notNull(),
  /** Whether the latest request fitted: the one statement that charges also answers with it. */
  lastAllowed: boolean('last_allowed').notNull(),
});
