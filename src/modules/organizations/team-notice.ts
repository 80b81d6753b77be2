import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { Logger } from '../../shared/logger.js';
import { mailerFor } from '../emails/mailer.js';
import { insertNotifications, publishNotifications } from '../notifications/notifications.service.js';
import { activeMembers } from '../users/users.service.js';

export const TEAM_NOTICE_JOB = 'organizations.team-notice';

export interface TeamNotice {
  readonly organizationId: string;
  readonly kind: 'PAUSED' | 'RESUMED' | 'DOWNGRADED' | 'DELETION_SCHEDULED' | 'DELETION_CANCELLED' | 'PLAN_CHANGE_FAILED';
  readonly subject: string;
  readonly text: string;
  /** Who caused it (null when a scheduled job did). */
  readonly actorId: string | null;
  /** Also in the app (false when the organisation, its notifications and events go in the same transaction). */
  readonly inApp: boolean;
  /** Only these users (those of them still active); absent: every active member. */
  readonly userIds?: readonly string[];
  /** Addresses are taken when the notice is queued: a deleted organisation's members still get it. */
  readonly recipients: readonly { readonly email: string; readonly name: string }[];
}

type NoticeListener = (tx: Db, notice: TeamNotice) => Promise<void>;
const listeners: NoticeListener[] = [];

/** A listener gets every notice in the transaction that causes it (after the in-app notifications are stored). */
export function onTeamNotice(listener: NoticeListener): () => void {
  listeners.push(listener);
  return () => listeners.splice(listeners.indexOf(listener), 1);
}

/**
 * Tells every active member (or those of `userIds`) in-app (a notification each, stored and
 * published in `tx`, which must be the `inTransaction` one) and by email through the job queue:
 * both happen only if `tx` commits.
 */
export async function noticeTeam(tx: Db, jobs: JobQueue, notice: Omit<TeamNotice, 'recipients'>): Promise<void> {
  const only = notice.userIds ? new Set(notice.userIds) : null;
  const members = (await activeMembers(tx, notice.organizationId)).filter((member) => !only || only.has(member.id));
  const full: TeamNotice = { ...notice, recipients: members.map((member) => ({ email: member.email, name: member.name })) };
  if (notice.inApp) {
    const stored = await insertNotifications(
      tx,
      notice.organizationId,
      members.map((member) => ({ userId: member.id, title: notice.subject, body: notice.text, module: null, recordId: null, ruleId: null })),
    );
    publishNotifications(tx, notice.organizationId, notice.actorId, stored);
  }
  for (const listener of listeners) await listener(tx, full);
  await jobs.send(TEAM_NOTICE_JOB, full, { tx });
}

export function defineTeamNoticeJobs(jobs: JobQueue, deps: { readonly config: Config; readonly logger: Logger }): void {
  jobs.define<TeamNotice>(TEAM_NOTICE_JOB, async (notice) => {
    const mailer = mailerFor(deps.config);
    if (!mailer.configured) return;
    for (const recipient of notice.recipients) {
      await mailer.send({ to: recipient.email, subject: notice.subject, text: `Hello ${recipient.name},\n\n${notice.text}\n`, html: `<p>${escapeHtml(`Hello ${recipient.name},`)}</p><p>${escapeHtml(notice.text)}</p>`, replyTo: deps.config.mailFrom });
    }
  });
}

const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
