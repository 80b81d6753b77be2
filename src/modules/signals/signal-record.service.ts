import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { RecordSalesSignalInput, UpdateSignalSettingsInput } from '../../generated/graphql.js';
import { badInput, DomainError, forbidden } from '../../shared/errors.js';
import { normaliseEmail, optionalText } from '../../shared/validation.js';
import { assertCan, assertManages, assertWritable } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { LEAD } from '../leads/leads.kind.js';
import { currentOrganization, organizationById } from '../organizations/organizations.service.js';
import { organizations, type OrganizationRow } from '../organizations/organizations.table.js';
import { assertReference } from '../records/record-store.js';
import { defaultOwner, systemViewer } from '../users/users.service.js';
import { SIGNAL_KINDS, type SignalKind } from './signal-kinds.js';
import { matchSignal, writeSignals, type IncomingSignal } from './signals.service.js';
import type { SalesSignalRow } from './signals.table.js';

/** Validates an incoming signal's fields (API and webhook alike). */
export function parseSignal(input: Record<string, unknown>): IncomingSignal {
  const kind = input['kind'];
  if (typeof kind !== 'string' || !SIGNAL_KINDS.includes(kind as SignalKind)) throw badInput('kind', `kind must be one of ${SIGNAL_KINDS.join(', ')}`);
  const text = (field: string, max: number): string | null => {
    const value = input[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw badInput(field, `${field} must be a string`);
    return optionalText(field, value, max);
  };
  const customName = text('customName', 100) ?? text('name', 100);
  if (kind === 'CUSTOM' && !customName) throw badInput('customName', 'A CUSTOM signal needs customName');
  const email = text('email', 254);
  const handle = text('handle', 100);
  let occurredAt: Date | null = null;
  const rawOccurred = input['occurredAt'];
  if (rawOccurred !== undefined && rawOccurred !== null) {
    occurredAt = rawOccurred instanceof Date ? rawOccurred : new Date(String(rawOccurred));
    if (Number.isNaN(occurredAt.getTime())) throw badInput('occurredAt', 'occurredAt must be an ISO-8601 date-time');
    if (occurredAt.getTime() > Date.now() + 5 * 60_000) throw badInput('occurredAt', 'occurredAt cannot be in the future');
  }
  const detail = input['detail'];
  if (detail !== undefined && detail !== null && (typeof detail !== 'object' || Array.isArray(detail))) throw badInput('detail', 'detail must be a JSON object');
  if (detail && JSON.stringify(detail).length > 10_000) throw badInput('detail', 'detail must be at most 10 kB of JSON');
  const leadId = text('leadId', 36);
  const contactId = text('contactId', 36);
  if (!email && !handle && !leadId && !contactId) throw badInput('email', 'A signal needs an email, a handle or a record id to be matched');
  return {
    kind: kind as SignalKind,
    customName,
    occurredAt,
    email: email ? normaliseEmail('email', email) : null,
    handle,
    url: text('url', 2000),
    source: text('source', 100),
    detail: (detail as Record<string, unknown> | undefined) ?? null,
    leadId,
    contactId,
  };
}

/** Matches and writes one signal in its own transaction, acting as `viewer`. */
async function recordOne(db: Db, viewer: Viewer, actorId: string | null, organization: OrganizationRow, signal: IncomingSignal): Promise<SalesSignalRow> {
  return inTransaction(db, async (tx) => {
    if (signal.leadId) await assertReference(tx, viewer, LEAD, signal.leadId, 'leadId');
    if (signal.contactId) await assertReference(tx, viewer, CONTACT, signal.contactId, 'contactId');
    const match = await matchSignal(tx, viewer, organization, signal);
    const [row] = await writeSignals(tx, viewer.organizationId, actorId, [
      {
        ...signal,
        occurredAt: signal.occurredAt ?? new Date(),
        leadId: match.contactId ? null : match.leadId,
        contactId: match.contactId,
        detail: match.createdLeadId ? { ...(signal.detail ?? {}), createdLead: true } : (signal.detail ?? null),
      },
    ]);
    if (!row) throw new Error('no signal written');
    return row;
  });
}

export async function recordSalesSignal(s: Session, input: RecordSalesSignalInput): Promise<SalesSignalRow> {
  assertCan(s.viewer, 'create', 'signals');
  const signal = parseSignal(input as unknown as Record<string, unknown>);
  return recordOne(s.db, s.viewer, s.viewer.userId, await currentOrganization(s), signal);
}

/** How far a webhook's timestamp may be from now: a captured request cannot be replayed later. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * POST /hooks/signals: the signature is HMAC-SHA256 under the organisation's secret of
 * "<timestamp>.<raw body>", with the timestamp (Unix seconds) sent alongside and within five minutes.
 */
export async function recordWebhookSignal(db: Db, organizationId: string, rawBody: Buffer, signature: string, timestamp: string): Promise<SalesSignalRow> {
  const organization = /^[0-9a-f-]{36}$/i.test(organizationId) ? await organizationById(db, organizationId) : undefined;
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const fresh = Math.abs(Date.now() / 1000 - seconds) <= WEBHOOK_TOLERANCE_SECONDS;
  const expected = organization?.webhookSecret
    ? createHmac('sha256', organization.webhookSecret).update(`${timestamp}.`).update(rawBody).digest()
    : null;
  const given = Buffer.from(signature.replace(/^sha256=/i, ''), 'hex');
  // Unknown organisation, no secret, stale timestamp and bad signature are the same answer.
  if (!organization || !expected || !fresh || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new DomainError('UNAUTHENTICATED', 'Bad signature');
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw badInput('body', 'The body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput('body', 'The body must be a JSON object');
  const signal = parseSignal(body as Record<string, unknown>);
  const owner = await defaultOwner(db, organization.id);
  if (!owner) throw forbidden('The organisation has no active administrator');
  const viewer = systemViewer(owner, organization);
  assertWritable(viewer);
  return recordOne(db, viewer, null, organization, signal);
}

export async function rotateWebhookSecret(s: Session): Promise<{ secret: string; organizationId: string }> {
  assertManages(s.viewer, 'signals');
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  await s.db.update(organizations).set({ webhookSecret: secret }).where(eq(organizations.id, s.viewer.organizationId));
  return { secret, organizationId: s.viewer.organizationId };
}

export async function updateSignalSettings(s: Session, input: UpdateSignalSettingsInput): Promise<OrganizationRow> {
  assertManages(s.viewer, 'signals');
  const current = await currentOrganization(s);
  const next = {
    createLeadsFromSocial: input.createLeadsFromSocial ?? current.createLeadsFromSocial,
    hotDays: input.hotDays ?? current.hotDays,
    warmDays: input.warmDays ?? current.warmDays,
    coolingDays: input.coolingDays ?? current.coolingDays,
    massEmailDailyLimit: input.massEmailDailyLimit ?? current.massEmailDailyLimit,
  };
  if (!(next.hotDays >= 1 && next.hotDays < next.warmDays && next.warmDays < next.coolingDays && next.coolingDays <= 3650)) {
    throw badInput('hotDays', 'Thresholds must satisfy 1 <= hotDays < warmDays < coolingDays <= 3650');
  }
  if (!Number.isInteger(next.massEmailDailyLimit) || next.massEmailDailyLimit < 0 || next.massEmailDailyLimit > 100_000) {
    throw badInput('massEmailDailyLimit', 'massEmailDailyLimit must be from 0 to 100000');
  }
  const [row] = await s.db.update(organizations).set(next).where(eq(organizations.id, s.viewer.organizationId)).returning();
  return row ?? current;
}
