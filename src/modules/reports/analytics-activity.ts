import { and, isNull, sql, type SQL } from 'drizzle-orm';
import { activities } from '../activities/activities.table.js';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { contacts } from '../contacts/contacts.table.js';
import { leads } from '../leads/leads.table.js';
import { salesSignals } from '../signals/signals.table.js';
import { ownedBy, withinPeriod, type AnalyticsParams } from './analytics-params.js';
import type { ColumnMeta } from './report-definition.js';

const rate = (part: SQL, whole: SQL): SQL => sql`case when ${whole} > 0 then round(${part} * 100.0 / ${whole}, 2)::text end`;

export const LEAD_COUNT_COLUMNS: ColumnMeta[] = [
  { key: 'key', label: 'Value', type: 'STRING' },
  { key: 'count', label: 'Leads', type: 'INTEGER' },
];

function leadScope(viewer: Viewer, params: AnalyticsParams): SQL {
  return and(readScope(viewer, 'leads', leads), isNull(leads.deletedAt), ...ownedBy(leads.ownerId, params), ...withinPeriod(leads.createdAt, params)) as SQL;
}

/** Leads created in the period, counted by source or by status. */
export function leadsBy(column: 'leadSource' | 'status') {
  return (viewer: Viewer, params: AnalyticsParams): SQL =>
    sql`select ${leads[column]} as "key", count(*)::int as "count" from ${leads} where ${leadScope(viewer, params)}
      group by 1 order by 2 desc, 1 nulls last`;
}

export const CONVERSION_COLUMNS: ColumnMeta[] = [
  { key: 'key', label: 'Source or owner id', type: 'STRING' },
  { key: 'leads', label: 'Leads', type: 'INTEGER' },
  { key: 'converted', label: 'Converted', type: 'INTEGER' },
  { key: 'conversionRate', label: 'Conversion %', type: 'DECIMAL' },
];

/** Of the leads created in the period, how many were converted, by source or by owner. */
export function leadConversion(viewer: Viewer, params: AnalyticsParams): SQL {
  const key = params.groupBy === 'OWNER' ? sql`${leads.ownerId}::text` : sql`${leads.leadSource}`;
  const converted = sql`count(*) filter (where ${leads.convertedAt} is not null)`;
  return sql`select ${key} as "key", count(*)::int as "leads", ${converted}::int as "converted", ${rate(converted, sql`count(*)`)} as "conversionRate"
    from ${leads} where ${leadScope(viewer, params)} group by 1 order by 2 desc, 1 nulls last`;
}

export const ACTIVITY_COLUMNS: ColumnMeta[] = [
  { key: 'ownerId', label: 'Owner id', type: 'ID' },
  { key: 'type', label: 'Type', type: 'STRING' },
  { key: 'count', label: 'Activities', type: 'INTEGER' },
  { key: 'completed', label: 'Completed', type: 'INTEGER' },
];

/** Activities created in the period by owner and type. */
export function activitiesByOwner(viewer: Viewer, params: AnalyticsParams): SQL {
  const where = and(readScope(viewer, 'activities', activities), isNull(activities.deletedAt), ...ownedBy(activities.ownerId, params), ...withinPeriod(activities.createdAt, params)) as SQL;
  return sql`select ${activities.ownerId}::text as "ownerId", ${activities.type} as "type", count(*)::int as "count",
      (count(*) filter (where ${activities.status} = 'COMPLETED'))::int as "completed"
    from ${activities} where ${where} group by 1, 2 order by 1, 2`;
}

export const OVERDUE_COLUMNS: ColumnMeta[] = [
  { key: 'ownerId', label: 'Owner id', type: 'ID' },
  { key: 'count', label: 'Overdue tasks', type: 'INTEGER' },
  { key: 'oldestDueAt', label: 'Oldest due', type: 'DATETIME' },
];

/** Open tasks past their due time, per owner. */
export function overdueTasks(viewer: Viewer, params: AnalyticsParams): SQL {
  const where = and(
    readScope(viewer, 'activities', activities),
    isNull(activities.deletedAt),
    ...ownedBy(activities.ownerId, params),
    sql`${activities.type} = 'TASK'`,
    sql`${activities.status} not in ('COMPLETED', 'CANCELLED')`,
    sql`${activities.dueAt} < now()`,
  ) as SQL;
  return sql`select ${activities.ownerId}::text as "ownerId", count(*)::int as "count",
      to_char(min(${activities.dueAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "oldestDueAt"
    from ${activities} where ${where} group by 1 order by 2 desc, 1`;
}

export const SIGNAL_COLUMNS: ColumnMeta[] = [
  { key: 'day', label: 'Day', type: 'DATE' },
  { key: 'kind', label: 'Kind', type: 'STRING' },
  { key: 'count', label: 'Signals', type: 'INTEGER' },
];

/** Sales signals per day (in the caller's time zone) and kind. */
export function signalCounts(viewer: Viewer, params: AnalyticsParams): SQL {
  const where = and(readScope(viewer, 'signals', salesSignals), ...withinPeriod(salesSignals.occurredAt, params)) as SQL;
  return sql`select to_char((${salesSignals.occurredAt} at time zone ${params.timeZone})::date, 'YYYY-MM-DD') as "day", ${salesSignals.kind} as "kind", count(*)::int as "count"
    from ${salesSignals} where ${where} group by 1, 2 order by 1, 2`;
}

export const ENGAGEMENT_COLUMNS: ColumnMeta[] = [
  { key: 'level', label: 'Engagement', type: 'STRING' },
  { key: 'count', label: 'Records', type: 'INTEGER' },
];

/** Leads or contacts by engagement colour, from the organisation's thresholds (every colour listed). */
export function engagementDistribution(viewer: Viewer, params: AnalyticsParams): SQL {
  const table = params.module === 'CONTACTS' ? contacts : leads;
  const { hotDays, warmDays, coolingDays } = viewer.engagement;
  const age = sql`now() - ${table.lastActivityAt}`;
  const level = sql`case when ${table.lastActivityAt} is null then 'COLD'
      when ${age} < ${hotDays}::int * interval '1 day' then 'HOT'
      when ${age} < ${warmDays}::int * interval '1 day' then 'WARM'
      when ${age} < ${coolingDays}::int * interval '1 day' then 'COOLING' else 'COLD' end`;
  const where = and(readScope(viewer, params.module === 'CONTACTS' ? 'contacts' : 'leads', table), isNull(table.deletedAt), ...ownedBy(table.ownerId, params)) as SQL;
  return sql`select l.level as "level", coalesce(c.n, 0)::int as "count"
    from (values ('HOT', 1), ('WARM', 2), ('COOLING', 3), ('COLD', 4)) as l(level, position)
    left join (select ${level} as level, count(*) as n from ${table} where ${where} group by 1) c on c.level = l.level
    order by l.position`;
}
