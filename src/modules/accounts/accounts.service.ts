import { and, asc, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { AccountOrderField, CreateAccountInput, QueryAccountsArgs, UpdateAccountInput } from '../../generated/graphql.js';
import { addressChanges } from '../../shared/address.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { ACCOUNT_TYPES, INDUSTRIES } from '../../shared/picklists.js';
import { readScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { commonConditions, listRecords, searchAny } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { insertRecord, insertRecords, lockForUpdate, saveChanges, setDeleted } from '../records/record-store.js';
import { ACCOUNT } from './accounts.kind.js';
import { accounts, type AccountRow } from './accounts.table.js';
import { inTransaction } from '../../db/transaction.js';

const FIELDS: FieldRules = {
  name: rules.required(200),
  website: rules.website,
  phone: rules.phone,
  industry: rules.picklist(INDUSTRIES),
  accountType: rules.picklist(ACCOUNT_TYPES),
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
export function insertImportedAccounts(tx: Db, viewer: Viewer, valuesList: readonly Record<string, unknown>[], timelineData: Record<string, unknown>): Promise<AccountRow[]> {
  return insertRecords(tx, viewer, ACCOUNT, valuesList, 'Account imported', timelineData, 'import');
}

/** Creates an account inside the caller's transaction (used by lead conversion too). */
export async function insertAccount(tx: Db, viewer: Viewer, input: CreateAccountInput, summary?: string, timelineData?: Record<string, unknown>): Promise<AccountRow> {
  const values = accountValues(viewer, input);
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  return insertRecord(tx, viewer, ACCOUNT, { ...values, ...owner }, summary, timelineData);
}

export const createAccount = (s: Session, input: CreateAccountInput): Promise<AccountRow> => inTransaction(s.db, (tx) => insertAccount(tx, s.viewer, input));

/** The oldest live account with this name (case-insensitive), which lead conversion reuses. */
export async function findAccountByName(tx: Db, viewer: Viewer, name: string): Promise<AccountRow | undefined> {
  const [row] = await tx
    .select()
    .from(accounts)
    .where(and(readScope(viewer, 'accounts', accounts), sql`lower(${accounts.name}) = ${name.trim().toLowerCase()}`, isNull(accounts.deletedAt)))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(1);
  return row;
}

export async function updateAccount(s: Session, input: UpdateAccountInput): Promise<AccountRow> {
  const values: Record<string, unknown> = { ...normaliseFields(FIELDS, input, s.viewer, 'update'), ...addressChanges(input.address) };
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, ACCOUNT, input.id, input.expectedVersion);
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    return (await saveChanges(tx, s.viewer, ACCOUNT, row, { ...values, ...owner })).row;
  });
}

export const deleteAccount = (s: Session, id: string): Promise<AccountRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACCOUNT, id, true));
export const restoreAccount = (s: Session, id: string): Promise<AccountRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACCOUNT, id, false));

const SORTS: Record<AccountOrderField, { key: Omit<SortKey, 'direction'>; value: (row: AccountRow) => unknown }> = {
  CREATED_AT: { key: { column: accounts.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: accounts.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  NAME: { key: { column: accounts.name, nullable: false }, value: (row) => row.name },
  ANNUAL_REVENUE: { key: { column: accounts.annualRevenue, nullable: true }, value: (row) => row.annualRevenue },
};

export function listAccounts(s: Session, args: QueryAccountsArgs): Promise<Connection<AccountRow>> {
  const filter = args.filter;
  const conditions: (SQL | undefined)[] = commonConditions(accounts, filter);
  if (filter?.industry) conditions.push(inArray(accounts.industry, [...filter.industry]));
  if (filter?.accountType) conditions.push(inArray(accounts.accountType, [...filter.accountType]));
  conditions.push(searchAny([accounts.name, accounts.website, accounts.phone], filter?.search));
  const sort = SORTS[args.orderBy?.field ?? 'CREATED_AT'];
  return listRecords(s.db, s.viewer, 'accounts', accounts, {
    conditions,
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}
