import { and, arrayContains, eq, gte, inArray, lt, isNotNull, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CreateLeadInput, LeadOrderField, QueryLeadsArgs, UpdateLeadInput } from '../../generated/graphql.js';
import { addressChanges } from '../../shared/address.js';
import { conflict, labelled, mention } from '../../shared/errors.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { DEFAULT_LEAD_STATUS } from '../../shared/picklists.js';
import { readScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { findContactByEmail } from '../contacts/contacts.service.js';
import { lockEmail } from '../records/duplicate-lock.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { engagementCondition } from '../records/engagement.js';
import { markActivity } from '../records/last-activity.js';
import { commonConditions, listRecords, searchAny } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { scoreListing } from '../scoring/score-sql.js';
import { insertRecord, insertRecords, lockForUpdate, saveChanges, setDeleted, type AfterWritesQueue, type CreatedRecord } from '../records/record-store.js';
import { LEAD } from './leads.kind.js';
import { leads, type LeadRow } from './leads.table.js';
import { inTransaction } from '../../db/transaction.js';
import { syncCustomFieldValues, validateRecordWrite } from '../customization/record-validation.js';
import { customListParts, standardOrder } from '../customization/custom-field-list.js';

/** How each editable field is validated (workflow field updates use the same rules). */
export const FIELDS: FieldRules = {
  firstName: rules.text(100),
  lastName: rules.required(100),
  email: rules.email,
  phone: rules.phone,
  mobile: rules.phone,
  company: rules.text(200),
  title: rules.text(150),
  // Picklists are checked against the organisation's own lists by validateRecordWrite.
  industry: rules.text(255),
  annualRevenue: rules.money,
  employees: rules.count,
  website: rules.website,
  leadSource: rules.text(255),
  status: rules.required(255),
  description: rules.text(32_000),
  tags: rules.tags(),
  socialHandles: rules.handles(),
};

async function findLeadByEmail(tx: Db, viewer: Viewer, email: string, exceptId?: string): Promise<LeadRow | undefined> {
  const [row] = await tx
    .select()
    .from(leads)
    .where(
      and(
        eq(leads.organizationId, viewer.organizationId),
        eq(leads.emailKey, email.toLowerCase()),
        isNull(leads.deletedAt),
        isNull(leads.convertedAt),
        exceptId ? ne(leads.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  return row;
}

/** A lead duplicates an open lead or a contact with the same email. */
async function assertNotDuplicate(tx: Db, viewer: Viewer, email: unknown, exceptId?: string): Promise<void> {
  if (typeof email !== 'string') return;
  await lockEmail(tx, viewer.organizationId, email);
  const lead = await findLeadByEmail(tx, viewer, email, exceptId);
  if (lead) {
    throw conflict(labelled`A ${mention('leads', 'lead')} with email ${email} already exists: ${[lead.firstName, lead.lastName].filter(Boolean).join(' ')}`, {
      field: 'email',
      existingType: 'LEAD',
      existingId: lead.id,
    });
  }
  const contact = await findContactByEmail(tx, viewer, email);
  if (contact) {
    throw conflict(labelled`A ${mention('contacts', 'contact')} with email ${email} already exists: ${[contact.firstName, contact.lastName].filter(Boolean).join(' ')}`, {
      field: 'email',
      existingType: 'CONTACT',
      existingId: contact.id,
    });
  }
}

/** The validated, normalised columns of a new lead: the one check the API, forms and imports share. */
export function leadValues(viewer: Viewer, input: CreateLeadInput): Record<string, unknown> {
  return {
    ...normaliseFields(FIELDS, { ...input, status: input.status ?? DEFAULT_LEAD_STATUS }, viewer, 'create'),
    ...addressChanges(input.address),
  };
}

/** Leads an import creates, already validated by `leadValues` and checked against its duplicate policy. */
export function insertImportedLeads(tx: Db, viewer: Viewer, valuesList: readonly Record<string, unknown>[], timelineData: Record<string, unknown>, follow: readonly SQL[] = [], afterWrites?: AfterWritesQueue): Promise<CreatedRecord[]> {
  return insertRecords(tx, viewer, LEAD, valuesList, 'Lead imported', timelineData, 'import', follow, afterWrites);
}

export async function insertLead(tx: Db, viewer: Viewer, input: CreateLeadInput): Promise<LeadRow> {
  const values = leadValues(viewer, input);
  const checked = await validateRecordWrite(tx, viewer, 'leads', { values, customFields: input.customFields });
  if (!input.allowDuplicate) await assertNotDuplicate(tx, viewer, values['email']);
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  const row = await insertRecord(tx, viewer, LEAD, { ...checked.values, ...owner, customFields: checked.customFields ?? {} });
  await syncCustomFieldValues(tx, viewer, checked.config, row.id, {}, row.customFields);
  return row;
}

export const createLead = (s: Session, input: CreateLeadInput): Promise<LeadRow> => inTransaction(s.db, (tx) => insertLead(tx, s.viewer, input));

export async function updateLead(s: Session, input: UpdateLeadInput): Promise<LeadRow> {
  const values: Record<string, unknown> = { ...normaliseFields(FIELDS, input, s.viewer, 'update'), ...addressChanges(input.address) };
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, LEAD, input.id, input.expectedVersion);
    if (row.convertedAt) throw conflict(labelled`This ${mention('leads', 'lead')} has been converted and can no longer be edited`, { reason: 'LEAD_CONVERTED' });
    const checked = await validateRecordWrite(tx, s.viewer, 'leads', { values, customFields: input.customFields }, { row, customFields: row.customFields });
    if (values['email'] !== undefined && values['email'] !== row.email && !input.allowDuplicate) {
      await assertNotDuplicate(tx, s.viewer, values['email'], row.id);
    }
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    const updated = (await saveChanges(tx, s.viewer, LEAD, row, { ...checked.values, ...owner, customFields: checked.customFields })).row;
    await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, updated.customFields);
    return updated;
  });
}

