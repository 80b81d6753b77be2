import { newRowId } from '../../db/row-id.js';
import { and, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { withGenericPlans, withGenericPlansAround } from '../../db/generic-plans.js';
import { insertRowsThen, insertRowsThenQuery } from '../../db/bulk-insert.js';
import { isOpenTransaction, readBehind } from '../../db/transaction.js';
import type { Db } from '../../db/database.js';
import { conflict, DomainError, labelled, mention, notFound, type ModuleMention } from '../../shared/errors.js';
import { assertCan, recordScope, type CrmModule } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { recordAudit } from '../access-control/audit.service.js';
import { appendTimeline, timelineForCreated, timelineInsert, type FieldChange, type TimelineRecordType } from '../timeline/timeline.service.js';
import { describeChanges } from '../timeline/change-summary.js';
import { createdRowsWanted, newDraft, runAfterWrite, runAfterWriteMany, runBeforeCreate, runBeforeCreateMany, type RecordWrite, type WriteSource } from './record-hooks.js';

/**
 * The write mechanics every CRM record shares: lock, optimistic version check, diff, update with
 * version bump, recycle bin, and the timeline entries that go with each, in the caller's
 * transaction. Modules keep their own validation and rules.
 */

export type RecordTable = PgTable & {
  readonly organizationId: PgColumn;
  readonly id: PgColumn;
  readonly version: PgColumn;
  readonly updatedAt: PgColumn;
  readonly deletedAt: PgColumn;
};

export interface BaseRow {
  readonly organizationId: string;
  readonly id: string;
  readonly version: number;
  readonly deletedAt: Date | null;
}

export interface RecordKind<T extends RecordTable> {
  readonly module: CrmModule;
  readonly table: T;
  /** What people call one record, for messages: "Lead". */
  readonly label: string;
  /** Where changes are written on the timeline; null for records without one of their own. */
  readonly timelineType: TimelineRecordType | null;
}

/** The kind's name in a message for people: the organisation's label once the error is formatted. */
export const nameOf = (kind: RecordKind<RecordTable>): ModuleMention => mention(kind.module, kind.label);

type RowOf<T extends RecordTable> = T['$inferSelect'] & BaseRow;

/** Reads one record the viewer may see, locked for the rest of the transaction. */
export async function lockRecord<T extends RecordTable>(tx: Db, viewer: Viewer, kind: RecordKind<T>, id: string): Promise<RowOf<T>> {
  const [row] = await tx
    .select()
    .from(kind.table as PgTable)
    .where(recordScope(viewer, kind.module, kind.table, id))
    .for('update');
  if (!row) throw notFound(nameOf(kind));
  return row as RowOf<T>;
}

/** Locks a live (not deleted) record the viewer may change, at the version the client read. */
export async function lockForUpdate<T extends RecordTable>(
  tx: Db,
  viewer: Viewer,
  kind: RecordKind<T>,
  id: string,
  expectedVersion: number,
): Promise<RowOf<T>> {
  assertCan(viewer, 'update', kind.module);
  const row = await lockRecord(tx, viewer, kind, id);
  // Readable is not always writable (PUBLIC_READ sharing, READ sharing rules).
  assertCan(viewer, 'update', kind.module, row as BaseRow & { ownerId?: string });
  if (row.deletedAt) throw new DomainError('NOT_FOUND', labelled`${nameOf(kind)} is in the recycle bin; restore it first`);
  if (row.version !== expectedVersion) {
    throw conflict(labelled`${nameOf(kind)} was changed by someone else (version ${row.version}, you sent ${expectedVersion}); reload it and try again`, {
      currentVersion: row.version,
    });
  }
  return row;
}

const comparable = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return JSON.stringify(value);
  return value ?? null;
};

const CUSTOM = 'customFields';

