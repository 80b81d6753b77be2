import { and, arrayOverlaps, eq, gte, ilike, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import { badInput } from '../../shared/errors.js';
import type { SortKey } from '../../shared/pagination.js';
import type { Viewer } from '../auth/viewer.js';
import { containsPattern } from '../records/record-list.js';
import { normaliseValue, storageOf, type FieldType, type StorageColumn } from './field-types.js';
import { customFieldValues, type CustomFieldRow } from './customization.table.js';
import { activeFieldsOf } from './module-config.js';
import type { CustomizableModule } from './standard-fields.js';

/**
 * Custom fields in record lists: each condition is an EXISTS on `custom_field_values` (served by
 * its (organization_id, field_id, value, record_id) indexes), and a custom sort key is the
 * field's value read by primary key, so keyset pagination works unchanged.
 */

export interface CustomFieldConditionInput {
  apiName: string;
  equals?: unknown;
  in?: readonly unknown[] | null | undefined;
  min?: unknown;
  max?: unknown;
  contains?: string | null | undefined;
  isEmpty?: boolean | null | undefined;
}

interface OrderByInput {
  readonly field: string;
  readonly direction?: 'ASC' | 'DESC' | null | undefined;
  readonly customField?: string | null | undefined;
}

interface ListedTable {
  readonly organizationId: PgColumn;
  readonly id: PgColumn;
}

const COLUMNS = {
  text: customFieldValues.textValue,
  number: customFieldValues.numberValue,
  time: customFieldValues.timeValue,
  bool: customFieldValues.boolValue,
  texts: customFieldValues.textValues,
} as const;

const CASTS: Readonly<Record<StorageColumn, string>> = { text: 'text', number: 'numeric', time: 'timestamptz', bool: 'boolean', texts: 'text[]' };

const valueOf = (table: ListedTable, field: CustomFieldRow, column: StorageColumn, predicate?: SQL): SQL =>
  sql`exists (select 1 from ${customFieldValues} where ${customFieldValues.organizationId} = ${table.organizationId} and ${customFieldValues.fieldId} = ${field.id} and ${customFieldValues.recordId} = ${table.id}${predicate ? sql` and ${predicate}` : sql``} and ${COLUMNS[column]} is not null)`;

function conditionFor(table: ListedTable, field: CustomFieldRow, condition: CustomFieldConditionInput, country: string): SQL[] {
  const type = field.type as FieldType;
  const column = storageOf(type);
  const target = COLUMNS[column] as PgColumn;
  const name = `filter.customFields.${field.apiName}`;
  // Filter values are read like written values: "hot" finds the picklist's "Hot", emails are lower-cased.
  const scalarShape = { apiName: field.apiName, type: type === 'MULTI_PICKLIST' ? ('PICKLIST' as const) : type, options: field.options };
  const read = (value: unknown): unknown => {
    const normalised = normaliseValue(scalarShape, value, country, name);
    if (normalised === null) throw badInput(name, `${name} needs a value`);
    return column === 'time' ? new Date(normalised as string) : column === 'number' ? String(normalised) : normalised;
  };
  const parts: SQL[] = [];
  const values = [...(condition.equals !== undefined && condition.equals !== null ? [condition.equals] : []), ...(condition.in ?? [])].map(read);
  if (condition.equals !== undefined && condition.in) throw badInput(name, 'Give equals or in, not both');
  if (values.length > 0 || (condition.in && condition.in.length === 0)) {
    parts.push(
      valueOf(
        table,
        field,
        column,
        column === 'texts' ? arrayOverlaps(customFieldValues.textValues, values as string[]) : values.length === 1 ? eq(target, values[0]) : inArray(target, values),
      ),
    );
  }
  if (condition.min != null || condition.max != null) {
    if (column !== 'number' && column !== 'time' && type !== 'DATE') throw badInput(name, 'min and max apply to numbers, dates and date-times');
    if (condition.min != null) parts.push(valueOf(table, field, column, gte(target, read(condition.min))));
    if (condition.max != null) parts.push(valueOf(table, field, column, lte(target, read(condition.max))));
  }
  if (condition.contains != null && condition.contains.trim() !== '') {
    if (column !== 'text') throw badInput(name, 'contains applies to text fields');
    parts.push(valueOf(table, field, column, ilike(customFieldValues.textValue, containsPattern(condition.contains))));
  }
  if (condition.isEmpty != null) parts.push(condition.isEmpty ? sql`not ${valueOf(table, field, column)}` : valueOf(table, field, column));
  return parts;
}

/** A custom field's value as a sortable expression, and how a cursor's value is read back. */
function sortFor(table: ListedTable, field: CustomFieldRow): { key: Omit<SortKey, 'direction'>; value: (row: { customFields: Record<string, unknown> }) => unknown } {
  const column = storageOf(field.type as FieldType);
  if (column === 'texts') throw badInput('orderBy.customField', `${field.label} holds several values and cannot be sorted by`);
  const expression = sql`(select ${COLUMNS[column]} from ${customFieldValues} where ${customFieldValues.organizationId} = ${table.organizationId} and ${customFieldValues.fieldId} = ${field.id} and ${customFieldValues.recordId} = ${table.id})`;
  const cast = CASTS[column];
  return {
    key: { column: expression, nullable: true, decode: (value) => sql`${value}::${sql.raw(cast)}` },
    // Cursors carry strings: exact for decimals, and cast back by `decode`.
    value: (row) => {
      const value = row.customFields[field.apiName];
      return value === undefined || value === null ? null : String(value);
    },
  };
}

/** The conditions and (when asked for) the sort key a list's custom field arguments make. */
export async function customListParts<Row extends { customFields: Record<string, unknown> }>(
  db: Db,
  viewer: Viewer,
  module: CustomizableModule,
  table: ListedTable,
  conditions: readonly CustomFieldConditionInput[] | null | undefined,
  orderBy: OrderByInput | null | undefined,
): Promise<{ conditions: SQL[]; sort: { key: Omit<SortKey, 'direction'>; value: (row: Row) => unknown } | undefined }> {
  const sortsByCustom = orderBy?.field === 'CUSTOM_FIELD';
  if (!sortsByCustom && orderBy?.customField) throw badInput('orderBy.customField', 'customField needs field: CUSTOM_FIELD');
  if (sortsByCustom && !orderBy.customField) throw badInput('orderBy.customField', 'field: CUSTOM_FIELD needs customField (an apiName)');
  if (!sortsByCustom && (!conditions || conditions.length === 0)) return { conditions: [], sort: undefined };
  const fields = new Map((await activeFieldsOf(db, viewer.organizationId, [module])).map((field) => [field.apiName, field]));
  const fieldNamed = (apiName: string, argument: string): CustomFieldRow => {
    const field = fields.get(apiName);
    if (!field) throw badInput(argument, `No active custom field "${apiName}" on this module`);
    return field;
  };
  const parts = (conditions ?? []).flatMap((condition) => conditionFor(table, fieldNamed(condition.apiName, 'filter.customFields'), condition, viewer.country));
  const sort = sortsByCustom && orderBy.customField ? sortFor(table, fieldNamed(orderBy.customField, 'orderBy.customField')) : undefined;
  return { conditions: parts.length > 0 ? [and(...parts) as SQL] : [], sort };
}

/** The standard sort field of an `orderBy` (CREATED_AT when it sorts by a custom field or is absent). */
export function standardOrder<F extends string>(orderBy: { readonly field: F } | null | undefined): Exclude<F, 'CUSTOM_FIELD'> {
  const field = orderBy?.field;
  return (field === undefined || field === 'CUSTOM_FIELD' ? 'CREATED_AT' : field) as Exclude<F, 'CUSTOM_FIELD'>;
}
