import { and, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { emailMessages, type EmailMessageRow } from './emails.table.js';
import { mailerFor } from './mailer.js';

export const DELIVER_EMAILS_JOB = 'emails.deliver';

/** How long the request that stored messages has to hand them to SMTP before the job does. */
const JOB_DELAY_SECONDS = 60;
/** A message claimed this long ago and still not settled was being sent by a process that died. */
const CLAIM_TIMEOUT_MS = 10 * 60_000;

/** Internal status while one process talks to SMTP; readers see it as QUEUED. */
export const SENDING = 'SENDING';

interface DeliverJob {
  readonly organizationId: string;
  readonly messageIds: readonly string[];
  readonly replyTo: string;
}

/**
 * Queues the delivery of messages stored in `tx`, in the same transaction: if the process dies
 * before the request hands them to SMTP, the job sends them after a minute.
 */
export async function queueDelivery(jobs: JobQueue, tx: Db, job: DeliverJob): Promise<void> {
  if (job.messageIds.length > 0) await jobs.send(DELIVER_EMAILS_JOB, job, { tx, startAfter: JOB_DELAY_SECONDS });
}

/**
 * Sends the given messages that nobody has claimed. The claim (one conditional UPDATE) makes the
 * request's inline delivery and the job's never send the same message twice.
 */
export async function deliverMessages(db: Db, config: Pick<Config, 'smtpUrl' | 'mailFrom'>, job: DeliverJob): Promise<EmailMessageRow[]> {
  if (job.messageIds.length === 0) return [];
  const claimed = await db
    .update(emailMessages)
    .set({ status: SENDING, sentAt: new Date() })
    .where(
      and(
        eq(emailMessages.organizationId, job.organizationId),
        inArray(emailMessages.id, [...job.messageIds]),
        or(eq(emailMessages.status, 'QUEUED'), and(eq(emailMessages.status, SENDING), lt(emailMessages.sentAt, new Date(Date.now() - CLAIM_TIMEOUT_MS)))),
      ),
    )
    .returning();
  const mailer = mailerFor(config);
  const delivered: EmailMessageRow[] = [];
  for (const row of claimed) {
    let status = 'NOT_SENT';
    let error: string | null = null;
    if (mailer.configured) {
      try {
        await mailer.send({ to: row.toAddress, subject: row.subject, text: row.text, html: row.html, replyTo: job.replyTo });
        status = 'SENT';
      } catch (failure) {
        status = 'FAILED';
        error = failure instanceof Error ? failure.message.slice(0, 500) : 'sending failed';
      }
    }
    const [updated] = await db
      .update(emailMessages)
      .set({ status, error, sentAt: status === 'SENT' ? sql`now()` : null })
      .where(and(eq(emailMessages.organizationId, row.organizationId), eq(emailMessages.id, row.id)))
      .returning();
    delivered.push(updated ?? row);
  }
  return delivered;
}

export function defineEmailJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<DeliverJob>(
    DELIVER_EMAILS_JOB,
    tenantJob(deps, async (db, job) => {
      const sent = await deliverMessages(db, deps.config, job);
      if (sent.length > 0) deps.logger.info('queued emails delivered by the job', { organizationId: job.organizationId, count: sent.length });
    }),
    { retryLimit: 5, retryDelaySeconds: 60, retryBackoff: true },
  );
}