/** Custom field values (a JSON object) change key by key: `customFields.<apiName>`. */
function customDiff(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return names
    .filter((name) => JSON.stringify(before[name] ?? null) !== JSON.stringify(after[name] ?? null))
    .map((name) => ({ field: `${CUSTOM}.${name}`, oldValue: before[name] ?? null, newValue: after[name] ?? null }));
}

/** The fields whose value `changes` would really change. */
export function diff(row: Record<string, unknown>, changes: Record<string, unknown>): FieldChange[] {
  const result: FieldChange[] = [];
  for (const [field, newValue] of Object.entries(changes)) {
    if (newValue === undefined) continue;
    const oldValue = row[field];
    if (field === CUSTOM) {
      result.push(...customDiff((oldValue ?? {}) as Record<string, unknown>, newValue as Record<string, unknown>));
      continue;
    }
    if (comparable(oldValue) === comparable(newValue)) continue;
    result.push({ field, oldValue: comparable(oldValue) ?? null, newValue: comparable(newValue) ?? null });
  }
  return result.map((change) =>
    Array.isArray(changes[change.field]) ? { ...change, oldValue: row[change.field] ?? [], newValue: changes[change.field] } : change,
  );
}

/**
 * Writes the changed fields with a version bump and an UPDATED timeline entry. Nothing changed:
 * the row comes back untouched and no version is spent.
 */
export async function saveChanges<T extends RecordTable>(
  tx: Db,
  viewer: Viewer,
  kind: RecordKind<T>,
  row: RowOf<T>,
  changes: Record<string, unknown>,
  timelineData: Record<string, unknown> = {},
  source: WriteSource = 'user',
): Promise<{ row: RowOf<T>; changes: FieldChange[] }> {
  const changed = diff(row as Record<string, unknown>, changes);
  if (changed.length === 0) return { row, changes: changed };
  const values: Record<string, unknown> = { updatedAt: new Date(), version: sql`${kind.table.version} + 1` };
  for (const change of changed) {
    const column = change.field.startsWith(`${CUSTOM}.`) ? CUSTOM : change.field;
    values[column] = changes[column];
  }
  const [updated] = await tx
    .update(kind.table as PgTable)
    // The column set of a generic table is not known statically; `values` holds only its fields.
    .set(values as never)
    .where(and(eq(kind.table.organizationId, viewer.organizationId), eq(kind.table.id, row.id)))
    .returning();
  // History shows what was stored ("910000.00"), not how the caller spelled it ("910000").
  const stored = updated as Record<string, unknown>;
  const recorded = changed.map((change) =>
    change.field in stored && !Array.isArray(stored[change.field]) ? { ...change, newValue: comparable(stored[change.field]) } : change,
  );
  if (kind.timelineType) {
    await appendTimeline(tx, viewer.organizationId, viewer.userId, [
      { recordType: kind.timelineType, recordId: row.id, kind: 'UPDATED', summary: describeChanges(recorded), data: { changes: recorded, ...timelineData } },
    ]);
  }
  await runAfterWrite(tx, viewer, { module: kind.module, kind: 'updated', before: row as Record<string, unknown>, after: updated as Record<string, unknown>, changes: changed, source });
  return { row: updated as RowOf<T>, changes: changed };
}

