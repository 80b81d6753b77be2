import { and, eq, gte, ilike, inArray, lt, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { ActivityOrderField, CreateActivityInput, QueryActivitiesArgs, UpdateActivityInput } from '../../generated/graphql.js';
import { badInput } from '../../shared/errors.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { nonNegativeInt } from '../../shared/validation.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { markContactActivity } from '../contacts/contacts.service.js';
import { markLeadActivity } from '../leads/leads.service.js';
import { normaliseFields, rules, type FieldRules } from '../records/field-rules.js';
import { commonConditions, containsPattern, listRecords } from '../records/record-list.js';
import { ownerFor } from '../records/record-owner.js';
import { insertRecord, lockForUpdate, saveChanges, setDeleted } from '../records/record-store.js';
import { relatedColumnOf, relatedColumnsFor, relatedRefOf, type RelatedColumns } from '../records/related-record.js';
import { appendTimeline } from '../timeline/timeline.service.js';
import type { WriteSource } from '../records/record-hooks.js';
import { ACTIVITY } from './activities.kind.js';
import { activities, type ActivityRow } from './activities.table.js';
import { inTransaction } from '../../db/transaction.js';
import { syncCustomFieldValues, validateRecordWrite } from '../customization/record-validation.js';
import { customListParts, standardOrder } from '../customization/custom-field-list.js';

/** How each editable field is validated (workflow field updates use the same rules). */
export const FIELDS: FieldRules = {
  subject: rules.required(255),
  description: rules.text(32_000),
  status: rules.passthrough(),
  statusValue: rules.text(120),
  typeValue: rules.text(120),
  priority: rules.passthrough(),
  dueAt: rules.passthrough(),
  startAt: rules.passthrough(),
  endAt: rules.passthrough(),
  location: rules.text(255),
  callDirection: rules.passthrough(),
  callDurationSeconds: (field, value) => (value === null ? null : nonNegativeInt(field, value as number, 7 * 24 * 3600)),
  tags: rules.tags(),
};

const DONE = ['COMPLETED', 'CANCELLED'];

/** Rules that depend on several fields: meetings need a time span, calls a direction only. */
function checkShape(activity: { type: string; startAt: Date | null; endAt: Date | null; callDirection: string | null; callDurationSeconds: number | null }) {
  if (activity.type === 'MEETING') {
    if (!activity.startAt) throw badInput('startAt', 'A meeting needs startAt');
    if (!activity.endAt) throw badInput('endAt', 'A meeting needs endAt');
  }
  if (activity.startAt && activity.endAt && activity.endAt <= activity.startAt) throw badInput('endAt', 'endAt must be after startAt');
  if (activity.type !== 'CALL' && (activity.callDirection || activity.callDurationSeconds !== null)) {
    throw badInput('callDirection', 'Only calls have a direction and a duration');
  }
}

/** Calls and meetings that took place are interactions: they refresh the lead's or contact's engagement. */
async function markInteraction(tx: Db, viewer: Viewer, row: ActivityRow): Promise<void> {
  if (row.type === 'TASK' || row.status === 'CANCELLED') return;
  const at = row.status === 'COMPLETED' ? (row.completedAt ?? new Date()) : row.startAt;
  if (!at || at.getTime() > Date.now()) return;
  if (row.leadId) await markLeadActivity(tx, viewer.organizationId, [{ id: row.leadId, at }]);
  if (row.contactId) await markContactActivity(tx, viewer.organizationId, [{ id: row.contactId, at }]);
}

async function noteOnRelatedTimeline(tx: Db, viewer: Viewer, row: ActivityRow, kind: string, verb: string): Promise<void> {
  const related = relatedRefOf(row);
  if (!related) return;
  await appendTimeline(tx, viewer.organizationId, viewer.userId, [
    { recordType: related.type, recordId: related.id, kind, summary: `${row.typeValue} ${verb}: ${row.subject}`, data: { activityId: row.id } },
  ]);
}

const shapeOf = (type: string, values: Record<string, unknown>) => ({
  type,
  startAt: (values['startAt'] as Date | null) ?? null,
  endAt: (values['endAt'] as Date | null) ?? null,
  callDirection: (values['callDirection'] as string | null) ?? null,
  callDurationSeconds: (values['callDurationSeconds'] as number | null) ?? null,
});

/**
 * The validated, normalised fields of a new activity: the one check the API and imports share.
 * With `typeValue` only, the kind (and so the shape check) waits for the organisation's list.
 */
export function activityValues(viewer: Viewer, input: CreateActivityInput): Record<string, unknown> {
  const values: Record<string, unknown> = normaliseFields(FIELDS, input, viewer, 'create');
  if (input.type) values['type'] = input.type;
  // A status value alone brings its own kind (validateRecordWrite).
  if (values['statusValue'] === null) values['status'] ??= 'NOT_STARTED';
  values['priority'] ??= 'NORMAL';
  if (input.type) checkShape(shapeOf(input.type, values));
  return values;
}

/** Creates an activity inside the caller's transaction (the API and imports). */
export async function insertActivity(tx: Db, viewer: Viewer, input: CreateActivityInput, source: WriteSource = 'user'): Promise<ActivityRow> {
  const checked = await validateRecordWrite(tx, viewer, 'activities', { values: activityValues(viewer, input), customFields: input.customFields });
  const values = checked.values;
  if (typeof values['type'] !== 'string') throw badInput('type', 'An activity needs a type (TASK, CALL or MEETING) or a typeValue');
  checkShape(shapeOf(values['type'], values));
  if (DONE.includes(values['status'] as string)) values['completedAt'] = new Date();
  const related = input.relatedTo ? await relatedColumnsFor(tx, viewer, input.relatedTo) : {};
  const owner = await ownerFor(tx, viewer, input.ownerId, 'create');
  const row = await insertRecord(tx, viewer, ACTIVITY, { ...values, ...related, ...owner, customFields: checked.customFields ?? {} }, undefined, {}, source);
  await syncCustomFieldValues(tx, viewer, checked.config, row.id, {}, row.customFields);
  await noteOnRelatedTimeline(tx, viewer, row, 'ACTIVITY_ADDED', 'scheduled');
  await markInteraction(tx, viewer, row);
  return row;
}

export function createActivity(s: Session, input: CreateActivityInput): Promise<ActivityRow> {
  // Validated before the transaction opens, as before: a bad input costs no connection.
  activityValues(s.viewer, input);
  return inTransaction(s.db, (tx) => insertActivity(tx, s.viewer, input));
}

export async function updateActivity(s: Session, input: UpdateActivityInput): Promise<ActivityRow> {
  const values: Record<string, unknown> = normaliseFields(FIELDS, input, s.viewer, 'update');
  if (input.status === null) throw badInput('status', 'status cannot be cleared');
  if (input.priority === null) throw badInput('priority', 'priority cannot be cleared');
  if (input.statusValue === null) throw badInput('statusValue', 'statusValue cannot be cleared');
  if (input.typeValue === null) throw badInput('typeValue', 'typeValue cannot be cleared');
  return inTransaction(s.db, async (tx) => {
    const row = await lockForUpdate(tx, s.viewer, ACTIVITY, input.id, input.expectedVersion);
    const checked = await validateRecordWrite(tx, s.viewer, 'activities', { values, customFields: input.customFields }, { row, customFields: row.customFields });
    Object.assign(values, checked.values);
    // An activity stays a task, a call or a meeting: its type may change only to another of the same kind.
    if (values['type'] !== undefined && values['type'] !== row.type) {
      throw badInput('typeValue', `typeValue must be of kind ${row.type} like the activity's type`, { kind: row.type });
    }
    const merged = { ...row, ...values } as ActivityRow;
    checkShape(merged);
    if (values['status'] !== undefined && values['status'] !== row.status) {
      values['completedAt'] = DONE.includes(values['status'] as string) ? new Date() : null;
    }
    const related: Partial<RelatedColumns> =
      input.relatedTo === undefined
        ? {}
        : input.relatedTo === null
          ? { leadId: null, contactId: null, accountId: null, dealId: null }
          : await relatedColumnsFor(tx, s.viewer, input.relatedTo);
    const owner = await ownerFor(tx, s.viewer, input.ownerId, 'update');
    const { row: updated, changes } = await saveChanges(tx, s.viewer, ACTIVITY, row, { ...values, ...related, ...owner, customFields: checked.customFields });
    await syncCustomFieldValues(tx, s.viewer, checked.config, row.id, row.customFields, updated.customFields);
    if (changes.some((change) => change.field === 'status') && updated.status === 'COMPLETED') {
      await noteOnRelatedTimeline(tx, s.viewer, updated, 'ACTIVITY_COMPLETED', 'completed');
      await markInteraction(tx, s.viewer, updated);
    }
    return updated;
  });
}

export const deleteActivity = (s: Session, id: string): Promise<ActivityRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACTIVITY, id, true));
export const restoreActivity = (s: Session, id: string): Promise<ActivityRow> => inTransaction(s.db, (tx) => setDeleted(tx, s.viewer, ACTIVITY, id, false));

