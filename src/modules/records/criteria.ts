import { and, gt, ilike, isNotNull, isNull, lt, not, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { badInput } from '../../shared/errors.js';
import { storageOf, type FieldType as CustomFieldType } from '../customization/field-types.js';
import { containsPattern } from './record-list.js';
import { fieldColumns } from '../../db/columns.js';

/**
 * The one criteria language of automation: scoring rules, assignment entries, territories (and
 * workflows, reports and imports) describe "which records" with a list of these, all of which must
 * hold. A criterion is evaluated in JS on a row (in the writer's transaction) or compiled to SQL.
 * Text compares case-insensitively; list fields (tags) match when any element does.
 */

export const OPERATORS = ['EQUALS', 'NOT_EQUALS', 'CONTAINS', 'IN', 'NOT_IN', 'GREATER_THAN', 'LESS_THAN', 'BETWEEN', 'IS_EMPTY', 'IS_NOT_EMPTY'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Criterion {
  readonly field: string;
  readonly operator: Operator;
  /** EQUALS, NOT_EQUALS, CONTAINS, GREATER_THAN, LESS_THAN. */
  readonly value?: string | number | boolean | null;
  /** IN, NOT_IN, and BETWEEN's [low, high]. */
  readonly values?: readonly (string | number | boolean)[] | null;
}

export type FieldType = 'text' | 'number' | 'date' | 'boolean' | 'list';

export interface FieldInfo {
  readonly type: FieldType;
  /** The column, when the field is one. */
  readonly column?: PgColumn;
  /** A custom field's value read from the record's `custom_fields` JSON, typed (SQL filters). */
  readonly expression?: SQL;
  /** A custom picklist's values: criteria must name one of them (spelled as the list spells it). */
  readonly options?: readonly string[];
  /** Custom fields: the field's type as the organisation defined it, for messages and checks. */
  readonly customType?: CustomFieldType;
}

/** The fields criteria may name on one module's records. */
export type FieldCatalog = ReadonlyMap<string, FieldInfo>;

/** Reads a field from a row; the default is the row's own property (the Drizzle column name). */
export type FieldValue = (row: Readonly<Record<string, unknown>>, field: string) => unknown;

/** Custom fields are named like reports and the timeline name them: `customFields.<apiName>`. */
export const CUSTOM_FIELD_PREFIX = 'customFields.';

/** A standard field is the row's property; a custom field is a key of the row's `customFields` object. */
const ownProperty: FieldValue = (row, field) => {
  if (!field.startsWith(CUSTOM_FIELD_PREFIX)) return row[field];
  const values = row['customFields'];
  return values && typeof values === 'object' ? (values as Record<string, unknown>)[field.slice(CUSTOM_FIELD_PREFIX.length)] : undefined;
};

/** Keys and bookkeeping no rule should test. */
const HIDDEN = new Set(['organizationId', 'id', 'version', 'deletedAt', 'createdById', 'boardRank', 'socialHandles', 'territoryIds', 'score']);

function typeOf(column: PgColumn): FieldType {
  if (column.columnType === 'PgArray') return 'list';
  if (column.dataType === 'number' || column.columnType === 'PgNumeric') return 'number';
  if (column.dataType === 'date' || column.columnType === 'PgDateString') return 'date';
  if (column.dataType === 'boolean') return 'boolean';
  return 'text';
}

/** How criteria treat each custom field type (dates and date-times compare as instants). */
function customTypeOf(type: CustomFieldType): FieldType {
  switch (storageOf(type)) {
    case 'number':
      return 'number';
    case 'time':
      return 'date';
    case 'bool':
      return 'boolean';
    case 'texts':
      return 'list';
    case 'text':
      return type === 'DATE' ? 'date' : 'text';
    default:
      return 'text';
  }
}

/**
 * The SQL reading one custom value from the record's `custom_fields` JSON, typed as criteria
 * compare it (the API name is a bound parameter). A DATE is midnight UTC, as the JS evaluator reads it.
 */
function customExpression(json: PgColumn, apiName: string, type: CustomFieldType): SQL {
  const raw = sql`(${json} ->> ${apiName}::text)`;
  switch (storageOf(type)) {
    case 'number':
      return sql`(${raw})::numeric`;
    case 'time':
      return sql`(${raw})::timestamptz`;
    case 'bool':
      return sql`(${raw})::boolean`;
    case 'texts':
      return sql`array(select jsonb_array_elements_text(case when jsonb_typeof(${json} -> ${apiName}::text) = 'array' then ${json} -> ${apiName}::text else '[]'::jsonb end))`;
    case 'text':
      return type === 'DATE' ? sql`((${raw})::date::timestamp at time zone 'UTC')` : raw;
    default:
      return raw;
  }
}

/** A custom field as criteria see it. */
export interface CustomFieldShape {
  readonly apiName: string;
  readonly type: CustomFieldType;
  readonly options: readonly string[];
}

/** Catalog entries `customFields.<apiName>` for a module's custom fields; `json` is the table's `custom_fields` column. */
export function customFieldEntries(json: PgColumn | undefined, fields: readonly CustomFieldShape[]): [string, FieldInfo][] {
  return fields.map((field) => [
    `${CUSTOM_FIELD_PREFIX}${field.apiName}`,
    {
      type: customTypeOf(field.type),
      customType: field.type,
      ...(json ? { expression: customExpression(json, field.apiName, field.type) } : {}),
      ...(field.type === 'PICKLIST' || field.type === 'MULTI_PICKLIST' ? { options: field.options } : {}),
    },
  ]);
}

/** A module's standard fields from its table, plus `extra` (custom fields: `customFieldEntries`). */
export function tableCatalog(table: PgTable, extra: Iterable<readonly [string, FieldInfo]> = []): FieldCatalog {
  const catalog = new Map<string, FieldInfo>();
  for (const [field, column] of Object.entries(fieldColumns(table))) {
    if (!HIDDEN.has(field) && field !== 'customFields') catalog.set(field, { type: typeOf(column), column });
  }
  for (const [field, info] of extra) catalog.set(field, info);
  return catalog;
}

type Scalar = string | number | boolean;

const isScalar = (value: unknown): value is Scalar => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Checks a criterion from an API input against the module's fields; returns it normalised. */
export function validateCriterion(catalog: FieldCatalog, input: { field: string; operator: Operator; value?: unknown; values?: readonly unknown[] | null | undefined }, path: string): Criterion {
  const info = catalog.get(input.field);
  if (!info) throw badInput(`${path}.field`, `Unknown field "${input.field}"; one of ${[...catalog.keys()].join(', ')}`);
  const needsValue = ['EQUALS', 'NOT_EQUALS', 'CONTAINS', 'GREATER_THAN', 'LESS_THAN'].includes(input.operator);
  const needsValues = ['IN', 'NOT_IN', 'BETWEEN'].includes(input.operator);
  if (needsValue && !isScalar(input.value)) throw badInput(`${path}.value`, `${input.operator} needs a value`);
  if (needsValues && (!input.values || input.values.length === 0 || !input.values.every(isScalar))) throw badInput(`${path}.values`, `${input.operator} needs values`);
  if (input.operator === 'BETWEEN' && input.values?.length !== 2) throw badInput(`${path}.values`, 'BETWEEN needs exactly two values: [low, high]');
  const ordered = input.operator === 'GREATER_THAN' || input.operator === 'LESS_THAN' || input.operator === 'BETWEEN';
  if (ordered && info.type !== 'number' && info.type !== 'date') throw badInput(`${path}.operator`, `${input.operator} applies to numbers and dates; ${input.field} is ${info.type}`);
  const checkOrdered = (value: unknown, at: string): void => {
    if (info.type === 'number' && !Number.isFinite(Number(value))) throw badInput(at, `${input.field} compares with numbers`);
    if (info.type === 'date' && Number.isNaN(new Date(String(value)).getTime())) throw badInput(at, `${input.field} compares with dates`);
  };
  if (ordered && needsValue) checkOrdered(input.value, `${path}.value`);
  if (ordered && needsValues) input.values?.forEach((value, index) => checkOrdered(value, `${path}.values.${index}`));
  // Values take the field's type, so both evaluators compare numbers as numbers ("1500000.00" = 1500000).
  const typed = (value: unknown): Scalar => {
    if (info.type === 'number') return Number(value);
    if (info.type === 'date') return new Date(String(value)).toISOString();
    if (info.type === 'boolean') return value === true || String(value).toLowerCase() === 'true';
    return String(value);
  };
  if (info.type === 'number' && (needsValue || needsValues)) {
    const all = needsValue ? [input.value] : (input.values ?? []);
    if (input.operator !== 'CONTAINS' && !all.every((value) => Number.isFinite(Number(value)))) throw badInput(`${path}.value`, `${input.field} compares with numbers`);
  }
  if (info.customType) checkCustom(info, input, path);
  // A picklist value is stored as the list spells it: criteria take that spelling too.
  const spelled = (value: Scalar): Scalar => (info.options && typeof value === 'string' ? (info.options.find((option) => option.toLowerCase() === value.trim().toLowerCase()) ?? value) : value);
  return {
    field: input.field,
    operator: input.operator,
    ...(needsValue ? { value: input.operator === 'CONTAINS' ? String(input.value) : spelled(typed(input.value)) } : {}),
    ...(needsValues ? { values: (input.values ?? []).map((value) => spelled(typed(value))) } : {}),
  };
}

/** A custom field's own type rules: text search on text only, picklists compare with their values, booleans with true or false. */
function checkCustom(info: FieldInfo, input: { field: string; operator: Operator; value?: unknown; values?: readonly unknown[] | null | undefined }, path: string): void {
  const given = input.values ?? (input.value === undefined || input.value === null ? [] : [input.value]);
  if (input.operator === 'CONTAINS' && info.type !== 'text' && info.type !== 'list') throw badInput(`${path}.operator`, `CONTAINS applies to text fields; ${input.field} is ${info.customType ?? info.type}`);
  if (info.options && input.operator !== 'CONTAINS') {
    given.forEach((value, index) => {
      const known = typeof value === 'string' && info.options?.some((option) => option.toLowerCase() === value.trim().toLowerCase());
      if (!known) throw badInput(input.values ? `${path}.values.${index}` : `${path}.value`, `${input.field} is a picklist: one of ${info.options?.join(', ')}`, { allowed: [...(info.options ?? [])] });
    });
  }
  if (info.type === 'boolean' && !given.every((value) => typeof value === 'boolean' || /^(true|false)$/i.test(String(value)))) {
    throw badInput(`${path}.value`, `${input.field} compares with true or false`);
  }
}

const text = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value)).trim().toLowerCase();

