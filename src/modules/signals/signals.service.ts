import { newRowId } from '../../db/row-id.js';
import type { Db } from '../../db/database.js';
import { publish } from '../../db/transaction.js';
import type { Viewer } from '../auth/viewer.js';
import { findContactByEmail, findContactByHandle, markContactActivity } from '../contacts/contacts.service.js';
import { findLeadByHandle, findOpenLeadByEmail, insertLead, markLeadActivity } from '../leads/leads.service.js';
import type { OrganizationRow } from '../organizations/organizations.table.js';
import { appendTimeline, type TimelineEntryInput } from '../timeline/timeline.service.js';
import { LEAD_SOURCES } from '../../shared/picklists.js';
import { lockKey } from '../records/duplicate-lock.js';
import { scoreAfterSignals } from '../scoring/scoring.service.js';
import { describeSignal, normaliseHandle, SIGNAL_TOPIC, SOCIAL_KINDS, type SignalKind } from './signal-kinds.js';
import { salesSignals, type SalesSignalRow } from './signals.table.js';

/** A signal whose record (if any) is known, ready to be written. */
export interface ResolvedSignal {
  readonly kind: SignalKind;
  readonly customName?: string | null;
  readonly occurredAt: Date;
  readonly leadId: string | null;
  readonly contactId: string | null;
  readonly emailMessageId?: string | null;
  readonly source?: string | null;
  readonly url?: string | null;
  readonly handle?: string | null;
  readonly email?: string | null;
  readonly detail?: Record<string, unknown> | null;
  /** For the timeline sentence (an email's subject). */
  readonly subject?: string | null;
}

/** What a signal event carries: the signal, and who owns its record (for `mine` and access). */
export interface SignalEventData {
  readonly signal: Record<string, unknown>;
  readonly ownerId: string | null;
}

/**
 * Writes signals in the caller's transaction in a constant number of statements whatever their
 * number: the rows, the records' last interaction, their timeline entries, and one event each.
 */
export async function writeSignals(tx: Db, organizationId: string, actorId: string | null, batch: readonly ResolvedSignal[]): Promise<SalesSignalRow[]> {
  if (batch.length === 0) return [];
  const rows = await tx
    .insert(salesSignals)
    .values(
      batch.map((signal) => ({
        organizationId,
        id: newRowId(),
        kind: signal.kind,
        customName: signal.customName ?? null,
        occurredAt: signal.occurredAt,
        leadId: signal.leadId,
        contactId: signal.contactId,
        emailMessageId: signal.emailMessageId ?? null,
        source: signal.source ?? null,
        url: signal.url ?? null,
        handle: signal.handle ?? null,
        email: signal.email ?? null,
        detail: signal.detail ?? null,
      })),
    )
    .returning();
  const leadOwners = await markLeadActivity(tx, organizationId, rows.flatMap((row) => (row.leadId ? [{ id: row.leadId, at: row.occurredAt }] : [])));
  const contactOwners = await markContactActivity(tx, organizationId, rows.flatMap((row) => (row.contactId ? [{ id: row.contactId, at: row.occurredAt }] : [])));
  const timeline: TimelineEntryInput[] = [];
  rows.forEach((row, index) => {
    const recordId = row.contactId ?? row.leadId;
    if (!recordId) return;
    const input = batch[index];
    timeline.push({
      recordType: row.contactId ? 'CONTACT' : 'LEAD',
      recordId,
      kind: 'SIGNAL',
      summary: describeSignal(row.kind as SignalKind, { customName: row.customName, source: row.source, subject: input?.subject ?? null, url: row.url }),
      data: { signalId: row.id, signalKind: row.kind },
    });
  });
  await appendTimeline(tx, organizationId, actorId, timeline);
  // The score moves in the transaction that records the signal: an open counts the moment it is written.
  await scoreAfterSignals(tx, organizationId, actorId, rows);
  for (const row of rows) {
    const ownerId = (row.contactId ? contactOwners.get(row.contactId) : row.leadId ? leadOwners.get(row.leadId) : undefined) ?? null;
    const data: SignalEventData = { signal: JSON.parse(JSON.stringify(row)) as Record<string, unknown>, ownerId };
    publish(tx, organizationId, actorId, { topic: SIGNAL_TOPIC, kind: row.kind, recordId: row.id, scopeId: row.contactId ?? row.leadId, data: { ...data } });
  }
  return rows;
}

/** An outside signal before matching: identified by email and/or social handle, or by record id. */
export interface IncomingSignal {
  readonly kind: SignalKind;
  readonly customName?: string | null;
  readonly occurredAt?: Date | null;
  readonly email?: string | null;
  readonly handle?: string | null;
  readonly url?: string | null;
  readonly source?: string | null;
  readonly detail?: Record<string, unknown> | null;
  readonly leadId?: string | null;
  readonly contactId?: string | null;
}

/** The lead source a social network maps to, when it is one of the picklist's. */
function leadSourceFor(source: string | null | undefined): string {
  const match = LEAD_SOURCES.find((option) => option.toLowerCase() === (source ?? '').trim().toLowerCase());
  return match ?? 'Other';
}

/**
 * Matches a signal to a contact (first) or an open lead by email, then by social handle. With the
 * organisation's setting on, an unmatched social signal creates a lead owned by `owner`.
 */
export async function matchSignal(
  tx: Db,
  viewer: Viewer,
  organization: OrganizationRow,
  signal: IncomingSignal,
): Promise<{ leadId: string | null; contactId: string | null; createdLeadId: string | null }> {
  if (signal.leadId || signal.contactId) return { leadId: signal.leadId ?? null, contactId: signal.contactId ?? null, createdLeadId: null };
  const handle = signal.handle ? normaliseHandle(signal.handle) : null;
  if (signal.email) {
    const contact = await findContactByEmail(tx, viewer, signal.email);
    if (contact) return { leadId: null, contactId: contact.id, createdLeadId: null };
    const lead = await findOpenLeadByEmail(tx, viewer, signal.email);
    if (lead) return { leadId: lead.id, contactId: null, createdLeadId: null };
  }
  if (handle) {
    const contact = await findContactByHandle(tx, viewer, handle);
    if (contact) return { leadId: null, contactId: contact.id, createdLeadId: null };
    const lead = await findLeadByHandle(tx, viewer, handle);
    if (lead) return { leadId: lead.id, contactId: null, createdLeadId: null };
  }
  if (organization.createLeadsFromSocial && SOCIAL_KINDS.includes(signal.kind) && (handle || signal.email)) {
    // Two mentions by the same new handle at once must create one lead: take turns, then look again.
    await lockKey(tx, `social:${viewer.organizationId}:${handle ?? signal.email}`);
    const existing = handle ? await findLeadByHandle(tx, viewer, handle) : undefined;
    if (existing) return { leadId: existing.id, contactId: null, createdLeadId: null };
    const lead = await insertLead(tx, viewer, {
      lastName: handle ? `@${handle}` : (signal.email ?? 'Unknown'),
      email: signal.email ?? null,
      leadSource: leadSourceFor(signal.source),
      description: signal.url ? `Captured from ${signal.source ?? 'a social'} signal: ${signal.url}` : null,
      socialHandles: handle ? [handle] : [],
      tags: ['social-capture'],
      allowDuplicate: false,
    });
    return { leadId: lead.id, contactId: null, createdLeadId: lead.id };
  }
  return { leadId: null, contactId: null, createdLeadId: null };
}
