import { and, isNull, sql, type SQL } from 'drizzle-orm';
import { badInput } from '../../shared/errors.js';
import { isHiddenField, readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { criterionSql } from './criteria-sql.js';
import type { ColumnMeta, ColumnType, ReportDefinition } from './report-definition.js';
import { reportSource, type ReportField, type ReportModule } from './report-fields.js';

export const MAX_GROUP_FIELDS = 2;
export const MAX_REPORT_LIMIT = 100_000;

export interface CompiledReport {
  /** The whole report as one statement (filters, grouping and aggregation all in SQL). */
  readonly query: SQL;
  readonly columns: ColumnMeta[];
}

/** Double-quoted identifier for a column key (keys come from the whitelist, quoting keeps them inert). */
export const ident = (key: string): SQL => sql.raw(`"${key.replace(/"/g, '""')}"`);

/** Driver-independent output: every driver returns text, int and boolean alike. */
export function outputSql(type: ColumnType, expr: SQL): SQL {
  switch (type) {
    case 'ID':
    case 'STRING':
    case 'DECIMAL':
      return sql`(${expr})::text`;
    case 'INTEGER':
      return sql`(${expr})::int`;
    case 'DATE':
      return sql`to_char(${expr}, 'YYYY-MM-DD')`;
    case 'DATETIME':
      return sql`to_char((${expr}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'BOOLEAN':
      return sql`(${expr})::boolean`;
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

const NUMERIC: ReadonlySet<ColumnType> = new Set(['INTEGER', 'DECIMAL']);
const COMPARABLE: ReadonlySet<ColumnType> = new Set(['INTEGER', 'DECIMAL', 'DATE', 'DATETIME', 'STRING']);

export function validTimeZone(path: string, zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    throw badInput(path, `${zone} is not a known time zone`);
  }
}

function fieldOf(fields: ReadonlyMap<string, ReportField>, module: ReportModule, path: string, apiName: string | null | undefined): ReportField {
  const found = apiName ? fields.get(apiName) : undefined;
  if (!found) throw badInput(path, `${module} has no reportable field ${apiName ?? '(none)'}`);
  return found;
}

interface Selected {
  readonly meta: ColumnMeta;
  readonly inner: SQL;
}

/**
 * A report definition as one SQL statement over what the viewer may read. The inner query groups
 * and aggregates on raw values; the outer one orders by them and casts for output.
 */
export function compileReport(viewer: Viewer, module: ReportModule, definition: ReportDefinition, cap: number | null, custom: readonly ReportField[] = []): CompiledReport {
  const source = reportSource(module);
  const all: ReadonlyMap<string, ReportField> = custom.length === 0 ? source.fields : new Map([...source.fields, ...custom.map((f) => [f.apiName, f] as const)]);
  // A field the viewer's profile hides cannot be grouped, aggregated, shown or filtered on.
  const fields = new Map([...all].filter(([apiName]) => !isHiddenField(viewer, source.crmModule, apiName)));
  const zone = validTimeZone('timeZone', definition.timeZone);
  if (definition.groupBy.length > MAX_GROUP_FIELDS) throw badInput('groupBy', `group by at most ${MAX_GROUP_FIELDS} fields`);
  const selected: Selected[] = [];
  const keys = new Set<string>();
  const add = (meta: ColumnMeta, inner: SQL, path: string): void => {
    if (keys.has(meta.key)) throw badInput(path, `column ${meta.key} appears twice`);
    keys.add(meta.key);
    selected.push({ meta, inner });
  };

  definition.groupBy.forEach((group, i) => {
    const path = `groupBy[${i}]`;
    const target = fieldOf(fields, module, `${path}.field`, group.field);
    if (!group.bucket) {
      add({ key: target.apiName, label: target.label, type: target.type }, target.expression, path);
      return;
    }
    if (target.type !== 'DATE' && target.type !== 'DATETIME') throw badInput(`${path}.bucket`, `${target.apiName} is not a date: it cannot be bucketed`);
    const unit = sql.raw(`'${group.bucket.toLowerCase()}'`);
    const local = target.type === 'DATE' ? sql`(${target.expression})::timestamp` : sql`(${target.expression}) at time zone ${zone}`;
    add({ key: `${target.apiName}_${group.bucket.toLowerCase()}`, label: `${target.label} (${group.bucket.toLowerCase()})`, type: 'DATE' }, sql`date_trunc(${unit}, ${local})::date`, path);
  });

  definition.aggregates.forEach((aggregate, i) => {
    const path = `aggregates[${i}]`;
    if (aggregate.function === 'COUNT') {
      if (!aggregate.field) return add({ key: 'count', label: 'Count', type: 'INTEGER' }, sql`count(*)`, path);
      const target = fieldOf(fields, module, `${path}.field`, aggregate.field);
      return add({ key: `count_${target.apiName}`, label: `Count of ${target.label}`, type: 'INTEGER' }, sql`count(${target.expression})`, path);
    }
    const target = fieldOf(fields, module, `${path}.field`, aggregate.field);
    const fn = aggregate.function;
    const key = `${fn.toLowerCase()}_${target.apiName}`;
    const label = `${fn.charAt(0)}${fn.slice(1).toLowerCase()} of ${target.label}`;
    if (fn === 'SUM' || fn === 'AVG') {
      if (!NUMERIC.has(target.type)) throw badInput(`${path}.field`, `${fn} needs a numeric field; ${target.apiName} is not`);
      // numeric arithmetic: exact sums; averages rounded to cents.
      const value = fn === 'SUM' ? sql`coalesce(sum((${target.expression})::numeric), 0)` : sql`round(avg((${target.expression})::numeric), 2)`;
      return add({ key, label, type: 'DECIMAL' }, value, path);
    }
    if (!COMPARABLE.has(target.type)) throw badInput(`${path}.field`, `${fn} does not apply to ${target.apiName}`);
    return add({ key, label, type: target.type }, fn === 'MIN' ? sql`min(${target.expression})` : sql`max(${target.expression})`, path);
  });

  const grouped = definition.groupBy.length > 0 || definition.aggregates.length > 0;
  if (!grouped) {
    const listed = definition.columns.length > 0 ? definition.columns : ['id'];
    listed.forEach((apiName, i) => {
      const target = fieldOf(fields, module, `columns[${i}]`, apiName);
      add({ key: target.apiName, label: target.label, type: target.type }, target.expression, `columns[${i}]`);
    });
  } else if (definition.columns.length > 0) {
    throw badInput('columns', 'columns list records; a grouped report shows its groups and aggregates');
  }

  const conditions = definition.filters.map((criterion, i) => criterionSql(`filters[${i}]`, fieldOf(fields, module, `filters[${i}].field`, criterion.field), criterion));
  const where = and(readScope(viewer, source.crmModule, source.table), isNull(source.table.deletedAt), ...conditions) as SQL;

  const orderBy = definition.orderBy.map((order, i) => {
    if (!keys.has(order.column)) throw badInput(`orderBy[${i}].column`, `${order.column} is not a column of this report`);
    return sql`r.${ident(order.column)} ${sql.raw(order.direction === 'DESC' ? 'desc nulls last' : 'asc nulls last')}`;
  });
  // Grouped reports read in group order unless told otherwise.
  if (orderBy.length === 0) definition.groupBy.forEach((_g, i) => orderBy.push(sql`r.${ident(selected[i]?.meta.key ?? '')} asc nulls last`));

  if (definition.limit !== null && (!Number.isInteger(definition.limit) || definition.limit < 1 || definition.limit > MAX_REPORT_LIMIT)) {
    throw badInput('limit', `limit must be between 1 and ${MAX_REPORT_LIMIT}`);
  }
  const limits = [definition.limit, cap].filter((n): n is number => n !== null);
  const limit = limits.length > 0 ? Math.min(...limits) : null;

  const innerList = sql.join(selected.map((s) => sql`${s.inner} as ${ident(s.meta.key)}`), sql`, `);
  const groupPositions = definition.groupBy.map((_g, i) => sql.raw(String(i + 1)));
  const inner = sql`select ${innerList} from ${source.from} where ${where}${groupPositions.length > 0 ? sql` group by ${sql.join(groupPositions, sql`, `)}` : sql``}`;
  const outerList = sql.join(selected.map((s) => sql`${outputSql(s.meta.type, sql`r.${ident(s.meta.key)}`)} as ${ident(s.meta.key)}`), sql`, `);
  const query = sql`select ${outerList} from (${inner}) r${orderBy.length > 0 ? sql` order by ${sql.join(orderBy, sql`, `)}` : sql``}${limit !== null ? sql` limit ${limit}` : sql``}`;
  return { query, columns: selected.map((s) => s.meta) };
}
