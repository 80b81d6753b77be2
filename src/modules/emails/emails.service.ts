import { newRowId } from '../../db/row-id.js';
import { and, count, eq, gte, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { inTransaction } from '../../db/transaction.js';
import type { SendEmailInput, SendMassEmailInput } from '../../generated/graphql.js';
import { badInput, DomainError, labelled, mention, notFound } from '../../shared/errors.js';
import type { Connection } from '../../shared/pagination.js';
import { optionalText, requiredText } from '../../shared/validation.js';
import { assertCan, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { listContacts, markContactActivity } from '../contacts/contacts.service.js';
import { DEAL } from '../deals/deals.kind.js';
import { LEAD } from '../leads/leads.kind.js';
import { listLeads, markLeadActivity } from '../leads/leads.service.js';
import { currentOrganization } from '../organizations/organizations.service.js';
import { assertReference } from '../records/record-store.js';
import { appendTimeline, type TimelineRecordType } from '../timeline/timeline.service.js';
import { htmlFromText, renderTracked } from './email-render.js';
import { emailLinks, emailMessages, type EmailMessageRow } from './emails.table.js';
import { deliverMessages, queueDelivery } from './email-delivery.js';
import { newTrackingToken } from './tracking-tokens.js';
import { lockKey } from '../records/duplicate-lock.js';

export interface Recipient {
  readonly to: string;
  readonly leadId: string | null;
  readonly contactId: string | null;
  readonly dealId: string | null;
  /** Where the email shows on a timeline (none for a note to a record's owner about an activity). */
  readonly record: { type: TimelineRecordType; id: string } | null;
}

interface Content {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function content(input: { subject: string; text: string; html?: string | null | undefined }): Content {
  const subject = requiredText('subject', input.subject, 250);
  const text = requiredText('text', input.text, 100_000);
  const html = optionalText('html', input.html ?? null, 500_000) ?? htmlFromText(text);
  return { subject, text, html };
}

async function recipientOf(tx: Db, viewer: Viewer, input: SendEmailInput): Promise<Recipient> {
  const given = [input.leadId, input.contactId, input.dealId].filter(Boolean);
  if (given.length !== 1) throw badInput('leadId', 'Name exactly one of leadId, contactId or dealId');
  if (input.leadId) {
    const lead = await assertReference(tx, viewer, LEAD, input.leadId, 'leadId');
    if (!lead.email) throw badInput('leadId', labelled`This ${mention('leads', 'lead')} has no email address`);
    return { to: lead.email, leadId: lead.id, contactId: null, dealId: null, record: { type: 'LEAD', id: lead.id } };
  }
  if (input.contactId) {
    const contact = await assertReference(tx, viewer, CONTACT, input.contactId, 'contactId');
    if (!contact.email) throw badInput('contactId', labelled`This ${mention('contacts', 'contact')} has no email address`);
    return { to: contact.email, leadId: null, contactId: contact.id, dealId: null, record: { type: 'CONTACT', id: contact.id } };
  }
  const deal = await assertReference(tx, viewer, DEAL, input.dealId as string, 'dealId');
  if (!deal.contactId) throw badInput('dealId', labelled`This ${mention('deals', 'deal')} has no ${mention('contacts', 'contact')} to write to`);
  const contact = await assertReference(tx, viewer, CONTACT, deal.contactId, 'dealId');
  if (!contact.email) throw badInput('dealId', labelled`The ${mention('deals', 'deal')}'s ${mention('contacts', 'contact')} has no email address`);
  return { to: contact.email, leadId: null, contactId: contact.id, dealId: deal.id, record: { type: 'DEAL', id: deal.id } };
}

/** Stores tracked messages (links, timeline, last interaction) in the caller's transaction. */
async function storeMessages(tx: Db, viewer: Viewer, publicUrl: string, recipients: readonly Recipient[], mail: Content, massSendId: string | null): Promise<EmailMessageRow[]> {
  const now = new Date();
  const prepared = recipients.map((recipient) => {
    const openToken = newTrackingToken(viewer.organizationId);
    return { recipient, openToken, id: newRowId(), rendered: renderTracked(mail.html, viewer.organizationId, publicUrl, openToken) };
  });
  const rows = await tx
    .insert(emailMessages)
    .values(
      prepared.map(({ recipient, openToken, id, rendered }) => ({
        organizationId: viewer.organizationId,
        id,
        leadId: recipient.leadId,
        contactId: recipient.contactId,
        dealId: recipient.dealId,
        toAddress: recipient.to,
        subject: mail.subject,
        html: rendered.html,
        text: mail.text,
        status: 'QUEUED',
        openToken,
        sentById: viewer.userId,
        massSendId,
      })),
    )
    .returning();
  const links = prepared.flatMap(({ id, rendered }) => rendered.links.map((link) => ({ organizationId: viewer.organizationId, id: newRowId(), messageId: id, ...link })));
  if (links.length > 0) await tx.insert(emailLinks).values(links);
  await appendTimeline(
    tx,
    viewer.organizationId,
    viewer.userId,
    prepared.flatMap(({ recipient, id }) =>
      recipient.record ? [{ recordType: recipient.record.type, recordId: recipient.record.id, kind: 'EMAIL_SENT', summary: `Email sent: ${mail.subject}`, data: { emailMessageId: id } }] : [],
    ),
  );
  await markLeadActivity(tx, viewer.organizationId, recipients.flatMap((r) => (r.leadId ? [{ id: r.leadId, at: now }] : [])));
  await markContactActivity(tx, viewer.organizationId, recipients.flatMap((r) => (r.contactId ? [{ id: r.contactId, at: now }] : [])));
  return rows;
}

/** Hands stored messages to SMTP (outside any transaction) and returns them as they now stand. */
async function deliver(s: Session, rows: readonly EmailMessageRow[]): Promise<EmailMessageRow[]> {
  const sent = await deliverMessages(s.db, s.config, { organizationId: s.viewer.organizationId, messageIds: rows.map((row) => row.id), replyTo: s.viewer.email });
  const byId = new Map(sent.map((row) => [row.id, row]));
  return rows.map((row) => byId.get(row.id) ?? row);
}

/** Stores messages and queues their delivery in one transaction. */
async function storeAndQueue(s: Session, tx: Db, recipients: readonly Recipient[], mail: Content, massSendId: string | null): Promise<EmailMessageRow[]> {
  const rows = await storeMessages(tx, s.viewer, s.config.publicUrl, recipients, mail, massSendId);
  await queueDelivery(s.jobs, tx, { organizationId: s.viewer.organizationId, messageIds: rows.map((row) => row.id), replyTo: s.viewer.email });
  return rows;
}

/**
 * A tracked email stored and queued in the caller's transaction (workflow actions): the delivery
 * job sends it if nobody delivers it sooner with `deliverMessages`.
 */
export async function queueTrackedEmail(tx: Db, viewer: Viewer, jobs: JobQueue, publicUrl: string, recipient: Recipient, mail: { subject: string; text: string }): Promise<EmailMessageRow> {
  const [row] = await storeMessages(tx, viewer, publicUrl, [recipient], content(mail), null);
  if (!row) throw new Error('no message stored');
  await queueDelivery(jobs, tx, { organizationId: viewer.organizationId, messageIds: [row.id], replyTo: viewer.email });
  return row;
}

export async function sendEmail(s: Session, input: SendEmailInput): Promise<EmailMessageRow> {
  assertCan(s.viewer, 'create', 'emails');
  const mail = content(input);
  const rows = await inTransaction(s.db, async (tx) => storeAndQueue(s, tx, [await recipientOf(tx, s.viewer, input)], mail, null));
  const [sent] = await deliver(s, rows);
  if (!sent) throw new Error('no message stored');
  return sent;
}

export interface MassEmailResult {
  readonly count: number;
  readonly messages: EmailMessageRow[];
  readonly remainingToday: number;
}

const startOfDay = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

/** Everyone the filter matches who has an email, up to `limit + 1` (enough to know it is too many). */
async function massRecipients(s: Session, input: SendMassEmailInput, limit: number): Promise<Recipient[]> {
  const recipients: Recipient[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Connection<{ id: string; email: string | null }> =
      input.module === 'LEADS'
        ? await listLeads(s, { filter: { ...input.leadFilter, converted: false }, first: 200, after })
        : await listContacts(s, { filter: input.contactFilter ?? null, first: 200, after });
    for (const node of page.nodes) {
      if (!node.email) continue;
      const isLead = input.module === 'LEADS';
      recipients.push({ to: node.email, leadId: isLead ? node.id : null, contactId: isLead ? null : node.id, dealId: null, record: { type: isLead ? 'LEAD' : 'CONTACT', id: node.id } });
      if (recipients.length > limit) return recipients;
    }
    if (!page.pageInfo.hasNextPage) return recipients;
    after = page.pageInfo.endCursor;
  }
}

/**
 * The same tracked email to every matching lead or contact, within the sender's daily allowance:
 * a batch that would pass it is refused whole, with what remains, rather than cut silently.
 */
export async function sendMassEmail(s: Session, input: SendMassEmailInput): Promise<MassEmailResult> {
  assertCan(s.viewer, 'create', 'emails');
  const mail = content(input);
  const { massEmailDailyLimit: limit } = await currentOrganization(s);
  const recipients = await massRecipients(s, input, limit);
  if (recipients.length === 0) throw badInput(input.module === 'LEADS' ? 'leadFilter' : 'contactFilter', 'No matching record has an email address');
  const stored = await inTransaction(s.db, async (tx) => {
    // One sender's mass emails are counted and written one batch at a time.
    await lockKey(tx, `mass-email:${s.viewer.organizationId}:${s.viewer.userId}`);
    const [sentToday] = await tx
      .select({ n: count() })
      .from(emailMessages)
      .where(
        and(
          readScope(s.viewer, 'emails', emailMessages),
          eq(emailMessages.sentById, s.viewer.userId),
          isNotNull(emailMessages.massSendId),
          gte(emailMessages.createdAt, startOfDay(new Date())),
        ),
      );
    const remaining = Math.max(0, limit - (sentToday?.n ?? 0));
    if (recipients.length > remaining) {
      throw new DomainError('RATE_LIMITED', `This would send ${recipients.length} emails; you may send ${remaining} more today (limit ${limit} a day)`, {
        limit,
        remaining,
        requested: recipients.length,
      });
    }
    return { rows: await storeAndQueue(s, tx, recipients, mail, newRowId()), remaining: remaining - recipients.length };
  });
  const messages = await deliver(s, stored.rows);
  return { count: messages.length, messages, remainingToday: stored.remaining };
}

export async function getEmailMessage(s: Session, id: string): Promise<EmailMessageRow> {
  const [row] = await s.db.select().from(emailMessages).where(recordScope(s.viewer, 'emails', emailMessages, id));
  if (!row) throw notFound('Email');
  return row;
}