const empty = (value: unknown): boolean => value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);

/** A number for comparisons: numerics arrive as strings, dates as Dates or ISO strings. */
function ordinal(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const asNumber = Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(asNumber)) return asNumber;
  return new Date(String(value)).getTime();
}

/** Equality in the criterion value's type: numbers and dates by value, text case-insensitively. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T|$)/;

function same(value: unknown, candidate: unknown): boolean {
  if (typeof candidate === 'number') return ordinal(value) === candidate;
  if (value instanceof Date) return value.getTime() === ordinal(candidate);
  // A calendar date ("2026-03-01") equals the criterion's instant at its midnight UTC.
  if (typeof value === 'string' && typeof candidate === 'string' && ISO_DATE.test(value) && ISO_DATE.test(candidate)) return ordinal(value) === ordinal(candidate);
  return text(value) === text(candidate);
}

function scalarMatches(criterion: Criterion, value: unknown): boolean {
  switch (criterion.operator) {
    case 'EQUALS':
      return !empty(value) && same(value, criterion.value);
    case 'NOT_EQUALS':
      return empty(value) || !same(value, criterion.value);
    case 'CONTAINS':
      return !empty(value) && text(value).includes(text(criterion.value));
    case 'IN':
      return !empty(value) && (criterion.values ?? []).some((candidate) => same(value, candidate));
    case 'NOT_IN':
      return empty(value) || !(criterion.values ?? []).some((candidate) => same(value, candidate));
    case 'GREATER_THAN':
      return !empty(value) && ordinal(value) > ordinal(criterion.value);
    case 'LESS_THAN':
      return !empty(value) && ordinal(value) < ordinal(criterion.value);
    case 'BETWEEN': {
      const [low, high] = criterion.values ?? [];
      return !empty(value) && ordinal(value) >= ordinal(low) && ordinal(value) <= ordinal(high);
    }
    case 'IS_EMPTY':
      return empty(value);
    case 'IS_NOT_EMPTY':
      return !empty(value);
    default: {
      const unreachable: never = criterion.operator;
      return unreachable;
    }
  }
}

/** Whether one criterion holds for a row. On a list, positive operators need one element to match, negative ones all. */
export function criterionMatches(criterion: Criterion, row: Readonly<Record<string, unknown>>, fieldValue: FieldValue = ownProperty): boolean {
  const value = fieldValue(row, criterion.field);
  if (!Array.isArray(value) || criterion.operator === 'IS_EMPTY' || criterion.operator === 'IS_NOT_EMPTY') return scalarMatches(criterion, value);
  if (criterion.operator === 'NOT_EQUALS' || criterion.operator === 'NOT_IN') return value.every((element) => scalarMatches(criterion, element));
  return value.some((element) => scalarMatches(criterion, element));
}

