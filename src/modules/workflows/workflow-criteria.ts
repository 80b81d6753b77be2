import { badInput } from '../../shared/errors.js';

/**
 * The criteria language of workflow rules: {field, operator, value | values} tested against a
 * record's row. Same shape as the scoring rules' criteria so the two can share one module.
 */

export const CRITERION_OPERATORS = [
  'EQUALS',
  'NOT_EQUALS',
  'CONTAINS',
  'IN',
  'NOT_IN',
  'GREATER_THAN',
  'LESS_THAN',
  'BETWEEN',
  'IS_EMPTY',
  'IS_NOT_EMPTY',
] as const;

export type CriterionOperator = (typeof CRITERION_OPERATORS)[number];

export interface Criterion {
  readonly field: string;
  readonly operator: CriterionOperator;
  readonly value?: unknown;
  readonly values?: readonly unknown[];
}

const isEmpty = (value: unknown): boolean => value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);

/** Numbers (and numeric strings such as a Decimal) as numbers, dates as time, text folded. */
function comparable(value: unknown): number | string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = String(value).trim();
  if (text !== '' && Number.isFinite(Number(text))) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) return Date.parse(text);
  return text.toLowerCase();
}

function same(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((item) => same(item, expected));
  return comparable(actual) === comparable(expected);
}

function order(actual: unknown, expected: unknown): number | null {
  const a = comparable(actual);
  const b = comparable(expected);
  if (a === null || b === null || typeof a !== typeof b) return null;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function criterionHolds(criterion: Criterion, row: Readonly<Record<string, unknown>>): boolean {
  const actual = row[criterion.field];
  const values = criterion.values ?? [];
  switch (criterion.operator) {
    case 'EQUALS':
      return same(actual, criterion.value);
    case 'NOT_EQUALS':
      return !same(actual, criterion.value);
    case 'CONTAINS':
      if (Array.isArray(actual)) return same(actual, criterion.value);
      return typeof actual === 'string' && actual.toLowerCase().includes(String(criterion.value ?? '').toLowerCase());
    case 'IN':
      return values.some((value) => same(actual, value));
    case 'NOT_IN':
      return !values.some((value) => same(actual, value));
    case 'GREATER_THAN':
      return (order(actual, criterion.value) ?? 0) > 0;
    case 'LESS_THAN':
      return (order(actual, criterion.value) ?? 0) < 0;
    case 'BETWEEN': {
      const low = order(actual, values[0]);
      const high = order(actual, values[1]);
      return low !== null && high !== null && low >= 0 && high <= 0;
    }
    case 'IS_EMPTY':
      return isEmpty(actual);
    case 'IS_NOT_EMPTY':
      return !isEmpty(actual);
  }
}

/** All criteria hold (an empty list always holds). */
export const criteriaHold = (criteria: readonly Criterion[], row: Readonly<Record<string, unknown>>): boolean => criteria.every((criterion) => criterionHolds(criterion, row));

/** Checks criteria from an input against the module's fields; returns them in stored form. */
export function parseCriteria(
  input: readonly { field: string; operator: CriterionOperator; value?: unknown; values?: readonly unknown[] | null | undefined }[],
  fields: ReadonlySet<string>,
  path = 'criteria',
): Criterion[] {
  return input.map((criterion, index) => {
    const at = `${path}[${index}]`;
    if (!fields.has(criterion.field)) throw badInput(`${at}.field`, `Unknown field "${criterion.field}"`);
    const needsValues = criterion.operator === 'IN' || criterion.operator === 'NOT_IN' || criterion.operator === 'BETWEEN';
    const needsValue = !needsValues && criterion.operator !== 'IS_EMPTY' && criterion.operator !== 'IS_NOT_EMPTY';
    if (needsValues && (!criterion.values || criterion.values.length === 0)) throw badInput(`${at}.values`, `${criterion.operator} needs values`);
    if (criterion.operator === 'BETWEEN' && criterion.values?.length !== 2) throw badInput(`${at}.values`, 'BETWEEN needs two values: low and high');
    if (needsValue && (criterion.value === undefined || criterion.value === null)) throw badInput(`${at}.value`, `${criterion.operator} needs a value`);
    return {
      field: criterion.field,
      operator: criterion.operator,
      ...(needsValue ? { value: criterion.value } : {}),
      ...(needsValues ? { values: [...(criterion.values ?? [])] } : {}),
    };
  });
}
