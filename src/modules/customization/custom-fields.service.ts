import { newRowId } from '../../db/row-id.js';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { badInput, conflict, DomainError, labelled, mention } from '../../shared/errors.js';
import { optionalText, requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { FIELD_TYPES, normaliseValue, UNIQUE_TYPES, type FieldType } from './field-types.js';
import { customFields, customFieldValues, type CustomFieldRow } from './customization.table.js';
import { recordTableOf } from './record-tables.js';
import { CUSTOMIZABLE_MODULES, DEFAULT_LABELS, standardField, type CustomizableModule } from './standard-fields.js';

/** Administrators define, change, order, deactivate and delete custom fields. */

export interface NewCustomField {
  module: CustomizableModule;
  apiName: string;
  label: string;
  type: FieldType;
  required?: boolean | null | undefined;
  unique?: boolean | null | undefined;
  defaultValue?: unknown;
  options?: readonly string[] | null | undefined;
  lookupModule?: CustomizableModule | null | undefined;
  helpText?: string | null | undefined;
}

const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;
const MAX_FIELDS_PER_MODULE = 300;

function optionList(options: readonly string[] | null | undefined): string[] {
  const list = [...new Set((options ?? []).map((option, index) => requiredText(`options.${index}`, option, 120)))];
  if (list.length === 0) throw badInput('options', 'A picklist needs at least one option');
  if (list.length > 500) throw badInput('options', 'A picklist may have at most 500 options');
  const lower = new Set(list.map((option) => option.toLowerCase()));
  if (lower.size !== list.length) throw badInput('options', 'Options must differ by more than letter case');
  return list;
}

function checkDefault(field: { apiName: string; type: FieldType; options: readonly string[] }, value: unknown, country: string): unknown {
  if (value === undefined || value === null) return null;
  if (field.type === 'LOOKUP') throw badInput('defaultValue', 'A lookup cannot have a default value');
  return normaliseValue(field, value, country, 'defaultValue');
}

async function lockField(tx: Db, viewer: Viewer, id: string): Promise<CustomFieldRow> {
  const [row] = await tx
    .select()
    .from(customFields)
    .where(and(eq(customFields.organizationId, viewer.organizationId), eq(customFields.id, id)))
    .for('update');
  if (!row) throw new DomainError('NOT_FOUND', 'Custom field not found', { field: 'id' });
  return row;
}

export async function createCustomField(s: Session, input: NewCustomField): Promise<CustomFieldRow> {
  assertManages(s.viewer, 'fields');
  return inTransaction(s.db, (tx) => insertCustomField(tx, s.viewer, input));
}

/** Creates a field in the caller's transaction (templates use it too). */
export async function insertCustomField(tx: Db, viewer: Viewer, input: NewCustomField): Promise<CustomFieldRow> {
  const apiName = input.apiName.trim();
  if (!API_NAME.test(apiName)) throw badInput('apiName', 'apiName must start with a letter and hold only letters, digits and underscores (at most 60)');
  if (standardField(input.module, apiName)) throw badInput('apiName', `${apiName} is a standard field of this module`);
  if (!FIELD_TYPES.includes(input.type)) throw badInput('type', `type must be one of ${FIELD_TYPES.join(', ')}`);
  const label = requiredText('label', input.label, 120);
  const isPicklist = input.type === 'PICKLIST' || input.type === 'MULTI_PICKLIST';
  const options = isPicklist ? optionList(input.options) : [];
  if (!isPicklist && input.options && input.options.length > 0) throw badInput('options', 'Only picklists have options');
  const unique = input.unique ?? false;
  if (unique && !UNIQUE_TYPES.has(input.type)) throw badInput('unique', `Only ${[...UNIQUE_TYPES].join(', ')} fields can be unique`);
  if (input.type === 'LOOKUP' && !input.lookupModule) throw badInput('lookupModule', 'A lookup needs lookupModule');
  if (input.type !== 'LOOKUP' && input.lookupModule) throw badInput('lookupModule', 'Only lookups have a lookupModule');
  if (input.lookupModule && !CUSTOMIZABLE_MODULES.includes(input.lookupModule)) throw badInput('lookupModule', 'Unknown module');
  const defaultValue = checkDefault({ apiName, type: input.type, options }, input.defaultValue, viewer.country);
  const [existing] = await tx
    .select({ n: count(), last: sql<number | null>`max(${customFields.position})` })
    .from(customFields)
    .where(and(eq(customFields.organizationId, viewer.organizationId), eq(customFields.module, input.module)));
  if ((existing?.n ?? 0) >= MAX_FIELDS_PER_MODULE) throw new DomainError('PLAN_LIMIT', labelled`${mention(input.module, DEFAULT_LABELS[input.module].plural, true)} may have at most ${MAX_FIELDS_PER_MODULE} custom fields`);
  const [row] = await tx
    .insert(customFields)
    .values({
      organizationId: viewer.organizationId,
      id: newRowId(),
      module: input.module,
      apiName,
      label,
      type: input.type,
      required: input.required ?? false,
      isUnique: unique,
      defaultValue,
      options,
      lookupModule: input.lookupModule ?? null,
      helpText: optionalText('helpText', input.helpText ?? null, 500),
      position: (existing?.last ?? -1) + 1,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict(`The module already has a field with apiName ${apiName}`, { field: 'apiName' });
  return row;
}

export interface CustomFieldChanges {
  id: string;
  label?: string | null | undefined;
  options?: readonly string[] | null | undefined;
  required?: boolean | null | undefined;
  helpText?: string | null | undefined;
  defaultValue?: unknown;
}

export async function updateCustomField(s: Session, input: CustomFieldChanges): Promise<CustomFieldRow> {
  assertManages(s.viewer, 'fields');
  return inTransaction(s.db, async (tx) => {
    const row = await lockField(tx, s.viewer, input.id);
    const type = row.type as FieldType;
    const set: Partial<typeof customFields.$inferInsert> = {};
    if (input.label != null) set.label = requiredText('label', input.label, 120);
    if (input.options != null) {
      if (type !== 'PICKLIST' && type !== 'MULTI_PICKLIST') throw badInput('options', 'Only picklists have options');
      set.options = optionList(input.options);
    }
    if (input.required != null) set.required = input.required;
    if (input.helpText !== undefined) set.helpText = optionalText('helpText', input.helpText, 500);
    if (input.defaultValue !== undefined) {
      set.defaultValue = checkDefault({ apiName: row.apiName, type, options: set.options ?? row.options }, input.defaultValue, s.viewer.country);
    }
    if (Object.keys(set).length === 0) return row;
    const [updated] = await tx
      .update(customFields)
      .set(set)
      .where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.id, row.id)))
      .returning();
    return updated ?? row;
  });
}

