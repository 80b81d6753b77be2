import { date, foreignKey, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';
import type { ReportDefinition } from './report-definition.js';

/** A saved custom report: its definition is validated against the field registry when saved and run. */
export const reports = pgTable(
  'reports',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    module: text('module').notNull(),
    definition: jsonb('definition').$type<ReportDefinition>().notNull(),
    /** PRIVATE (owner only) or SHARED (the whole organisation). */
    visibility: text('visibility').notNull().default('PRIVATE'),
    ownerId: uuid('owner_id').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'reports_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'reports_owner_fk', columns: [t.organizationId, t.ownerId], foreignColumns: [users.organizationId, users.id] }),
  ],
);

/** A cron schedule that emails a report or a dashboard. */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    ...tenantKey(),
    reportId: uuid('report_id'),
    dashboardId: uuid('dashboard_id'),
    cron: text('cron').notNull(),
    timeZone: text('time_zone').notNull(),
    recipients: text('recipients').array().notNull(),
    /** CSV (attached) or HTML (inline table); dashboards are always a PNG. */
    format: text('format').notNull(),
    ownerId: uuid('owner_id').notNull(),
    /** Bumped on every change: a queued run for an older version does nothing. */
    version: integer('version').notNull().default(1),
    nextRunAt: timestampMs('next_run_at'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'report_schedules_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'report_schedules_owner_fk', columns: [t.organizationId, t.ownerId], foreignColumns: [users.organizationId, users.id] }),
    index('report_schedules_report_idx').on(t.organizationId, t.reportId),
  ],
);

/**
 * One row per schedule occurrence: the unique key is the claim that makes every occurrence
 * delivered once, however many processes (or retries) run its job.
 */
export const reportDeliveries = pgTable(
  'report_deliveries',
  {
    ...tenantKey(),
    scheduleId: uuid('schedule_id').notNull(),
    occurrence: timestamp('occurrence', { withTimezone: true, mode: 'date' }).notNull(),
    /** PENDING while one process sends it, then SENT, NOT_SENT (no SMTP) or FAILED. */
    status: text('status').notNull(),
    recipients: text('recipients').array().notNull(),
    rowCount: integer('row_count'),
    error: text('error'),
    claimedAt: timestampMs('claimed_at').notNull().defaultNow(),
    finishedAt: timestampMs('finished_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    unique('report_deliveries_occurrence_key').on(t.organizationId, t.scheduleId, t.occurrence),
    foreignKey({ name: 'report_deliveries_schedule_fk', columns: [t.organizationId, t.scheduleId], foreignColumns: [reportSchedules.organizationId, reportSchedules.id] }).onDelete('cascade'),
  ],
);

/** A sales target for one user and one month or quarter. */
export const salesQuotas = pgTable(
  'sales_quotas',
  {
    organizationId: uuid('organization_id').notNull(),
    userId: uuid('user_id').notNull(),
    /** MONTH or QUARTER. */
    period: text('period').notNull(),
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    amount: numeric('amount', { precision: 18, scale: 2 }).notNull(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.userId, t.period, t.periodStart] }),
    foreignKey({ name: 'sales_quotas_user_fk', columns: [t.organizationId, t.userId], foreignColumns: [users.organizationId, users.id] }).onDelete('cascade'),
  ],
);

/** Organisation-wide forecast settings (one row per organisation, absent means the defaults). */
export const forecastSettings = pgTable(
  'forecast_settings',
  {
    organizationId: uuid('organization_id').primaryKey(),
    /** Open deals at or above this probability count as committed. */
    commitProbability: integer('commit_probability').notNull().default(70),
  },
  (t) => [foreignKey({ name: 'forecast_settings_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade')],
);

export type ReportRow = typeof reports.$inferSelect;
export type ReportScheduleRow = typeof reportSchedules.$inferSelect;
export type ReportDeliveryRow = typeof reportDeliveries.$inferSelect;
export type SalesQuotaRow = typeof salesQuotas.$inferSelect;
