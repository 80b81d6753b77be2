import DataLoader from 'dataloader';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { notFound } from '../../shared/errors.js';
import { byIdLoader, childrenLoader } from '../../shared/loader-factories.js';
import type { Viewer } from '../auth/viewer.js';
import { runAnalytic, type AnalyticName } from './analytics.js';
import { paramsKey, type AnalyticsParams } from './analytics-params.js';
import type { ResultValue } from './report-definition.js';
import { compileSaved, customFieldsFor, GRAPHQL_ROW_CAP, reportScope, runCompiled } from './reports.service.js';
import type { ReportField, ReportModule } from './report-fields.js';
import { reports, reportSchedules, type ReportScheduleRow } from './reports.table.js';

/** What a dashboard component shows: a saved report or a built-in analytic with its parameters. */
export type DataSource = { readonly kind: 'report'; readonly reportId: string } | { readonly kind: 'analytic'; readonly name: AnalyticName; readonly params: AnalyticsParams };

export const dataSourceKey = (source: DataSource): string =>
  source.kind === 'report' ? `report:${source.reportId}` : `analytic:${source.name}:${paramsKey(source.params)}`;

export function createReportLoaders(db: Db, viewer: Viewer) {
  const byId = byIdLoader((ids) => db.select().from(reports).where(and(reportScope(viewer), inArray(reports.id, [...ids]))));
  /**
   * Results per request: equal sources (the same report, or the same analytic with the same
   * parameters) share one query, and the reports behind every component load in one statement.
   */
  // A dashboard's reports on one module read its custom field definitions once per request.
  const customFields = new Map<ReportModule, Promise<ReportField[]>>();
  const customOf = (module: ReportModule): Promise<ReportField[]> => {
    let found = customFields.get(module);
    if (!found) customFields.set(module, (found = customFieldsFor(db, viewer, module)));
    return found;
  };
  const data = new DataLoader<DataSource, ResultValue, string>(
    (sources) =>
      Promise.all(
        sources.map(async (source): Promise<ResultValue | Error> => {
          if (source.kind === 'analytic') return { ...(await runAnalytic(db, viewer, source.name, source.params)), truncated: false };
          const report = await byId.load(source.reportId);
          if (!report) return notFound('Report');
          return runCompiled(db, await compileSaved(db, viewer, report, null, GRAPHQL_ROW_CAP + 1, customOf(report.module as ReportModule)), GRAPHQL_ROW_CAP);
        }),
      ),
    { cacheKeyFn: dataSourceKey },
  );
  const schedulesOfReport = childrenLoader(async (reportIds) => {
    const rows = await db
      .select()
      .from(reportSchedules)
      .where(and(eq(reportSchedules.organizationId, viewer.organizationId), inArray(reportSchedules.reportId, [...reportIds])))
      .orderBy(asc(reportSchedules.createdAt));
    const byReport = new Map<string, ReportScheduleRow[]>();
    for (const row of rows) if (row.reportId) byReport.set(row.reportId, [...(byReport.get(row.reportId) ?? []), row]);
    return byReport;
  });
  return { byId, data, schedulesOfReport };
}