/** Whether every criterion holds (an empty list matches every record). */
export const allMatch = (criteria: readonly Criterion[], row: Readonly<Record<string, unknown>>, fieldValue: FieldValue = ownProperty): boolean =>
  criteria.every((criterion) => criterionMatches(criterion, row, fieldValue));

/** Descriptions of the criteria of cached rules: a score's breakdown names each matching one, record after record. */
const descriptions = new WeakMap<Criterion, string>();

/** "title contains "Director"", for explanations. */
export function describeCriterion(criterion: Criterion): string {
  let description = descriptions.get(criterion);
  if (description === undefined) {
    description = describe(criterion);
    descriptions.set(criterion, description);
  }
  return description;
}

function describe(criterion: Criterion): string {
  const words = criterion.operator.toLowerCase().replace(/_/g, ' ');
  const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : String(value));
  if (criterion.operator === 'BETWEEN') return `${criterion.field} between ${show(criterion.values?.[0])} and ${show(criterion.values?.[1])}`;
  if (criterion.values) return `${criterion.field} ${words} [${criterion.values.map(show).join(', ')}]`;
  if (criterion.value === undefined) return `${criterion.field} ${words}`;
  return `${criterion.field} ${words} ${show(criterion.value)}`;
}

/**
 * The criterion as a WHERE condition, with the JS evaluator's semantics (case-insensitive text,
 * NULL counting as empty), for reports, sweeps and workflows' searches. Undefined for a field that
 * has no column (a custom field served by a resolver): the caller filters in JS then.
 */
