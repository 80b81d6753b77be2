import { newRowId } from '../../db/row-id.js';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Viewer } from '../auth/viewer.js';
import { viewerColumns, viewerOf } from '../auth/viewer-source.js';
import { renderDashboardSvg } from '../dashboards/dashboard-render.js';
import { escapeXml, svgToPng } from '../dashboards/dashboard-svg.js';
import { mailerFor, type MailAttachment } from '../emails/mailer.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';
import { csvLine } from '../../shared/csv-write.js';
import { MAX_REPORT_LIMIT } from './report-compiler.js';
import { reportSource, type ReportModule } from './report-fields.js';
import { labelsOf, moduleLabelsOf } from '../customization/module-config.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import type { ResultValue } from './report-definition.js';
import { nextOccurrence, SCHEDULED_REPORT_JOB, type ScheduledRun } from './report-schedules.service.js';
import { compileSaved, getReport, runCompiled } from './reports.service.js';
import { reportDeliveries, reportSchedules, type ReportScheduleRow } from './reports.table.js';

/** A delivery claimed this long ago and still PENDING was being sent by a process that died. */
const CLAIM_TIMEOUT = sql`interval '10 minutes'`;
const HTML_ROWS = 1000;

/** The schedule's owner as a viewer: a scheduled report shows what its owner may read now. */
async function ownerViewer(db: Db, schedule: ReportScheduleRow): Promise<Viewer | null> {
  const [source] = await db
    .select(viewerColumns)
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(eq(users.organizationId, schedule.organizationId), eq(users.id, schedule.ownerId)));
  if (!source || !source.active) return null;
  return viewerOf({ db }, source, null);
}