/** Moves a record to the recycle bin (or brings it back), with a timeline entry. */
export async function setDeleted<T extends RecordTable>(tx: Db, viewer: Viewer, kind: RecordKind<T>, id: string, deleted: boolean): Promise<RowOf<T>> {
  const action = deleted ? 'delete' : 'update';
  assertCan(viewer, action, kind.module);
  assertCan(viewer, action, kind.module, (await lockRecord(tx, viewer, kind, id)) as BaseRow & { ownerId?: string });
  const [row] = await tx
    .update(kind.table as PgTable)
    .set({ deletedAt: deleted ? new Date() : null, updatedAt: new Date(), version: sql`${kind.table.version} + 1` } as never)
    .where(and(recordScope(viewer, kind.module, kind.table, id), deleted ? isNull(kind.table.deletedAt) : isNotNull(kind.table.deletedAt)))
    .returning();
  if (!row) {
    const existing = await lockRecord(tx, viewer, kind, id);
    throw new DomainError('BAD_USER_INPUT', existing.deletedAt ? labelled`${nameOf(kind)} is already in the recycle bin` : labelled`${nameOf(kind)} is not in the recycle bin`, {
      field: 'id',
    });
  }
  if (deleted) {
    await recordAudit(tx, viewer, { action: 'RECORD_DELETED', summary: `${kind.label} moved to the recycle bin`, targetType: kind.module, targetId: id });
  }
  if (kind.timelineType) {
    await appendTimeline(tx, viewer.organizationId, viewer.userId, [
      {
        recordType: kind.timelineType,
        recordId: id,
        kind: deleted ? 'DELETED' : 'RESTORED',
        summary: deleted ? `${kind.label} moved to the recycle bin` : `${kind.label} restored from the recycle bin`,
      },
    ]);
  }
  return row as RowOf<T>;
}

/** A new record's changes: every field it was inserted with. */
function createdChanges(values: Readonly<Record<string, unknown>>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field in values) {
    const value = values[field];
    if (value !== undefined && value !== null) changes.push({ field, oldValue: null, newValue: value });
  }
  return changes;
}

/** Inserts a record owned by `ownerId` (already checked) with a CREATED timeline entry. */
export async function insertRecord<T extends RecordTable>(
  tx: Db,
  viewer: Viewer,
  kind: RecordKind<T>,
  values: Record<string, unknown>,
  summary = `${kind.label} created`,
  timelineData: Record<string, unknown> = {},
  source: WriteSource = 'user',
): Promise<RowOf<T>> {
  assertCan(viewer, 'create', kind.module);
  const draft = newDraft(viewer, kind.module, newRowId(), values, source);
  await runBeforeCreate(tx, viewer, draft);
  const recordType = kind.timelineType;
  const timeline = recordType
    ? [timelineInsert(tx, viewer.organizationId, viewer.userId, [
        { recordType, recordId: draft.id, kind: 'CREATED', summary, data: timelineData },
        ...draft.timeline.map((entry) => ({ recordType, recordId: draft.id, ...entry })),
      ])]
    : [];
  // The record, its timeline entries and its hooks' companions (its stored score): one statement.
  const [row] = await insertRowsThen(tx, kind.table as PgTable, [{ ...draft.values, organizationId: viewer.organizationId, id: draft.id }], true, [...timeline, ...draft.companions]);
  const created = row as RowOf<T>;
  await runAfterWrite(tx, viewer, { module: kind.module, kind: 'created', before: null, after: created as Record<string, unknown>, changes: createdChanges(draft.values), source, state: draft.state });
  return created;
}

/** What a batch writer gets back of each created record. */
export interface CreatedRecord {
  readonly id: string;
  readonly customFields: Record<string, unknown>;
}

/**
 * Where a batch writer (an import) hands a batch's after-write hooks when it does not wait for its
 * insert (`insertRecords`). Called right after the batch's insert is sent, with the hooks to run
 * once its rows are back (null: none): the writer may run an earlier batch's hooks now, whose
 * statements then follow this insert on the connection, and keep these for later. It must run the
 * hooks it keeps before anything else reads what they write, and before it returns.
 */
export type AfterWritesQueue = (work: (() => Promise<void>) | null) => Promise<void>;

/**
 * Inserts many records in one statement (imports): the same hooks, timeline entries and
 * permission check as `insertRecord`, per record, with the row and timeline writes batched. The
 * created rows are read back (and the after-write hooks run) only when a hook has work for them
 * (rules for the module); otherwise only their ids and custom values return. `follow` are the
 * caller's own writes reading the new rows as `created` (an import's undo log), in the same statement.
 *
 * With `afterWrites` (in an `inTransaction` transaction), the insert is sent behind (`readBehind`)
 * and the call does not wait for it: it hands its after-write hooks (which take the rows when they
 * come back) to `afterWrites`, and returns each record's id and custom values as its draft holds
 * them. The caller prepares its next batch while PostgreSQL writes this one.
 */
