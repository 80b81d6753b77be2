import type { SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import {
  ACTIVITY_COLUMNS,
  activitiesByOwner,
  CONVERSION_COLUMNS,
  ENGAGEMENT_COLUMNS,
  engagementDistribution,
  LEAD_COUNT_COLUMNS,
  leadConversion,
  leadsBy,
  OVERDUE_COLUMNS,
  overdueTasks,
  SIGNAL_COLUMNS,
  signalCounts,
} from './analytics-activity.js';
import {
  DEAL_LIST_COLUMNS,
  DEAL_METRICS_COLUMNS,
  dealMetrics,
  dealsClosingThisMonth,
  FORECAST_COLUMNS,
  PIPELINE_COLUMNS,
  pipelineByStage,
  salesForecast,
  slippingDeals,
  TIME_IN_STAGE_COLUMNS,
  timeInStage,
} from './analytics-deals.js';
import type { AnalyticsParams } from './analytics-params.js';
import type { ColumnMeta, TabularResult } from './report-definition.js';

export type AnalyticName =
  | 'PIPELINE_BY_STAGE'
  | 'SALES_FORECAST'
  | 'LEADS_BY_SOURCE'
  | 'LEADS_BY_STATUS'
  | 'LEAD_CONVERSION'
  | 'DEAL_METRICS'
  | 'TIME_IN_STAGE'
  | 'SLIPPING_DEALS'
  | 'DEALS_CLOSING_THIS_MONTH'
  | 'ACTIVITIES_BY_OWNER'
  | 'OVERDUE_TASKS'
  | 'SIGNAL_COUNTS'
  | 'ENGAGEMENT_DISTRIBUTION';

export interface Analytic {
  readonly title: string;
  readonly columns: readonly ColumnMeta[];
  /** The analytic as ONE statement over what the viewer may read. */
  readonly query: (viewer: Viewer, params: AnalyticsParams) => SQL;
}

export const ANALYTICS: Readonly<Record<AnalyticName, Analytic>> = {
  PIPELINE_BY_STAGE: { title: 'Pipeline by stage', columns: PIPELINE_COLUMNS, query: pipelineByStage },
  SALES_FORECAST: { title: 'Sales forecast', columns: FORECAST_COLUMNS, query: salesForecast },
  LEADS_BY_SOURCE: { title: 'Leads by source', columns: LEAD_COUNT_COLUMNS, query: leadsBy('leadSource') },
  LEADS_BY_STATUS: { title: 'Leads by status', columns: LEAD_COUNT_COLUMNS, query: leadsBy('status') },
  LEAD_CONVERSION: { title: 'Lead conversion', columns: CONVERSION_COLUMNS, query: leadConversion },
  DEAL_METRICS: { title: 'Win rate and deal size', columns: DEAL_METRICS_COLUMNS, query: dealMetrics },
  TIME_IN_STAGE: { title: 'Time in stage', columns: TIME_IN_STAGE_COLUMNS, query: timeInStage },
  SLIPPING_DEALS: { title: 'Slipping deals', columns: DEAL_LIST_COLUMNS, query: slippingDeals },
  DEALS_CLOSING_THIS_MONTH: { title: 'Deals closing this month', columns: DEAL_LIST_COLUMNS, query: dealsClosingThisMonth },
  ACTIVITIES_BY_OWNER: { title: 'Activities by owner and type', columns: ACTIVITY_COLUMNS, query: activitiesByOwner },
  OVERDUE_TASKS: { title: 'Overdue tasks', columns: OVERDUE_COLUMNS, query: overdueTasks },
  SIGNAL_COUNTS: { title: 'Sales signals by day and kind', columns: SIGNAL_COLUMNS, query: signalCounts },
  ENGAGEMENT_DISTRIBUTION: { title: 'Engagement', columns: ENGAGEMENT_COLUMNS, query: engagementDistribution },
};

export const ANALYTIC_NAMES = Object.keys(ANALYTICS) as AnalyticName[];

/** URL names (`pipeline-by-stage`) of the CSV endpoint. */
export function analyticOfSlug(slug: string): AnalyticName | null {
  const name = slug.toUpperCase().replace(/-/g, '_');
  return (ANALYTIC_NAMES as string[]).includes(name) ? (name as AnalyticName) : null;
}

export async function runAnalytic(db: Db, viewer: Viewer, name: AnalyticName, params: AnalyticsParams): Promise<TabularResult> {
  const analytic = ANALYTICS[name];
  const rows = rowsOf<Record<string, unknown>>(await db.execute(analytic.query(viewer, params)));
  return { columns: analytic.columns, rows };
}