export function criterionSql(criterion: Criterion, catalog: FieldCatalog): SQL | undefined {
  const info = catalog.get(criterion.field);
  const column = info?.column ?? info?.expression;
  if (!info || !column) return undefined;
  const lower = (value: unknown): string => text(value);
  // A parameter per value: an array parameter would be expanded into a row by drizzle.
  const textList = (values: readonly unknown[]): SQL => sql`(${sql.join(values.map((value) => sql`${lower(value)}`), sql`, `)})`;
  if (info.type === 'list') {
    const element = sql`exists (select 1 from unnest(${column}) as e(v) where lower(btrim(e.v)) in ${textList(criterion.values ?? [criterion.value])})`;
    switch (criterion.operator) {
      case 'EQUALS':
      case 'IN':
        return element;
      case 'NOT_EQUALS':
      case 'NOT_IN':
        return not(element);
      case 'CONTAINS':
        return sql`exists (select 1 from unnest(${column}) as e(v) where e.v ilike ${containsPattern(String(criterion.value))})`;
      case 'IS_EMPTY':
        return sql`coalesce(cardinality(${column}), 0) = 0`;
      case 'IS_NOT_EMPTY':
        return sql`cardinality(${column}) > 0`;
      default:
        return sql`false`;
    }
  }
  const bind = (value: unknown): unknown => (info.type === 'date' ? new Date(String(value)) : info.type === 'number' ? Number(value) : value);
  // Trimmed like the in-memory evaluator's `text`, so rules and reports agree on " Web ".
  const asText = sql`lower(btrim(${column}::text))`;
  const byText = info.type === 'text' || info.type === 'boolean';
  // A custom expression has no column to bind by: its parameters are cast to the expression's type.
  const cast = info.column ? null : info.type === 'number' ? 'numeric' : info.type === 'date' ? 'timestamptz' : null;
  const param = (value: unknown): SQL => {
    const bound = bind(value);
    return cast ? sql`${bound instanceof Date ? bound.toISOString() : bound}::${sql.raw(cast)}` : sql`${bound}`;
  };
  const valueList = (values: readonly unknown[]): SQL => sql`(${sql.join(values.map(param), sql`, `)})`;
  const isEmpty = info.type === 'text' ? (or(isNull(column), sql`btrim(${column}) = ''`) as SQL) : isNull(column);
  switch (criterion.operator) {
    case 'EQUALS':
      return byText ? sql`${asText} = ${lower(criterion.value)}` : sql`${column} = ${param(criterion.value)}`;
    case 'NOT_EQUALS':
      return or(isEmpty, byText ? sql`${asText} <> ${lower(criterion.value)}` : sql`${column} <> ${param(criterion.value)}`) as SQL;
    case 'CONTAINS':
      return ilike(sql`${column}::text`, containsPattern(String(criterion.value)));
    case 'IN':
      return byText ? sql`${asText} in ${textList(criterion.values ?? [])}` : sql`${column} in ${valueList(criterion.values ?? [])}`;
    case 'NOT_IN':
      return or(isEmpty, byText ? sql`${asText} not in ${textList(criterion.values ?? [])}` : sql`${column} not in ${valueList(criterion.values ?? [])}`) as SQL;
    case 'GREATER_THAN':
      return info.column ? gt(info.column, bind(criterion.value)) : sql`${column} > ${param(criterion.value)}`;
    case 'LESS_THAN':
      return info.column ? lt(info.column, bind(criterion.value)) : sql`${column} < ${param(criterion.value)}`;
    case 'BETWEEN':
      return and(sql`${column} >= ${param(criterion.values?.[0])}`, sql`${column} <= ${param(criterion.values?.[1])}`) as SQL;
    case 'IS_EMPTY':
      return isEmpty;
    case 'IS_NOT_EMPTY':
      return and(isNotNull(column), not(isEmpty)) as SQL;
    default: {
      const unreachable: never = criterion.operator;
      return unreachable;
    }
  }
}

/** The name codegen maps the GraphQL `Criterion` type to (its own `Criterion` would clash). */
export type CriterionValue = Criterion;