/** Lead conversion: the lead's activities now belong to the contact it became. */
export async function moveActivitiesFromLead(tx: Db, viewer: Viewer, leadId: string, contactId: string): Promise<void> {
  await tx
    .update(activities)
    .set({ leadId: null, contactId, updatedAt: new Date(), version: sql`${activities.version} + 1` })
    .where(and(eq(activities.organizationId, viewer.organizationId), eq(activities.leadId, leadId)));
}

const SORTS: Record<Exclude<ActivityOrderField, 'CUSTOM_FIELD'>, { key: Omit<SortKey, 'direction'>; value: (row: ActivityRow) => unknown }> = {
  CREATED_AT: { key: { column: activities.createdAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.createdAt },
  UPDATED_AT: { key: { column: activities.updatedAt, nullable: false, decode: (v) => new Date(v) }, value: (row) => row.updatedAt },
  DUE_AT: { key: { column: activities.dueAt, nullable: true, decode: (v) => new Date(v) }, value: (row) => row.dueAt },
  START_AT: { key: { column: activities.startAt, nullable: true, decode: (v) => new Date(v) }, value: (row) => row.startAt },
};

export async function listActivities(s: Session, args: QueryActivitiesArgs): Promise<Connection<ActivityRow>> {
  const filter = args.filter;
  const custom = await customListParts(s.db, s.viewer, 'activities', activities, filter?.customFields, args.orderBy);
  const conditions: (SQL | undefined)[] = commonConditions(activities, filter);
  if (filter?.type) conditions.push(inArray(activities.type, [...filter.type]));
  if (filter?.status) conditions.push(inArray(activities.status, [...filter.status]));
  if (filter?.typeValue) conditions.push(inArray(sql`lower(${activities.typeValue})`, filter.typeValue.map((value) => value.trim().toLowerCase())));
  if (filter?.statusValue) conditions.push(inArray(sql`lower(${activities.statusValue})`, filter.statusValue.map((value) => value.trim().toLowerCase())));
  if (filter?.relatedTo) conditions.push(eq(relatedColumnOf(activities, filter.relatedTo.type), filter.relatedTo.id));
  if (filter?.overdue != null) {
    const overdue = and(eq(activities.type, 'TASK'), notInArray(activities.status, DONE), lt(activities.dueAt, new Date())) as SQL;
    conditions.push(filter.overdue ? overdue : sql`not coalesce(${overdue}, false)`);
  }
  if (filter?.dueAfter) conditions.push(gte(activities.dueAt, filter.dueAfter));
  if (filter?.dueBefore) conditions.push(lt(activities.dueAt, filter.dueBefore));
  if (filter?.startAfter) conditions.push(gte(activities.startAt, filter.startAfter));
  if (filter?.startBefore) conditions.push(lt(activities.startAt, filter.startBefore));
  if (filter?.search && filter.search.trim() !== '') conditions.push(ilike(activities.subject, containsPattern(filter.search)));
  conditions.push(...custom.conditions);
  const sort = custom.sort ?? SORTS[standardOrder(args.orderBy)];
  return listRecords(s.db, s.viewer, 'activities', activities, {
    conditions,
    sort: { ...sort.key, direction: args.orderBy?.direction ?? 'DESC' },
    sortValue: sort.value,
    first: args.first,
    after: args.after,
  });
}

