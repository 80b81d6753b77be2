import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { recordColumns, timestampMs } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';
import { relatedRecordColumns, relatedRecordKeys } from '../../db/related-record.js';

export const activities = pgTable(
  'activities',
  {
    ...recordColumns(),
    ...relatedRecordColumns(),
    /** The kind of `typeValue`: TASK, CALL or MEETING; decides what the activity needs and how reports count it. */
    type: text('type').notNull(),
    /**
     * The organisation's activity type (ACTIVITY_TYPE picklist, e.g. "Site visit"). An insert
     * that leaves it out (bulk loads, restores of older exports) gets the organisation's first
     * value of the row's kind from a trigger (migration 0013).
     */
    // Default null, so inserts may leave it out: the trigger replaces the null before NOT NULL is checked.
    typeValue: text('type_value').notNull().default(sql`null`),
    subject: text('subject').notNull(),
    description: text('description'),
    /** The kind of `statusValue` (NOT_STARTED ... CANCELLED); COMPLETED and CANCELLED are done. */
    status: text('status').notNull(),
    /** The organisation's status (ACTIVITY_STATUS picklist); filled like `typeValue` when left out. */
    statusValue: text('status_value').notNull().default(sql`null`),
    priority: text('priority').notNull().default('NORMAL'),
    dueAt: timestampMs('due_at'),
    startAt: timestampMs('start_at'),
    endAt: timestampMs('end_at'),
    completedAt: timestampMs('completed_at'),
    location: text('location'),
    callDirection: text('call_direction'),
    callDurationSeconds: integer('call_duration_seconds'),
  },
  (t) => [
    ...recordKeys('activities', t),
    ...relatedRecordKeys('activities', t),
    check('activities_one_related', sql`num_nonnulls(${t.leadId}, ${t.contactId}, ${t.accountId}, ${t.dealId}) <= 1`),
    index('activities_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('activities_owner_idx').on(t.organizationId, t.ownerId),
    index('activities_lead_idx').on(t.organizationId, t.leadId),
    index('activities_contact_idx').on(t.organizationId, t.contactId),
    index('activities_account_idx').on(t.organizationId, t.accountId),
    index('activities_deal_idx').on(t.organizationId, t.dealId),
  ],
);

export type ActivityRow = typeof activities.$inferSelect;
