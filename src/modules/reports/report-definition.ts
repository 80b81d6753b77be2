/** A saved report's definition (stored as jsonb; validated against the field registry on save and run). */

export type CriterionOperator =
  | 'EQUALS'
  | 'NOT_EQUALS'
  | 'CONTAINS'
  | 'IN'
  | 'NOT_IN'
  | 'GREATER_THAN'
  | 'LESS_THAN'
  | 'BETWEEN'
  | 'IS_EMPTY'
  | 'IS_NOT_EMPTY';

/** The criteria language shared with scoring and workflows: one condition on one field. */
export interface Criterion {
  readonly field: string;
  readonly operator: CriterionOperator;
  readonly value?: unknown;
  readonly values?: readonly unknown[] | null;
}

export type DateBucket = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';
export type AggregateFunction = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

export interface GroupBy {
  readonly field: string;
  readonly bucket?: DateBucket | null;
}

export interface Aggregate {
  readonly function: AggregateFunction;
  readonly field?: string | null;
}

export interface OrderBy {
  readonly column: string;
  readonly direction: 'ASC' | 'DESC';
}

export interface ReportDefinition {
  readonly filters: readonly Criterion[];
  readonly groupBy: readonly GroupBy[];
  readonly aggregates: readonly Aggregate[];
  /** Listed fields of an ungrouped, unaggregated report (a plain list of records). */
  readonly columns: readonly string[];
  readonly orderBy: readonly OrderBy[];
  readonly limit: number | null;
  /** IANA zone that date buckets are cut in. */
  readonly timeZone: string;
}

/** Column types a client can rely on: DECIMAL is a string with exact digits, DATE "YYYY-MM-DD". */
export type ColumnType = 'ID' | 'STRING' | 'INTEGER' | 'DECIMAL' | 'DATE' | 'DATETIME' | 'BOOLEAN';

export interface ColumnMeta {
  readonly key: string;
  readonly label: string;
  readonly type: ColumnType;
}

/** The rows of a report or analytic: one object per row keyed by column key. */
export interface TabularResult {
  readonly columns: readonly ColumnMeta[];
  readonly rows: readonly Record<string, unknown>[];
}

/** A result as GraphQL returns it. */
export interface ResultValue extends TabularResult {
  readonly truncated: boolean;
}
