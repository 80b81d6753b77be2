import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { badInput } from '../../shared/errors.js';
import { validTimeZone } from './report-compiler.js';

/** The parameters every built-in analytic takes (each reads the ones it needs). */
export interface AnalyticsParams {
  readonly pipelineId: string | null;
  /** Territories join as one more list here (`territoryIds`), filtered in `dealScope`. */
  readonly ownerIds: readonly string[] | null;
  readonly from: string | null;
  readonly to: string | null;
  readonly timeZone: string;
  readonly period: 'MONTH' | 'QUARTER';
  readonly groupBy: 'SOURCE' | 'OWNER';
  readonly module: 'LEADS' | 'CONTACTS';
  readonly limit: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw badInput(name, `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function dateParam(name: string, value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) throw badInput(name, `${name} must be a date (YYYY-MM-DD)`);
  return value;
}

/**
 * Parameters from GraphQL input, a dashboard component's stored JSON or a CSV URL's query
 * string, all validated here so every path refuses the same mistakes.
 */
export function parseAnalyticsParams(raw: Record<string, unknown> | null | undefined): AnalyticsParams {
  const input = raw ?? {};
  const pipelineId = input['pipelineId'] ?? null;
  if (pipelineId !== null && (typeof pipelineId !== 'string' || !UUID.test(pipelineId))) throw badInput('pipelineId', 'pipelineId must be an id');
  let ownerIds = input['ownerIds'] ?? null;
  if (typeof ownerIds === 'string') ownerIds = ownerIds.split(',').filter((id) => id !== '');
  if (ownerIds !== null && (!Array.isArray(ownerIds) || ownerIds.length > 500 || ownerIds.some((id) => typeof id !== 'string' || !UUID.test(id)))) {
    throw badInput('ownerIds', 'ownerIds must be a list of user ids');
  }
  const from = dateParam('from', input['from']);
  const to = dateParam('to', input['to']);
  if (from && to && from > to) throw badInput('to', 'to must not be before from');
  const limitRaw = input['limit'] ?? 100;
  const limit = typeof limitRaw === 'string' ? Number(limitRaw) : limitRaw;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) throw badInput('limit', 'limit must be between 1 and 10000');
  const timeZone = input['timeZone'];
  return {
    pipelineId,
    ownerIds: ownerIds as string[] | null,
    from,
    to,
    timeZone: typeof timeZone === 'string' && timeZone !== '' ? validTimeZone('timeZone', timeZone) : 'UTC',
    period: oneOf('period', input['period'], ['MONTH', 'QUARTER'], 'MONTH'),
    groupBy: oneOf('groupBy', input['groupBy'], ['SOURCE', 'OWNER'], 'SOURCE'),
    module: oneOf('module', input['module'], ['LEADS', 'CONTACTS'], 'LEADS'),
    limit,
  };
}

/** A stable key of the parameters, so equal requests share one query (dashboards). */
export function paramsKey(params: AnalyticsParams): string {
  return JSON.stringify(params);
}

/** `column` within [from, to] (whole days in the caller's time zone); nothing when open-ended. */
export function withinPeriod(column: PgColumn | SQL, params: AnalyticsParams): SQL[] {
  const conditions: SQL[] = [];
  if (params.from) conditions.push(sql`${column} >= (${params.from}::date)::timestamp at time zone ${params.timeZone}`);
  if (params.to) conditions.push(sql`${column} < (${params.to}::date + 1)::timestamp at time zone ${params.timeZone}`);
  return conditions;
}

/** A date column within [from, to]. */
export function withinDates(column: PgColumn, params: AnalyticsParams): SQL[] {
  const conditions: SQL[] = [];
  if (params.from) conditions.push(sql`${column} >= ${params.from}::date`);
  if (params.to) conditions.push(sql`${column} <= ${params.to}::date`);
  return conditions;
}

export function ownedBy(column: PgColumn, params: AnalyticsParams): SQL[] {
  return params.ownerIds ? [params.ownerIds.length === 0 ? sql`false` : sql`${column} in (${sql.join(params.ownerIds.map((id) => sql`${id}::uuid`), sql`, `)})`] : [];
}

/** Today's date in the caller's time zone. */
export const today = (params: AnalyticsParams): SQL => sql`(now() at time zone ${params.timeZone})::date`;
