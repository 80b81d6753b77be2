import { and, isNull, sql, type SQL } from 'drizzle-orm';
import { readScope } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { dealStageHistory } from '../deals/stage-history.table.js';
import { deals } from '../deals/deals.table.js';
import { pipelines, stages } from '../pipelines/pipelines.table.js';
import { ownedBy, today, withinDates, withinPeriod, type AnalyticsParams } from './analytics-params.js';
import type { ColumnMeta } from './report-definition.js';
import { forecastSettings, salesQuotas } from './reports.table.js';

/** Money to text with exactly two decimals, computed in numeric (never a float). */
const money = (expr: SQL): SQL => sql`(${expr})::numeric(20,2)::text`;
const weighted = sql`round(${deals.amount} * ${deals.probability} / 100.0, 2)`;
const isoDate = (expr: SQL | typeof deals.closingDate): SQL => sql`to_char(${expr}, 'YYYY-MM-DD')`;

/** Deals the viewer may read (not in the recycle bin), narrowed to the owners asked for. */
function dealScope(viewer: Viewer, params: AnalyticsParams): SQL[] {
  // Territories join here (`deals.territory_id in (...)`) once deals carry one.
  return [readScope(viewer, 'deals', deals), isNull(deals.deletedAt), ...ownedBy(deals.ownerId, params)];
}

const stageJoin = sql`${stages.organizationId} = ${deals.organizationId} and ${stages.id} = ${deals.stageId}`;

/** The pipeline asked for, or the organisation's default one. */
function pipelineOf(viewer: Viewer, params: AnalyticsParams): SQL {
  if (params.pipelineId) return sql`${params.pipelineId}::uuid`;
  return sql`(select ${pipelines.id} from ${pipelines} where ${readScope(viewer, 'pipelines', pipelines)} and ${pipelines.isDefault} limit 1)`;
}

export const PIPELINE_COLUMNS: ColumnMeta[] = [
  { key: 'stageId', label: 'Stage id', type: 'ID' },
  { key: 'stageName', label: 'Stage', type: 'STRING' },
  { key: 'stageKind', label: 'Kind', type: 'STRING' },
  // The first numeric column is what charts draw: the count, not the probability.
  { key: 'count', label: 'Deals', type: 'INTEGER' },
  { key: 'totalAmount', label: 'Total amount', type: 'DECIMAL' },
  { key: 'weightedAmount', label: 'Weighted amount', type: 'DECIMAL' },
  { key: 'probability', label: 'Probability', type: 'INTEGER' },
];

/**
 * Every stage of the pipeline with its deals' count, total and weighted amount (closing dates in
 * the period). Deals are aggregated per stage first (a hash aggregate down to one row per
 * stage), then joined to the stages, so empty stages show zeros without sorting every deal.
 */
export function pipelineByStage(viewer: Viewer, params: AnalyticsParams): SQL {
  const pipelineId = pipelineOf(viewer, params);
  const dealConditions = and(...dealScope(viewer, params), sql`${deals.pipelineId} = ${pipelineId}`, ...withinDates(deals.closingDate, params)) as SQL;
  return sql`select ${stages.id}::text as "stageId", ${stages.name} as "stageName", ${stages.kind} as "stageKind",
      coalesce(d.n, 0)::int as "count", ${money(sql`coalesce(d.total, 0)`)} as "totalAmount", ${money(sql`coalesce(d.weighted, 0)`)} as "weightedAmount",
      ${stages.probability} as "probability"
    from ${stages} left join (
      select ${deals.stageId} as stage_id, count(*) as n, sum(${deals.amount}) as total, sum(${weighted}) as weighted
      from ${deals} where ${dealConditions} group by ${deals.stageId}
    ) d on d.stage_id = ${stages.id}
    where ${readScope(viewer, 'pipelines', stages)} and ${stages.pipelineId} = ${pipelineId} and ${stages.deletedAt} is null
    order by ${stages.position}`;
}

export const FORECAST_COLUMNS: ColumnMeta[] = [
  { key: 'periodStart', label: 'Period', type: 'DATE' },
  { key: 'ownerId', label: 'Owner id (empty: total)', type: 'ID' },
  { key: 'expected', label: 'Expected', type: 'DECIMAL' },
  { key: 'committed', label: 'Committed', type: 'DECIMAL' },
  { key: 'bestCase', label: 'Best case', type: 'DECIMAL' },
  { key: 'closedWon', label: 'Closed won', type: 'DECIMAL' },
  { key: 'quota', label: 'Quota', type: 'DECIMAL' },
  { key: 'attainment', label: 'Attainment %', type: 'DECIMAL' },
];

