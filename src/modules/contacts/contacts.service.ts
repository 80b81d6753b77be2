import { and, arrayContains, eq, gte, inArray, lt, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { ContactOrderField, CreateContactInput, QueryContactsArgs, UpdateContactInput } from '../../generated/graphql.js';
import { addressChanges } from '../../shared/address.js';
import { conflict, labelled, mention } from '../../shared/errors.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { readScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { lockEmail } from '../records/duplicate-lock.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { engagementCondition } from '../records/engagement.js';
import { markActivity } from '../records/last-activity.js';
import { commonConditions, listRecords, searchAny } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { scoreListing } from '../scoring/score-sql.js';
import { assertReference, insertRecord, insertRecords, lockForUpdate, saveChanges, setDeleted, type AfterWritesQueue, type CreatedRecord } from '../records/record-store.js';
import { CONTACT } from './contacts.kind.js';
import { contacts, type ContactRow } from './contacts.table.js';
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
  title: rules.text(150),
  department: rules.text(150),
  // Checked against the organisation's own list by validateRecordWrite.
  leadSource: rules.text(255),
  description: rules.text(32_000),
  tags: rules.tags(),
  socialHandles: rules.handles(),
};

/** A live contact of the organisation with this email, if any. */
export async function findContactByEmail(tx: Db, viewer: Viewer, email: string, exceptId?: string): Promise<ContactRow | undefined> {
  const [row] = await tx
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.organizationId, viewer.organizationId),
        eq(contacts.emailKey, email.toLowerCase()),
        isNull(contacts.deletedAt),
        exceptId ? ne(contacts.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  return row;
}

async function assertUniqueEmail(tx: Db, viewer: Viewer, email: unknown, exceptId?: string): Promise<void> {
  if (typeof email !== 'string') return;
  await lockEmail(tx, viewer.organizationId, email);
  const existing = await findContactByEmail(tx, viewer, email, exceptId);
  if (existing) {
    throw conflict(labelled`A ${mention('contacts', 'contact')} with email ${email} already exists: ${[existing.firstName, existing.lastName].filter(Boolean).join(' ')}`, {
      field: 'email',
      existingType: 'CONTACT',
      existingId: existing.id,
    });
  }
}

/** The validated, normalised columns of a new contact: the one check the API and imports share. */
export function contactValues(viewer: Viewer, input: CreateContactInput): Record<string, unknown> {
  return { ...normaliseFields(FIELDS, input, viewer, 'create'), ...addressChanges(input.address) };
}

/** Contacts an import creates, already validated by `contactValues` and checked against its duplicate policy. */
export function insertImportedContacts(tx: Db, viewer: Viewer, valuesList: readonly Record<string, unknown>[], timelineData: Record<string, unknown>, follow: readonly SQL[] = [], afterWrites?: AfterWritesQueue): Promise<CreatedRecord[]> {
  return insertRecords(tx, viewer, CONTACT, valuesList.map((values) => ({ accountId: null, ...values })), 'Contact imported', timelineData, 'import', follow, afterWrites);
}

/** Creates a contact inside the caller's transaction (used by lead conversion too). */
export async function insertContact(
  tx: Db,
  viewer: Viewer,
  input: CreateContactInput,
  options: { checkDuplicate: boolean; summary?: string; timelineData?: Record<string, unknown>; inheritedFrom?: object } = { checkDuplicate: true },
): Promise<ContactRow> {
  const values = contactValues(viewer, input);
  const checked = await validateRecordWrite(tx, viewer, 'contacts', { values, customFields: input.customFields, inheritedFrom: options.inheritedFrom });
  if (options.checkDuplicate && !input.allowDuplicate) await assertUniqueEmail(tx, viewer, values['email']);
  if (input.accountId) await assertReference(tx, viewer, ACCOUNT, input.accountId, 'accountId');
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  const row = await insertRecord(
    tx,
    viewer,
    CONTACT,
    { ...checked.values, ...owner, accountId: input.accountId ?? null, customFields: checked.customFields ?? {} },
    options.summary,
    options.timelineData,
  );
  await syncCustomFieldValues(tx, viewer, checked.config, row.id, {}, row.customFields);
  return row;
}

export const createContact = (s: Session, input: CreateContactInput): Promise<ContactRow> =>
  inTransaction(s.db, (tx) => insertContact(tx, s.viewer, input));

