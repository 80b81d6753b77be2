import type { AnalyticsParams as AnalyticsParamsInput, DealMetrics, Resolvers } from '../../generated/graphql.js';
import { signedIn, type GraphQLContext } from '../../server/context.js';
import { runAnalytic, type AnalyticName } from './analytics.js';
import { parseAnalyticsParams } from './analytics-params.js';
import type { ResultValue } from './report-definition.js';
import { createReportSchedule, deleteReportSchedule, listDeliveries } from './report-schedules.service.js';
import { createReport, deleteReport, getReport, listReports, reportFields, runReport, updateReport } from './reports.service.js';
import { getForecastSettings, listQuotas, setQuota, updateForecastSettings } from './quotas.service.js';

/** An analytic's rows; their keys are the GraphQL fields of its row type (the SQL aliases them so). */
async function rowsOf<T>(ctx: GraphQLContext, name: AnalyticName, params: AnalyticsParamsInput | null | undefined): Promise<T[]> {
  const s = signedIn(ctx);
  const result = await runAnalytic(s.db, s.viewer, name, parseAnalyticsParams(params as Record<string, unknown> | null | undefined));
  return result.rows as T[];
}

const ownerField = {
  owner: (row: { ownerId: string | null }, _args: unknown, ctx: GraphQLContext) => (row.ownerId ? signedIn(ctx).loaders.users.byId.load(row.ownerId) : null),
};

export const reportResolvers: Resolvers = {
  Query: {
    pipelineByStage: (_p, { params }, ctx) => rowsOf(ctx, 'PIPELINE_BY_STAGE', params),
    salesForecast: (_p, { params }, ctx) => rowsOf(ctx, 'SALES_FORECAST', params),
    leadsBySource: (_p, { params }, ctx) => rowsOf(ctx, 'LEADS_BY_SOURCE', params),
    leadsByStatus: (_p, { params }, ctx) => rowsOf(ctx, 'LEADS_BY_STATUS', params),
    leadConversion: (_p, { params }, ctx) => rowsOf(ctx, 'LEAD_CONVERSION', params),
    dealMetrics: async (_p, { params }, ctx) => {
      const [row] = await rowsOf<DealMetrics>(ctx, 'DEAL_METRICS', params);
      return row ?? { won: 0, lost: 0, wonAmount: '0.00', winRate: null, averageDealSize: null, averageSalesCycleDays: null };
    },
    timeInStage: (_p, { params }, ctx) => rowsOf(ctx, 'TIME_IN_STAGE', params),
    slippingDeals: (_p, { params }, ctx) => rowsOf(ctx, 'SLIPPING_DEALS', params),
    dealsClosingThisMonth: (_p, { params }, ctx) => rowsOf(ctx, 'DEALS_CLOSING_THIS_MONTH', params),
    activitiesByOwner: (_p, { params }, ctx) => rowsOf(ctx, 'ACTIVITIES_BY_OWNER', params),
    overdueTasks: (_p, { params }, ctx) => rowsOf(ctx, 'OVERDUE_TASKS', params),
    signalCounts: (_p, { params }, ctx) => rowsOf(ctx, 'SIGNAL_COUNTS', params),
    engagementDistribution: (_p, { params }, ctx) => rowsOf(ctx, 'ENGAGEMENT_DISTRIBUTION', params),
    analytic: async (_p, { name, params }, ctx): Promise<ResultValue> => {
      const s = signedIn(ctx);
      return { ...(await runAnalytic(s.db, s.viewer, name, parseAnalyticsParams(params as Record<string, unknown> | null | undefined))), truncated: false };
    },
    quotas: (_p, { filter }, ctx) => listQuotas(signedIn(ctx), filter),
    forecastSettings: (_p, _args, ctx) => getForecastSettings(signedIn(ctx)),
    reports: (_p, { module }, ctx) => listReports(signedIn(ctx), module),
    report: (_p, { id }, ctx) => getReport(signedIn(ctx).db, signedIn(ctx).viewer, id),
    runReport: (_p, { id, overrides }, ctx) => runReport(signedIn(ctx), id, overrides),
    reportFields: (_p, { module }, ctx) => reportFields(signedIn(ctx), module),
    reportDeliveries: (_p, { scheduleId, first }, ctx) => listDeliveries(signedIn(ctx), scheduleId, first ?? 50),
  },
  Mutation: {
    setQuota: (_p, { input }, ctx) => setQuota(signedIn(ctx), input),
    updateForecastSettings: (_p, { input }, ctx) => updateForecastSettings(signedIn(ctx), input),
    createReport: (_p, { input }, ctx) => createReport(signedIn(ctx), input),
    updateReport: (_p, { input }, ctx) => updateReport(signedIn(ctx), input),
    deleteReport: (_p, { id }, ctx) => deleteReport(signedIn(ctx), id),
    createReportSchedule: (_p, { input }, ctx) => createReportSchedule(signedIn(ctx), input),
    deleteReportSchedule: (_p, { id }, ctx) => deleteReportSchedule(signedIn(ctx), id),
  },
  ForecastRow: ownerField,
  ActivityCount: ownerField,
  OverdueTasks: ownerField,
  DealListRow: {
    deal: (row, _args, ctx) => signedIn(ctx).loaders.deals.byId.load(row.dealId),
  },
  SalesQuota: {
    user: async (row, _args, ctx) => {
      const user = await signedIn(ctx).loaders.users.byId.load(row.userId);
      if (!user) throw new Error('quota of a missing user');
      return user;
    },
    period: (row) => row.period as 'MONTH' | 'QUARTER',
  },
  Report: {
    module: (row) => row.module as never,
    visibility: (row) => row.visibility as 'PRIVATE' | 'SHARED',
    // Report criteria hold scalars only (validated on save), the shape the shared Criterion type reads.
    filters: (row) =>
      row.definition.filters.map((c) => ({ field: c.field, operator: c.operator, value: (c.value ?? null) as string | number | boolean | null, values: c.values ? ([...c.values] as (string | number | boolean)[]) : null })),
    groupBy: (row) => row.definition.groupBy.map((g) => ({ field: g.field, bucket: g.bucket ?? null })),
    aggregates: (row) => row.definition.aggregates.map((a) => ({ function: a.function, field: a.field ?? null })),
    columns: (row) => [...row.definition.columns],
    orderBy: (row) => row.definition.orderBy.map((o) => ({ ...o })),
    limit: (row) => row.definition.limit,
    timeZone: (row) => row.definition.timeZone,
    owner: (row, _args, ctx) => signedIn(ctx).loaders.users.byId.load(row.ownerId),
    schedules: (row, _args, ctx) => signedIn(ctx).loaders.reports.schedulesOfReport.load(row.id),
  },
  ReportSchedule: {
    format: (row) => row.format as 'CSV' | 'HTML' | 'PNG',
  },
  ReportResult: {
    columns: (result) => result.columns.map((c) => ({ ...c })),
    rows: (result) => [...result.rows],
  },
};