/**
 * Forecast by closing month or quarter, per owner and in total (GROUPING SETS), with quotas.
 * Expected weights every deal by its probability; committed is won plus open deals at or above
 * the organisation's commit probability; best case is won plus every open deal.
 */
export function salesForecast(viewer: Viewer, params: AnalyticsParams): SQL {
  const unit = sql.raw(params.period === 'QUARTER' ? `'quarter'` : `'month'`);
  const bucket = sql`date_trunc(${unit}, ${deals.closingDate}::timestamp)::date`;
  const commit = sql`coalesce((select ${forecastSettings.commitProbability} from ${forecastSettings} where ${forecastSettings.organizationId} = ${viewer.organizationId}::uuid), 70)`;
  const won = sql`${stages.kind} = 'WON'`;
  const open = sql`${stages.kind} = 'OPEN'`;
  const where = and(...dealScope(viewer, params), sql`${deals.closingDate} is not null`, ...withinDates(deals.closingDate, params)) as SQL;
  const quotaScope = and(sql`q.organization_id = ${viewer.organizationId}::uuid`, sql`q.period = ${params.period}`, sql`q.period_start = f.period_start`) as SQL;
  const ownerQuota = params.ownerIds ? sql` and q.user_id in (${sql.join(params.ownerIds.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
  return sql`with f as (
      select ${bucket} as period_start, ${deals.ownerId} as owner_id, grouping(${deals.ownerId}) as is_total,
        coalesce(sum(${weighted}), 0) as expected,
        coalesce(sum(${deals.amount}) filter (where ${won} or (${open} and ${deals.probability} >= ${commit})), 0) as committed,
        coalesce(sum(${deals.amount}) filter (where ${won} or ${open}), 0) as best_case,
        coalesce(sum(${deals.amount}) filter (where ${won}), 0) as closed_won
      from ${deals} join ${stages} on ${stageJoin}
      where ${where}
      group by grouping sets ((${bucket}, ${deals.ownerId}), (${bucket}))
    ), fq as (
      select f.*, case when f.is_total = 1
          then (select sum(q.amount) from ${salesQuotas} q where ${quotaScope}${ownerQuota})
          else (select q.amount from ${salesQuotas} q where ${quotaScope} and q.user_id = f.owner_id) end as quota
      from f
    )
    select to_char(period_start, 'YYYY-MM-DD') as "periodStart", owner_id::text as "ownerId",
      ${money(sql`expected`)} as "expected", ${money(sql`committed`)} as "committed", ${money(sql`best_case`)} as "bestCase",
      ${money(sql`closed_won`)} as "closedWon", ${money(sql`quota`)} as "quota",
      case when quota > 0 then round(closed_won * 100 / quota, 2)::text end as "attainment"
    from fq order by period_start, is_total, owner_id`;
}

export const DEAL_METRICS_COLUMNS: ColumnMeta[] = [
  { key: 'won', label: 'Won', type: 'INTEGER' },
  { key: 'lost', label: 'Lost', type: 'INTEGER' },
  { key: 'winRate', label: 'Win rate %', type: 'DECIMAL' },
  { key: 'wonAmount', label: 'Won amount', type: 'DECIMAL' },
  { key: 'averageDealSize', label: 'Average deal size', type: 'DECIMAL' },
  { key: 'averageSalesCycleDays', label: 'Average sales cycle (days)', type: 'DECIMAL' },
];

/** Win rate, average won deal and average days from creation to won, for deals closed in the period. */
export function dealMetrics(viewer: Viewer, params: AnalyticsParams): SQL {
  const where = and(...dealScope(viewer, params), sql`${deals.closedAt} is not null`, ...withinPeriod(deals.closedAt, params), params.pipelineId ? sql`${deals.pipelineId} = ${params.pipelineId}::uuid` : undefined) as SQL;
  const won = sql`${stages.kind} = 'WON'`;
  return sql`select count(*) filter (where ${won})::int as "won", count(*) filter (where ${stages.kind} = 'LOST')::int as "lost",
      case when count(*) filter (where ${stages.kind} in ('WON', 'LOST')) > 0
        then round(count(*) filter (where ${won}) * 100.0 / count(*) filter (where ${stages.kind} in ('WON', 'LOST')), 2)::text end as "winRate",
      ${money(sql`coalesce(sum(${deals.amount}) filter (where ${won}), 0)`)} as "wonAmount",
      round(avg(${deals.amount}) filter (where ${won}), 2)::text as "averageDealSize",
      round((avg(extract(epoch from ${deals.closedAt} - ${deals.createdAt})) filter (where ${won}) / 86400)::numeric, 2)::text as "averageSalesCycleDays"
    from ${deals} join ${stages} on ${stageJoin} where ${where}`;
}

export const TIME_IN_STAGE_COLUMNS: ColumnMeta[] = [
  { key: 'stageId', label: 'Stage id', type: 'ID' },
  { key: 'stageName', label: 'Stage', type: 'STRING' },
  { key: 'transitions', label: 'Deals that left it', type: 'INTEGER' },
  { key: 'averageDays', label: 'Average days', type: 'DECIMAL' },
  { key: 'maxDays', label: 'Longest (days)', type: 'DECIMAL' },
];

/** How long deals stayed in each stage before leaving it (stage history, moves in the period). */
export function timeInStage(viewer: Viewer, params: AnalyticsParams): SQL {
  const h = dealStageHistory;
  const where = and(
    readScope(viewer, 'deals', h),
    sql`${h.fromStageId} is not null`,
    sql`${h.secondsInPreviousStage} is not null`,
    ...withinPeriod(h.movedAt, params),
    sql`${stages.pipelineId} = ${pipelineOf(viewer, params)}`,
    ...dealScope(viewer, params),
  ) as SQL;
  return sql`select ${stages.id}::text as "stageId", ${stages.name} as "stageName", count(*)::int as "transitions",
      round(avg(${h.secondsInPreviousStage}) / 86400.0, 2)::text as "averageDays",
      round(max(${h.secondsInPreviousStage}) / 86400.0, 2)::text as "maxDays"
    from ${h}
      join ${stages} on ${stages.organizationId} = ${h.organizationId} and ${stages.id} = ${h.fromStageId}
      join ${deals} on ${deals.organizationId} = ${h.organizationId} and ${deals.id} = ${h.dealId}
    where ${where}
    group by ${stages.id}, ${stages.name}, ${stages.position} order by ${stages.position}`;
}

export const DEAL_LIST_COLUMNS: ColumnMeta[] = [
  { key: 'dealId', label: 'Deal id', type: 'ID' },
  { key: 'name', label: 'Deal', type: 'STRING' },
  { key: 'ownerId', label: 'Owner id', type: 'ID' },
  { key: 'stageName', label: 'Stage', type: 'STRING' },
  { key: 'amount', label: 'Amount', type: 'DECIMAL' },
  { key: 'closingDate', label: 'Closing date', type: 'DATE' },
  { key: 'daysOverdue', label: 'Days overdue', type: 'INTEGER' },
];

function openDealList(viewer: Viewer, params: AnalyticsParams, condition: SQL, order: SQL): SQL {
  const where = and(...dealScope(viewer, params), sql`${stages.kind} = 'OPEN'`, condition) as SQL;
  return sql`select ${deals.id}::text as "dealId", ${deals.name} as "name", ${deals.ownerId}::text as "ownerId", ${stages.name} as "stageName",
      ${deals.amount}::text as "amount", ${isoDate(deals.closingDate)} as "closingDate",
      greatest(${today(params)} - ${deals.closingDate}, 0)::int as "daysOverdue"
    from ${deals} join ${stages} on ${stageJoin} where ${where} order by ${order} limit ${params.limit}`;
}

/** Open deals whose closing date has passed. */
export function slippingDeals(viewer: Viewer, params: AnalyticsParams): SQL {
  return openDealList(viewer, params, sql`${deals.closingDate} < ${today(params)}`, sql`${deals.closingDate}, ${deals.id}`);
}

/** Open deals closing in the current calendar month (in the caller's time zone). */
export function dealsClosingThisMonth(viewer: Viewer, params: AnalyticsParams): SQL {
  const month = sql`date_trunc('month', ${today(params)}::timestamp)::date`;
  return openDealList(
    viewer,
    params,
    sql`${deals.closingDate} >= ${month} and ${deals.closingDate} < (${month} + interval '1 month')::date`,
    sql`${deals.closingDate}, ${deals.id}`,
  );
}
