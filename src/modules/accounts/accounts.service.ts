import { and, eq, arrayContains, asc, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { AccountOrderField, CreateAccountInput, QueryAccountsArgs, UpdateAccountInput } from '../../generated/graphql.js';
import { addressChanges } from '../../shared/address.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { readScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { commonConditions, listRecords, searchAny } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { insertRecord, insertRecords, lockForUpdate, saveChanges, setDeleted, type AfterWritesQueue, type CreatedRecord } from '../records/record-store.js';
import { ACCOUNT } from './accounts.kind.js';
import { accounts, type AccountRow } from './accounts.table.js';
import { inTransaction } from '../../db/transaction.js';
import { syncCustomFieldValues, validateRecordWrite } from '../customization/record-validation.js';
import { customListParts, standardOrder } from '../customization/custom-field-list.js';

/** How each editable field is validated (workflow field updates use the same rules). */
export const FIELDS: FieldRules = {
  name: rules.required(200),
  website: rules.website,
  phone: rules.phone,
  // Picklists are checked against the organisation's own lists by validateRecordWrite.
  industry: rules.text(255),
  accountType: rules.text(255),
  annualRevenue: rules.money,
  employees: rules.count,
  description: rules.text(32_000),
  tags: rules.tags(),
};

/** The validated, normalised columns of a new account: the one check the API and imports share. */
export function accountValues(viewer: Viewer, input: CreateAccountInput): Record<string, unknown> {
  return { ...normaliseFields(FIELDS, input, viewer, 'create'), ...addressChanges(input.address) };
}

/** Accounts an import creates, already validated by `accountValues` and checked against its duplicate policy. */
export function insertImportedAccounts(tx: Db, viewer: Viewer, valuesList: readonly Record<string, unknown>[], timelineData: Record<string, unknown>, follow: readonly SQL[] = [], afterWrites?: AfterWritesQueue): Promise<CreatedRecord[]> {
  return insertRecords(tx, viewer, ACCOUNT, valuesList, 'Account imported', timelineData, 'import', follow, afterWrites);
}

/** Creates an account inside the caller's transaction (used by lead conversion too). */
export async function insertAccount(
  tx: Db,
  viewer: Viewer,
  input: CreateAccountInput,
  summary?: string,
  timelineData?: Record<string, unknown>,
  inheritedFrom?: object,
): Promise<AccountRow> {
  const values = accountValues(viewer, input);
  const checked = await validateRecordWrite(tx, viewer, 'accounts', { values, customFields: input.customFields, inheritedFrom });
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  const row = await insertRecord(tx, viewer, ACCOUNT, { ...checked.values, ...owner, customFields: checked.customFields ?? {} }, summary, timelineData);
  await syncCustomFieldValues(tx, viewer, checked.config, row.id, {}, row.customFields);
  return row;
}

export const createAccount = (s: Session, input: CreateAccountInput): Promise<AccountRow> => inTransaction(s.db, (tx) => insertAccount(tx, s.viewer, input));

/** The oldest live account with this name (case-insensitive), which lead conversion reuses. */
export async function findAccountByName(tx: Db, viewer: Viewer, name: string): Promise<AccountRow | undefined> {
  const [row] = await tx
    .select()
    .from(accounts)
    .where(and(readScope(viewer, 'accounts', accounts), eq(accounts.nameKey, name.trim().toLowerCase()), isNull(accounts.deletedAt)))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(1);
  return row;
}

export async function updateAccount(s: Session, input: UpdateAccountInput): Promise<AccountRow> {
  const values: Record<string, unknown> = { ...normaliseFields(FIELDS, input, s.viewer, 'update'), ...addressChanges(input.address) };
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, ACCOUNT, input.id, input.expectedVersion);
    const checked = await validateRecordWrite(tx, s.viewer, 'accounts', { values, customFields: input.customFields }, { row, customFields: row.customFields });
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    const updated = (await saveChanges(tx, s.viewer, ACCOUNT, row, { ...checked.values, ...owner, customFields: checked.customFields })).row;
    await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, updated.customFields);
    return updated;
  });
}

export const deleteAccount = (s: Session, id: string): Promise<AccountRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACCOUNT, id, true));
export const restoreAccount = (s: Session, id: string): Promise<AccountRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACCOUNT, id, false));

const SORTS: Record<Exclude<AccountOrderField, 'CUSTOM_FIELD'>, { key: Omit<SortKey, 'direction'>; value: (row: AccountRow) => unknown }> = {
  CREATED_AT: { key: { column: accounts.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: accounts.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  NAME: { key: { column: accounts.name, nullable: false }, value: (row) => row.name },
  ANNUAL_REVENUE: { key: { column: accounts.annualRevenue, nullable: true }, value: (row) => row.annualRevenue },
};

export async function listAccounts(s: Session, args: QueryAccountsArgs): Promise<Connection<AccountRow>> {
  const filter = args.filter;
  const custom = await customListParts(s.db, s.viewer, 'accounts', accounts, filter?.customFields, args.orderBy);
  const conditions: (SQL | undefined)[] = commonConditions(accounts, filter);
  if (filter?.industry) conditions.push(inArray(accounts.industry, [...filter.industry]));
  if (filter?.accountType) conditions.push(inArray(accounts.accountType, [...filter.accountType]));
  conditions.push(searchAny(s.viewer, 'accounts', { name: accounts.name, website: accounts.website, phone: accounts.phone }, filter?.search));
  // Accounts carry their territories' ancestors, so a parent territory lists its children's accounts.
  if (filter?.territoryId) conditions.push(arrayContains(accounts.territoryIds, [filter.territoryId]));
  conditions.push(...custom.conditions);
  const sort = custom.sort ?? SORTS[standardOrder(args.orderBy)];
  return listRecords(s.db, s.viewer, 'accounts', accounts, {
    conditions,
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}