export async function insertRecords<T extends RecordTable>(
  tx: Db,
  viewer: Viewer,
  kind: RecordKind<T>,
  valuesList: readonly Record<string, unknown>[],
  summary: string,
  timelineData: Record<string, unknown>,
  source: WriteSource,
  follow: readonly SQL[] = [],
  afterWrites?: AfterWritesQueue,
): Promise<CreatedRecord[]> {
  if (valuesList.length === 0) return [];
  assertCan(viewer, 'create', kind.module);
  const drafts = valuesList.map((values) => newDraft(viewer, kind.module, newRowId(), values, source));
  await runBeforeCreateMany(tx, viewer, drafts);
  const wanted = await createdRowsWanted(tx, viewer, kind.module);
  const timelineType = kind.timelineType;
  const added = timelineType ? drafts.flatMap((draft) => draft.timeline.map((entry) => ({ recordType: timelineType, recordId: draft.id, ...entry }))) : [];
  // The timeline entries in the same statement as the records.
  const rowValues = drafts.map((draft) => ({ ...draft.values, organizationId: viewer.organizationId, id: draft.id }));
  const follows = timelineType
    ? [timelineForCreated(viewer.organizationId, viewer.userId, timelineType, 'CREATED', summary, timelineData), ...(added.length > 0 ? [timelineInsert(tx, viewer.organizationId, viewer.userId, added)] : []), ...follow]
    : follow;
  const returning = wanted ? true : (['id', 'customFields'] as const);
  // Rows come back in the order of their values.
  const writesOf = (rows: readonly Record<string, unknown>[]): RecordWrite[] =>
    rows.map((created, index) => {
      const draft = drafts[index];
      return { module: kind.module, kind: 'created', before: null, after: created, changes: createdChanges(draft?.values ?? {}), source, ...(draft ? { state: draft.state } : {}) };
    });
  if (afterWrites && isOpenTransaction(tx)) {
    const { query, read } = insertRowsThenQuery(tx, kind.table as PgTable, rowValues, returning, follows);
    // Inserts only, with keys to users and organisations: its foreign-key checks may keep their plans.
    const [, inserted] = readBehind(tx, () => withGenericPlansAround([query]).map((statement) => tx.execute(statement)));
    // The rows are read only when the hooks run: a failed insert then has no reader left unhandled.
    await afterWrites(wanted && inserted ? async () => runAfterWriteMany(tx, viewer, writesOf(read(await inserted))) : null);
    return drafts.map((draft) => ({ id: draft.id, customFields: (draft.values['customFields'] ?? {}) as Record<string, unknown> }));
  }
  // Inserts only, with keys to users and organisations: its foreign-key checks may keep their plans.
  const rows = (await withGenericPlans(tx, () => insertRowsThen(tx, kind.table as PgTable, rowValues, returning, follows))) as (RowOf<T> & CreatedRecord)[];
  if (wanted) await runAfterWriteMany(tx, viewer, writesOf(rows));
  return rows;
}

/** Checks a record named in an input (e.g. `accountId`) exists for the viewer and is not deleted. */
export async function assertReference<T extends RecordTable>(tx: Db, viewer: Viewer, kind: RecordKind<T>, id: string, field: string): Promise<RowOf<T>> {
  const [row] = await tx
    .select()
    .from(kind.table as PgTable)
    .where(and(recordScope(viewer, kind.module, kind.table, id), isNull(kind.table.deletedAt)));
  if (!row) throw new DomainError('NOT_FOUND', labelled`${field}: ${nameOf(kind)} not found`, { field });
  return row as RowOf<T>;
}
