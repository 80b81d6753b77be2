import { boolean, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';

/** The tenant itself: the only table not keyed by organization_id (a reference table on Citus). */
export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan').notNull().default('FREE'),
  currency: text('currency').notNull().default('USD'),
  country: text('country').notNull().default('US'),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
  /** HMAC-SHA256 key that signs POST /hooks/signals bodies; rotatable, null until first generated. */
  webhookSecret: text('webhook_secret'),
  /** Unmatched social mentions and engagements create leads. */
  createLeadsFromSocial: boolean('create_leads_from_social').notNull().default(false),
  /** Days since last interaction below which a lead or contact is HOT, WARM, COOLING (else COLD). */
  hotDays: integer('hot_days').notNull().default(3),
  warmDays: integer('warm_days').notNull().default(14),
  coolingDays: integer('cooling_days').notNull().default(45),
  /** Mass emails one user may send per day. */
  massEmailDailyLimit: integer('mass_email_daily_limit').notNull().default(250),
  /** Members may run only the organisation's registered operations (trusted documents). */
  requireTrustedDocuments: boolean('require_trusted_documents').notNull().default(false),
  /** Bumped in the transaction of every change to profiles, roles, sharing, users or API keys. */
  accessVersion: integer('access_version').notNull().default(1),
  /** Bumped in the transaction of every change to scoring, assignment or workflow rules: what rule caches compare with. */
  automationVersion: integer('automation_version').notNull().default(1),
  /** Paid seats (active users allowed); null means the plan's default. */
  seats: integer('seats'),
  /** While set, every write is refused; reads, exports and subscriptions go on. */
  pausedAt: timestampMs('paused_at'),
  /** End of the current billing period, when PERIOD_END changes apply. */
  periodEndsAt: timestampMs('period_ends_at'),
  /** When a scheduled deletion happens (deleteOrganization with inDays); null when none is scheduled. */
  deletionScheduledAt: timestampMs('deletion_scheduled_at'),
  /** A subscription change waiting for the period end. */
  pendingSubscription: jsonb('pending_subscription').$type<{ plan: string; seats: number; usersToDeactivate: string[] } | null>(),
});

export type OrganizationRow = typeof organizations.$inferSelect;
