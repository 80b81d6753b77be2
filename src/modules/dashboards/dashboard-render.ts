import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { createReportLoaders } from '../reports/reports.loaders.js';
import { dashboardSvg, type ChartTile } from './dashboard-svg.js';
import { getDashboard, sourceOf } from './dashboards.service.js';

/** A dashboard drawn as SVG with the viewer's data (equal components share one query). */
export async function renderDashboardSvg(db: Db, viewer: Viewer, id: string): Promise<{ name: string; svg: string }> {
  const dashboard = await getDashboard(db, viewer, id);
  const loaders = createReportLoaders(db, viewer);
  const tiles = await Promise.all(
    dashboard.components.map(async (component): Promise<ChartTile> => ({ title: component.title, chart: component.chart, data: await loaders.data.load(sourceOf(component)) })),
  );
  return { name: dashboard.name, svg: dashboardSvg(dashboard.name, tiles) };
}