export async function setCustomFieldActive(s: Session, id: string, active: boolean): Promise<CustomFieldRow> {
  assertManages(s.viewer, 'fields');
  const [row] = await s.db
    .update(customFields)
    .set({ active })
    .where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.id, id)))
    .returning();
  if (!row) throw new DomainError('NOT_FOUND', 'Custom field not found', { field: 'id' });
  return row;
}

export function listCustomFields(s: Session, module: CustomizableModule): Promise<CustomFieldRow[]> {
  return s.db
    .select()
    .from(customFields)
    .where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.module, module)))
    .orderBy(asc(customFields.position), asc(customFields.createdAt));
}

export async function reorderCustomFields(s: Session, module: CustomizableModule, ids: readonly string[]): Promise<CustomFieldRow[]> {
  assertManages(s.viewer, 'fields');
  return inTransaction(s.db, async (tx) => {
    const current = await tx
      .select()
      .from(customFields)
      .where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.module, module)))
      .for('update');
    const known = new Set(current.map((field) => field.id));
    if (ids.length !== known.size || new Set(ids).size !== ids.length || ids.some((id) => !known.has(id))) {
      throw badInput('ids', 'ids must list every custom field of the module exactly once');
    }
    for (const [position, id] of ids.entries()) {
      await tx.update(customFields).set({ position }).where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.id, id)));
    }
    return listCustomFields({ ...s, db: tx }, module);
  });
}

/** Deletes a field; when records hold values, only with explicit confirmation, and the values go too. */
export async function deleteCustomField(s: Session, id: string, confirmDeleteValues: boolean): Promise<{ deletedId: string; valuesRemoved: number }> {
  assertManages(s.viewer, 'fields');
  return inTransaction(s.db, async (tx) => {
    const field = await lockField(tx, s.viewer, id);
    const [held] = await tx
      .select({ n: count() })
      .from(customFieldValues)
      .where(and(eq(customFieldValues.organizationId, s.viewer.organizationId), eq(customFieldValues.fieldId, field.id)));
    const valuesRemoved = held?.n ?? 0;
    if (valuesRemoved > 0 && !confirmDeleteValues) {
      throw conflict(`${valuesRemoved} records hold a value for ${field.label}; send confirmDeleteValues: true to delete them with the field`, {
        field: 'confirmDeleteValues',
        valuesHeld: valuesRemoved,
      });
    }
    const table = recordTableOf(field.module as CustomizableModule);
    // The JSON copy on the records goes with the indexed values (those cascade with the field).
    await tx
      .update(table as PgTable)
      .set({ customFields: sql`${table.customFields} - ${field.apiName}::text` } as never)
      .where(and(eq(table.organizationId, s.viewer.organizationId), sql`${table.customFields} ? ${field.apiName}::text`));
    await tx.delete(customFields).where(and(eq(customFields.organizationId, s.viewer.organizationId), eq(customFields.id, field.id)));
    return { deletedId: field.id, valuesRemoved };
  });
}