export const deleteLead = (s: Session, id: string): Promise<LeadRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, LEAD, id, true));
export const restoreLead = (s: Session, id: string): Promise<LeadRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, LEAD, id, false));

const SORTS: Record<Exclude<LeadOrderField, 'CUSTOM_FIELD' | 'SCORE'>, { key: Omit<SortKey, 'direction'>; value: (row: LeadRow) => unknown }> = {
  CREATED_AT: { key: { column: leads.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: leads.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  LAST_ACTIVITY_AT: { key: { column: leads.lastActivityAt, nullable: true, decode: (v) => new Date(v) }, value: (row) => row.lastActivityAt },
  LAST_NAME: { key: { column: leads.lastName, nullable: false }, value: (row) => row.lastName },
  COMPANY: { key: { column: leads.company, nullable: true }, value: (row) => row.company },
  ANNUAL_REVENUE: { key: { column: leads.annualRevenue, nullable: true }, value: (row) => row.annualRevenue },
};

export async function listLeads(s: Session, args: QueryLeadsArgs): Promise<Connection<LeadRow>> {
  const filter = args.filter;
  const custom = await customListParts(s.db, s.viewer, 'leads', leads, filter?.customFields, args.orderBy);
  const conditions: (SQL | undefined)[] = commonConditions(leads, filter);
  if (filter?.status) conditions.push(inArray(leads.status, [...filter.status]));
  if (filter?.leadSource) conditions.push(inArray(leads.leadSource, [...filter.leadSource]));
  if (filter?.industry) conditions.push(inArray(leads.industry, [...filter.industry]));
  if (filter?.email) conditions.push(eq(leads.emailKey, filter.email.trim().toLowerCase()));
  if (filter?.converted != null) conditions.push(filter.converted ? isNotNull(leads.convertedAt) : isNull(leads.convertedAt));
  conditions.push(searchAny(
      s.viewer,
      'leads',
      { firstName: leads.firstName, lastName: leads.lastName, email: leads.email, company: leads.company, phone: leads.phone, mobile: leads.mobile },
      filter?.search,
    ));
  if (filter?.engagement) conditions.push(engagementCondition(leads.lastActivityAt, filter.engagement, s.viewer.engagement));
  if (filter?.lastActivityAfter) conditions.push(gte(leads.lastActivityAt, filter.lastActivityAfter));
  if (filter?.lastActivityBefore) conditions.push(lt(leads.lastActivityAt, filter.lastActivityBefore));
  conditions.push(...custom.conditions);
  const field = standardOrder(args.orderBy);
  const scoring = await scoreListing(s.db, s.viewer, 'leads', filter, field === 'SCORE');
  conditions.push(...scoring.conditions);
  const sort = custom.sort ?? scoring.sort ?? SORTS[field === 'SCORE' ? 'CREATED_AT' : field];
  return listRecords(s.db, s.viewer, 'leads', leads, {
    conditions,
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}

/** A live, unconverted lead with this email, for matching an outside signal (any viewer of the organisation). */
export const findOpenLeadByEmail = (tx: Db, viewer: Viewer, email: string): Promise<LeadRow | undefined> => findLeadByEmail(tx, viewer, email);

/** Live, unconverted leads carrying this social handle. */
export async function findLeadByHandle(tx: Db, viewer: Viewer, handle: string): Promise<LeadRow | undefined> {
  const [row] = await tx
    .select()
    .from(leads)
    .where(and(readScope(viewer, 'leads', leads), arrayContains(leads.socialHandles, [handle]), isNull(leads.deletedAt), isNull(leads.convertedAt)))
    .limit(1);
  return row;
}

/** Records an interaction: last_activity_at moves forward only. Returns each lead's owner. */
export async function markLeadActivity(tx: Db, organizationId: string, touches: readonly { id: string; at: Date }[]): Promise<Map<string, string>> {
  return markActivity(tx, leads, organizationId, touches);
}