export async function updateContact(s: Session, input: UpdateContactInput): Promise<ContactRow> {
  const values: Record<string, unknown> = { ...normaliseFields(FIELDS, input, s.viewer, 'update'), ...addressChanges(input.address) };
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, CONTACT, input.id, input.expectedVersion);
    const checked = await validateRecordWrite(tx, s.viewer, 'contacts', { values, customFields: input.customFields }, { row, customFields: row.customFields });
    if (values['email'] !== undefined && values['email'] !== row.email && !input.allowDuplicate) {
      await assertUniqueEmail(tx, s.viewer, values['email'], row.id);
    }
    if (input.accountId) await assertReference(tx, s.viewer, ACCOUNT, input.accountId, 'accountId');
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    const account = input.accountId === undefined ? {} : { accountId: input.accountId };
    const updated = (await saveChanges(tx, s.viewer, CONTACT, row, { ...checked.values, ...owner, ...account, customFields: checked.customFields })).row;
    await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, updated.customFields);
    return updated;
  });
}

export const deleteContact = (s: Session, id: string): Promise<ContactRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, CONTACT, id, true));
export const restoreContact = (s: Session, id: string): Promise<ContactRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, CONTACT, id, false));

const SORTS: Record<Exclude<ContactOrderField, 'CUSTOM_FIELD' | 'SCORE'>, { key: Omit<SortKey, 'direction'>; value: (row: ContactRow) => unknown }> = {
  CREATED_AT: { key: { column: contacts.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: contacts.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  LAST_ACTIVITY_AT: { key: { column: contacts.lastActivityAt, nullable: true, decode: (v) => new Date(v) }, value: (row) => row.lastActivityAt },
  LAST_NAME: { key: { column: contacts.lastName, nullable: false }, value: (row) => row.lastName },
  EMAIL: { key: { column: contacts.email, nullable: true }, value: (row) => row.email },
};

export async function listContacts(s: Session, args: QueryContactsArgs): Promise<Connection<ContactRow>> {
  const filter = args.filter;
  const custom = await customListParts(s.db, s.viewer, 'contacts', contacts, filter?.customFields, args.orderBy);
  const conditions: (SQL | undefined)[] = commonConditions(contacts, filter);
  if (filter?.accountId) conditions.push(eq(contacts.accountId, filter.accountId));
  if (filter?.territoryId) conditions.push(arrayContains(contacts.territoryIds, [filter.territoryId]));
  if (filter?.leadSource) conditions.push(inArray(contacts.leadSource, [...filter.leadSource]));
  if (filter?.email) conditions.push(eq(contacts.emailKey, filter.email.trim().toLowerCase()));
  conditions.push(searchAny(
      s.viewer,
      'contacts',
      { firstName: contacts.firstName, lastName: contacts.lastName, email: contacts.email, phone: contacts.phone, mobile: contacts.mobile },
      filter?.search,
    ));
  if (filter?.engagement) conditions.push(engagementCondition(contacts.lastActivityAt, filter.engagement, s.viewer.engagement));
  if (filter?.lastActivityAfter) conditions.push(gte(contacts.lastActivityAt, filter.lastActivityAfter));
  if (filter?.lastActivityBefore) conditions.push(lt(contacts.lastActivityAt, filter.lastActivityBefore));
  conditions.push(...custom.conditions);
  const field = standardOrder(args.orderBy);
  const scoring = await scoreListing(s.db, s.viewer, 'contacts', filter, field === 'SCORE');
  conditions.push(...scoring.conditions);
  const sort = custom.sort ?? scoring.sort ?? SORTS[field === 'SCORE' ? 'CREATED_AT' : field];
  return listRecords(s.db, s.viewer, 'contacts', contacts, {
    conditions,
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}

/** Contacts of several accounts, oldest first, for the per-request loader. */
export const contactsOfAccountsScope = (viewer: Viewer): SQL => and(readScope(viewer, 'contacts', contacts), isNull(contacts.deletedAt)) as SQL;

/** Live contacts carrying this social handle. */
export async function findContactByHandle(tx: Db, viewer: Viewer, handle: string): Promise<ContactRow | undefined> {
  const [row] = await tx
    .select()
    .from(contacts)
    .where(and(readScope(viewer, 'contacts', contacts), arrayContains(contacts.socialHandles, [handle]), isNull(contacts.deletedAt)))
    .limit(1);
  return row;
}

/** Records an interaction: last_activity_at moves forward only. Returns each contact's owner. */
export async function markContactActivity(tx: Db, organizationId: string, touches: readonly { id: string; at: Date }[]): Promise<Map<string, string>> {
  return markActivity(tx, contacts, organizationId, touches);
}