function htmlTable(result: ResultValue): string {
  const head = result.columns.map((c) => `<th style="text-align:left;padding:4px 8px">${escapeXml(c.label)}</th>`).join('');
  const body = result.rows
    .slice(0, HTML_ROWS)
    .map((row) => `<tr>${result.columns.map((c) => `<td style="padding:4px 8px">${escapeXml(String(row[c.key] ?? ''))}</td>`).join('')}</tr>`)
    .join('');
  return `<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

interface Content {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: MailAttachment[];
  readonly rowCount: number | null;
}

async function contentOf(db: Db, viewer: Viewer, schedule: ReportScheduleRow, occurrence: Date): Promise<Content> {
  const day = occurrence.toISOString().slice(0, 10);
  if (schedule.dashboardId) {
    const { name, svg } = await renderDashboardSvg(db, viewer, schedule.dashboardId);
    const png = await svgToPng(svg);
    return {
      subject: `${name} (${day})`,
      text: `The dashboard "${name}" is attached as a picture.`,
      html: `<p>${escapeXml(name)}</p><img src="cid:dashboard@pulse" alt="${escapeXml(name)}"/>`,
      attachments: [{ filename: 'dashboard.png', content: png, contentType: 'image/png', cid: 'dashboard@pulse' }],
      rowCount: null,
    };
  }
  const report = await getReport(db, viewer, schedule.reportId as string);
  const result = await runCompiled(db, await compileSaved(db, viewer, report, null, MAX_REPORT_LIMIT), MAX_REPORT_LIMIT);
  const subject = `${report.name} (${day})`;
  // The module as the organisation calls it ("a report on Properties").
  const about = `a report on ${labelsOf(await moduleLabelsOf(db, viewer.organizationId), reportSource(report.module as ReportModule).crmModule as CustomizableModule).plural}`;
  if (schedule.format === 'HTML') {
    return { subject, text: `${report.name}, ${about}: ${result.rows.length} rows.`, html: `<p>${escapeXml(`${report.name}, ${about}`)}</p>${htmlTable(result)}`, attachments: [], rowCount: result.rows.length };
  }
  const csv = csvLine(result.columns.map((c) => c.label)) + result.rows.map((row) => csvLine(result.columns.map((c) => row[c.key]))).join('');
  return {
    subject,
    text: `${report.name}, ${about}: ${result.rows.length} rows, attached as CSV.`,
    html: `<p>${escapeXml(`${report.name}, ${about}`)}: ${result.rows.length} rows, attached as CSV.</p>`,
    attachments: [{ filename: `${report.name.replace(/[^\w.-]+/g, '_')}.csv`, content: csv, contentType: 'text/csv; charset=utf-8' }],
    rowCount: result.rows.length,
  };
}

/**
 * Runs one occurrence. The delivery row (unique per schedule and occurrence) is the claim: it is
 * written with the next occurrence's job in one transaction, so every occurrence is sent once
 * and exactly one job carries the schedule forward, however many processes or retries run it.
 */
export async function deliverOccurrence(db: Db, deps: Pick<JobDeps, 'config' | 'logger'>, jobs: JobQueue, run: ScheduledRun): Promise<void> {
  const [schedule] = await db.select().from(reportSchedules).where(and(eq(reportSchedules.organizationId, run.organizationId), eq(reportSchedules.id, run.scheduleId)));
  if (!schedule || schedule.version !== run.version) return;
  const occurrence = new Date(run.occurrence);
  const claim = await inTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(reportDeliveries)
      .values({ organizationId: schedule.organizationId, id: newRowId(), scheduleId: schedule.id, occurrence, status: 'PENDING', recipients: schedule.recipients })
      .onConflictDoUpdate({
        target: [reportDeliveries.organizationId, reportDeliveries.scheduleId, reportDeliveries.occurrence],
        set: { claimedAt: sql`now()` },
        setWhere: sql`${reportDeliveries.status} = 'PENDING' and ${reportDeliveries.claimedAt} < now() - ${CLAIM_TIMEOUT}`,
      })
      .returning({ id: reportDeliveries.id, inserted: sql<boolean>`xmax = 0` });
    if (!row) return null;
    if (row.inserted) {
      // Missed occurrences (the service was down) are skipped rather than sent in a burst.
      const next = nextOccurrence(schedule.cron, schedule.timeZone, new Date(Math.max(occurrence.getTime(), Date.now())));
      await tx.update(reportSchedules).set({ nextRunAt: next }).where(and(eq(reportSchedules.organizationId, schedule.organizationId), eq(reportSchedules.id, schedule.id)));
      await jobs.send<ScheduledRun>(SCHEDULED_REPORT_JOB, { ...run, occurrence: next.toISOString() }, { tx, startAfter: next });
    }
    return row;
  });
  if (!claim) return;
  let status = 'NOT_SENT';
  let error: string | null = null;
  let rowCount: number | null = null;
  try {
    const viewer = await ownerViewer(db, schedule);
    if (!viewer) throw new Error('the schedule owner is no longer active');
    const content = await contentOf(db, viewer, schedule, occurrence);
    rowCount = content.rowCount;
    const mailer = mailerFor(deps.config);
    if (mailer.configured) {
      await mailer.send({ to: schedule.recipients.join(', '), subject: content.subject, text: content.text, html: content.html, replyTo: viewer.email, attachments: content.attachments });
      status = 'SENT';
    }
  } catch (failure) {
    status = 'FAILED';
    error = failure instanceof Error ? failure.message.slice(0, 500) : 'delivery failed';
    deps.logger.warn('scheduled report failed', { scheduleId: schedule.id, error: failure });
  }
  await db
    .update(reportDeliveries)
    .set({ status, error, rowCount, finishedAt: new Date() })
    .where(and(eq(reportDeliveries.organizationId, schedule.organizationId), eq(reportDeliveries.id, claim.id)));
}

export function defineReportJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<ScheduledRun>(SCHEDULED_REPORT_JOB, tenantJob(deps, (db, run) => deliverOccurrence(db, deps, jobs, run)), { retryLimit: 3, retryDelaySeconds: 60, expireInSeconds: 15 * 60 });
}
