import { newRowId } from '../../db/row-id.js';
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CreateDashboardInput, DashboardComponentInput, UpdateDashboardInput } from '../../generated/graphql.js';
import { badInput, conflict, DomainError, forbidden, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { canManage } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { parseAnalyticsParams } from '../reports/analytics-params.js';
import type { DataSource } from '../reports/reports.loaders.js';
import { reportScope } from '../reports/reports.service.js';
import { reports, reportSchedules } from '../reports/reports.table.js';
import { inTransaction } from '../../db/transaction.js';
import type { AnalyticName } from '../reports/analytics.js';
import { dashboards, type DashboardComponentValue, type DashboardRow } from './dashboards.table.js';

const MAX_COMPONENTS = 24;

/** Dashboards the viewer may see: its own and the shared ones (see `reportScope`). */
export function dashboardScope(viewer: Viewer): SQL {
  return and(eq(dashboards.organizationId, viewer.organizationId), or(eq(dashboards.ownerId, viewer.userId), eq(dashboards.visibility, 'SHARED'))) as SQL;
}

/** Keeps only the parameters that were given, so equal components compare equal. */
const storedParams = (params: Record<string, unknown> | null | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(params ?? {}).filter(([, value]) => value !== null && value !== undefined));

async function componentsOf(db: Db, viewer: Viewer, input: readonly DashboardComponentInput[]): Promise<DashboardComponentValue[]> {
  if (input.length > MAX_COMPONENTS) throw badInput('components', `a dashboard has at most ${MAX_COMPONENTS} components`);
  const components = input.map((component, i): DashboardComponentValue => {
    const path = `components[${i}]`;
    if ((component.reportId ? 1 : 0) + (component.builtIn ? 1 : 0) !== 1) throw badInput(path, 'a component shows either a reportId or a builtIn analytic');
    const params = storedParams(component.builtIn?.params as Record<string, unknown> | null | undefined);
    if (component.builtIn) parseAnalyticsParams(params);
    return {
      id: newRowId(),
      title: requiredText(`${path}.title`, component.title, 200),
      chart: component.chart,
      reportId: component.reportId ?? null,
      builtIn: component.builtIn ? { analytic: component.builtIn.analytic, params } : null,
    };
  });
  const reportIds = [...new Set(components.flatMap((c) => (c.reportId ? [c.reportId] : [])))];
  if (reportIds.length > 0) {
    const found = await db.select({ id: reports.id }).from(reports).where(and(reportScope(viewer), inArray(reports.id, reportIds)));
    const index = components.findIndex((c) => c.reportId !== null && !found.some((row) => row.id === c.reportId));
    // An unknown report (or one the viewer cannot see, another organisation's included) is
    // NOT_FOUND naming the field, as every module reports an unknown referenced id.
    if (index >= 0) {
      const field = `components[${index}].reportId`;
      throw new DomainError('NOT_FOUND', `${field}: Report not found`, { field });
    }
  }
  return components;
}

export async function createDashboard(s: Session, input: CreateDashboardInput): Promise<DashboardRow> {
  const name = requiredText('name', input.name, 200);
  const components = await componentsOf(s.db, s.viewer, input.components);
  const [row] = await s.db
    .insert(dashboards)
    .values({ organizationId: s.viewer.organizationId, id: newRowId(), name, components, visibility: input.visibility ?? 'PRIVATE', ownerId: s.viewer.userId })
    .returning();
  if (!row) throw new Error('insert returned no dashboard');
  return row;
}

export async function getDashboard(db: Db, viewer: Viewer, id: string): Promise<DashboardRow> {
  const [row] = await db.select().from(dashboards).where(and(dashboardScope(viewer), eq(dashboards.id, id)));
  if (!row) throw notFound('Dashboard');
  return row;
}

export async function listDashboards(s: Session): Promise<DashboardRow[]> {
  return s.db.select().from(dashboards).where(dashboardScope(s.viewer)).orderBy(asc(dashboards.name), asc(dashboards.id));
}

export async function updateDashboard(s: Session, input: UpdateDashboardInput): Promise<DashboardRow> {
  const current = await getDashboard(s.db, s.viewer, input.id);
  if (current.ownerId !== s.viewer.userId && !canManage(s.viewer, 'reports')) throw forbidden('Only the owner, or a user whose profile manages reports, may change this');
  if (input.expectedVersion != null && input.expectedVersion !== current.version) throw conflict('The dashboard was changed meanwhile', { currentVersion: current.version });
  const [row] = await s.db
    .update(dashboards)
    .set({
      name: input.name != null ? requiredText('name', input.name, 200) : current.name,
      components: input.components ? await componentsOf(s.db, s.viewer, input.components) : current.components,
      visibility: input.visibility ?? current.visibility,
      version: sql`${dashboards.version} + 1`,
      updatedAt: new Date(),
    })
    .where(and(eq(dashboards.organizationId, s.viewer.organizationId), eq(dashboards.id, current.id), eq(dashboards.version, current.version)))
    .returning();
  if (!row) throw conflict('The dashboard was changed meanwhile');
  return row;
}

export async function deleteDashboard(s: Session, id: string): Promise<boolean> {
  const current = await getDashboard(s.db, s.viewer, id);
  if (current.ownerId !== s.viewer.userId && !canManage(s.viewer, 'reports')) throw forbidden('Only the owner, or a user whose profile manages reports, may change this');
  await inTransaction(s.db, async (tx) => {
    await tx.delete(reportSchedules).where(and(eq(reportSchedules.organizationId, s.viewer.organizationId), eq(reportSchedules.dashboardId, id)));
    await tx.delete(dashboards).where(and(eq(dashboards.organizationId, s.viewer.organizationId), eq(dashboards.id, id)));
  });
  return true;
}

/** Where a component's rows come from. */
export function sourceOf(component: DashboardComponentValue): DataSource {
  if (component.reportId) return { kind: 'report', reportId: component.reportId };
  if (!component.builtIn) throw new Error('a component without a source');
  return { kind: 'analytic', name: component.builtIn.analytic as AnalyticName, params: parseAnalyticsParams(component.builtIn.params) };
}
