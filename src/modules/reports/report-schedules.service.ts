import { newRowId } from '../../db/row-id.js';
import { CronExpressionParser } from 'cron-parser';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { inTransaction } from '../../db/transaction.js';
import type { CreateReportScheduleInput } from '../../generated/graphql.js';
import { badInput, forbidden, notFound } from '../../shared/errors.js';
import { normaliseEmail } from '../../shared/validation.js';
import { canManage } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { getDashboard } from '../dashboards/dashboards.service.js';
import { validTimeZone } from './report-compiler.js';
import { getReport } from './reports.service.js';
import { reportDeliveries, reportSchedules, type ReportDeliveryRow, type ReportScheduleRow } from './reports.table.js';

export const SCHEDULED_REPORT_JOB = 'reports.scheduled-delivery';
const MAX_RECIPIENTS = 50;

/** The data of one occurrence's job. */
export interface ScheduledRun {
  readonly organizationId: string;
  readonly scheduleId: string;
  /** The schedule version it was queued for: an edited or deleted schedule's old jobs do nothing. */
  readonly version: number;
  /** ISO time of the cron occurrence. */
  readonly occurrence: string;
}

/** The first cron time strictly after `after`, in the schedule's zone. */
export function nextOccurrence(cron: string, timeZone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timeZone }).next().toDate();
  } catch {
    throw badInput('cron', `"${cron}" is not a valid cron expression`);
  }
}

export async function createReportSchedule(s: Session, input: CreateReportScheduleInput): Promise<ReportScheduleRow> {
  if ((input.reportId ? 1 : 0) + (input.dashboardId ? 1 : 0) !== 1) throw badInput('reportId', 'schedule either a reportId or a dashboardId');
  const target = input.reportId ? await getReport(s.db, s.viewer, input.reportId) : await getDashboard(s.db, s.viewer, input.dashboardId as string);
  if (target.ownerId !== s.viewer.userId && !canManage(s.viewer, 'reports')) throw forbidden('Only the owner, or a user whose profile manages reports, may schedule this');
  if (input.reportId && input.format === 'PNG') throw badInput('format', 'reports are sent as CSV or HTML; PNG is for dashboards');
  const timeZone = validTimeZone('timeZone', input.timeZone ?? 'UTC');
  const cron = input.cron.trim();
  if (cron.split(/\s+/).length !== 5) throw badInput('cron', 'cron takes five fields: minute hour day-of-month month day-of-week');
  const first = nextOccurrence(cron, timeZone, new Date());
  if (input.recipients.length === 0 || input.recipients.length > MAX_RECIPIENTS) throw badInput('recipients', `between 1 and ${MAX_RECIPIENTS} recipients`);
  const recipients = [...new Set(input.recipients.map((email, i) => normaliseEmail(`recipients[${i}]`, email)))];
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx
      .insert(reportSchedules)
      .values({
        organizationId: s.viewer.organizationId,
        id: newRowId(),
        reportId: input.reportId ?? null,
        dashboardId: input.dashboardId ?? null,
        cron,
        timeZone,
        recipients,
        format: input.dashboardId ? 'PNG' : (input.format ?? 'CSV'),
        ownerId: s.viewer.userId,
        nextRunAt: first,
      })
      .returning();
    if (!row) throw new Error('insert returned no schedule');
    // The first occurrence's job commits with the schedule; each run queues the next one.
    await s.jobs.send<ScheduledRun>(SCHEDULED_REPORT_JOB, { organizationId: row.organizationId, scheduleId: row.id, version: row.version, occurrence: first.toISOString() }, { tx, startAfter: first });
    return row;
  });
}

async function ownSchedule(s: Session, id: string): Promise<ReportScheduleRow> {
  const [row] = await s.db.select().from(reportSchedules).where(and(eq(reportSchedules.organizationId, s.viewer.organizationId), eq(reportSchedules.id, id)));
  if (!row || (row.ownerId !== s.viewer.userId && !canManage(s.viewer, 'reports'))) throw notFound('Report schedule');
  return row;
}

/** Deletes a schedule; its queued job finds it gone and does nothing. */
export async function deleteReportSchedule(s: Session, id: string): Promise<boolean> {
  const row = await ownSchedule(s, id);
  await s.db.delete(reportSchedules).where(and(eq(reportSchedules.organizationId, row.organizationId), eq(reportSchedules.id, row.id)));
  return true;
}

export async function listDeliveries(s: Session, scheduleId: string | null | undefined, first: number): Promise<ReportDeliveryRow[]> {
  if (first < 1 || first > 500) throw badInput('first', 'first must be between 1 and 500');
  let scheduleIds: string[];
  if (scheduleId) scheduleIds = [(await ownSchedule(s, scheduleId)).id];
  else {
    const own = await s.db
      .select({ id: reportSchedules.id })
      .from(reportSchedules)
      .where(and(eq(reportSchedules.organizationId, s.viewer.organizationId), eq(reportSchedules.ownerId, s.viewer.userId)));
    scheduleIds = own.map((row) => row.id);
  }
  if (scheduleIds.length === 0) return [];
  return s.db
    .select()
    .from(reportDeliveries)
    .where(and(eq(reportDeliveries.organizationId, s.viewer.organizationId), inArray(reportDeliveries.scheduleId, scheduleIds)))
    .orderBy(desc(reportDeliveries.occurrence), desc(reportDeliveries.id))
    .limit(first);
}
