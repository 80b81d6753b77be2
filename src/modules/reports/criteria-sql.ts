import { sql, type SQL } from 'drizzle-orm';
import { badInput } from '../../shared/errors.js';
import type { ColumnType, Criterion } from './report-definition.js';
import type { ReportField } from './report-fields.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL = /^-?\d{1,16}(\.\d{1,10})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const ORDERED: ReadonlySet<ColumnType> = new Set(['INTEGER', 'DECIMAL', 'DATE', 'DATETIME', 'STRING']);

/** A criterion value as a typed SQL parameter; anything the column's type cannot hold is BAD_USER_INPUT. */
export function typedValue(path: string, type: ColumnType, value: unknown): SQL {
  const bad = (): never => {
    throw badInput(path, `${path} must be a ${type.toLowerCase()} value`);
  };
  switch (type) {
    case 'ID':
      if (typeof value !== 'string' || !UUID.test(value)) bad();
      return sql`${value}::uuid`;
    case 'STRING':
      if (typeof value !== 'string') bad();
      return sql`${value}::text`;
    case 'INTEGER':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) bad();
      return sql`${value}::bigint`;
    case 'DECIMAL': {
      // Strings keep every digit; numbers are accepted when they print exactly.
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text !== 'string' || !DECIMAL.test(text)) bad();
      return sql`${text}::numeric`;
    }
    case 'DATE':
      if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) bad();
      return sql`${value}::date`;
    case 'DATETIME':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) bad();
      return sql`${new Date(value as string).toISOString()}::timestamptz`;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') bad();
      return sql`${value}::boolean`;
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

function listOf(path: string, criterion: Criterion, min: number, max: number): readonly unknown[] {
  const values = criterion.values ?? [];
  if (values.length < min || values.length > max) {
    throw badInput(`${path}.values`, min === max ? `${criterion.operator} takes exactly ${min} values` : `${criterion.operator} takes ${min} to ${max} values`);
  }
  return values;
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One criterion as a WHERE condition on a whitelisted field (values always bound as parameters). */
export function criterionSql(path: string, target: ReportField, criterion: Criterion): SQL {
  const expr = target.expression;
  const one = (): SQL => typedValue(`${path}.value`, target.type, criterion.value);
  switch (criterion.operator) {
    case 'EQUALS':
      return sql`${expr} = ${one()}`;
    case 'NOT_EQUALS':
      return sql`${expr} is distinct from ${one()}`;
    case 'CONTAINS': {
      if (target.type !== 'STRING') throw badInput(`${path}.operator`, `CONTAINS applies to text fields, not ${target.apiName}`);
      if (typeof criterion.value !== 'string') throw badInput(`${path}.value`, 'CONTAINS takes a text value');
      return sql`${expr} ilike ${`%${escapeLike(criterion.value)}%`}`;
    }
    case 'IN':
    case 'NOT_IN': {
      const values = listOf(path, criterion, 1, 1000).map((v, i) => typedValue(`${path}.values[${i}]`, target.type, v));
      const list = sql.join(values, sql`, `);
      return criterion.operator === 'IN' ? sql`${expr} in (${list})` : sql`(${expr} is null or ${expr} not in (${list}))`;
    }
    case 'GREATER_THAN':
    case 'LESS_THAN':
      if (!ORDERED.has(target.type)) throw badInput(`${path}.operator`, `${criterion.operator} does not apply to ${target.apiName}`);
      return criterion.operator === 'GREATER_THAN' ? sql`${expr} > ${one()}` : sql`${expr} < ${one()}`;
    case 'BETWEEN': {
      if (!ORDERED.has(target.type)) throw badInput(`${path}.operator`, `BETWEEN does not apply to ${target.apiName}`);
      const [low, high] = listOf(path, criterion, 2, 2);
      return sql`${expr} between ${typedValue(`${path}.values[0]`, target.type, low)} and ${typedValue(`${path}.values[1]`, target.type, high)}`;
    }
    case 'IS_EMPTY':
      return target.type === 'STRING' ? sql`coalesce(${expr}, '') = ''` : sql`${expr} is null`;
    case 'IS_NOT_EMPTY':
      return target.type === 'STRING' ? sql`coalesce(${expr}, '') <> ''` : sql`${expr} is not null`;
    default: {
      const unreachable: never = criterion.operator;
      throw badInput(`${path}.operator`, `unknown operator ${String(unreachable)}`);
    }
  }
}
