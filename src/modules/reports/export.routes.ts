import express, { type Request, type Response, type Router } from 'express';
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../db/database.js';
import type { AppDeps } from '../../server/context.js';
import { routeSession } from '../../server/route-session.js';
import { DomainError, httpStatusOf, notFound } from '../../shared/errors.js';
import { renderDashboardSvg } from '../dashboards/dashboard-render.js';
import { svgToPng } from '../dashboards/dashboard-svg.js';
import { ANALYTICS, analyticOfSlug } from './analytics.js';
import { parseAnalyticsParams } from './analytics-params.js';
import { csvLine } from '../../shared/csv-write.js';
import type { ColumnMeta } from './report-definition.js';
import { compileSaved, getReport } from './reports.service.js';

/** Rows fetched from the cursor per round trip: memory stays at one batch whatever the report's size. */
const BATCH_ROWS = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class ClientGone extends Error {}

/** Waits until the socket drained; fails when the client went away (ending the cursor's transaction). */
function drained(res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      if (res.destroyed || res.writableEnded) reject(new ClientGone());
      else resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams `query` as CSV through a server-side cursor in a read-only transaction: batches of
 * rows are written as the client takes them (backpressure), never the whole result at once.
 */
async function streamCsv(db: Db, res: Response, filename: string, columns: readonly ColumnMeta[], query: SQL): Promise<void> {
  await db.transaction(
    async (tx) => {
      await tx.execute(sql`declare pulse_export no scroll cursor for ${query}`);
      res.status(200);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^\w.-]+/g, '_')}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.write(csvLine(columns.map((c) => c.label)));
      for (;;) {
        const rows = rowsOf<Record<string, unknown>>(await tx.execute(sql.raw(`fetch ${BATCH_ROWS} from pulse_export`)));
        if (rows.length === 0) break;
        let chunk = '';
        for (const row of rows) chunk += csvLine(columns.map((c) => row[c.key]));
        if (!res.write(chunk)) await drained(res);
      }
      await tx.execute(sql.raw('close pulse_export'));
    },
    { accessMode: 'read only' },
  );
  res.end();
}

/** `<id>.<ext>` of the URL, or NOT_FOUND. */
function fileOf(req: Request, extensions: readonly string[]): { id: string; ext: string } {
  const match = /^(.+)\.([a-z]+)$/.exec(String(req.params['file'] ?? ''));
  if (!match || !extensions.includes(match[2] as string)) throw notFound('Export');
  return { id: match[1] as string, ext: match[2] as string };
}

/**
 * CSV downloads of reports and analytics, pictures of dashboards:
 * GET /export/reports/<id>.csv, /export/analytics/<name>.csv?from=...&to=..., /export/dashboards/<id>.svg|png.
 */
export function exportRoutes(deps: AppDeps): Router {
  const router = express.Router();
  const handle = (work: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await work(req, res);
    } catch (error) {
      if (error instanceof ClientGone) return;
      if (res.headersSent) {
        deps.logger.warn('export interrupted', { error });
        res.destroy();
        return;
      }
      if (error instanceof DomainError) {
        res.status(httpStatusOf(error.code)).json({ error: error.message, code: error.code, ...(error.details['field'] ? { field: error.details['field'] } : {}) });
        return;
      }
      deps.logger.error('export failed', { error });
      res.status(500).json({ error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' });
    }
  };

  router.get(
    '/export/reports/:file',
    handle(async (req, res) => {
      const { db, viewer } = await routeSession(deps, req);
      const { id } = fileOf(req, ['csv']);
      if (!UUID.test(id)) throw notFound('Report');
      const report = await getReport(db, viewer, id);
      const compiled = await compileSaved(db, viewer, report, null, null);
      await streamCsv(db, res, `${report.name}.csv`, compiled.columns, compiled.query);
    }),
  );

  router.get(
    '/export/analytics/:file',
    handle(async (req, res) => {
      const { db, viewer } = await routeSession(deps, req);
      const name = analyticOfSlug(fileOf(req, ['csv']).id);
      if (!name) throw notFound('Analytic');
      const params = parseAnalyticsParams(Object.fromEntries(Object.entries(req.query).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
      const analytic = ANALYTICS[name];
      await streamCsv(db, res, `${name.toLowerCase()}.csv`, analytic.columns, analytic.query(viewer, params));
    }),
  );

  router.get(
    '/export/dashboards/:file',
    handle(async (req, res) => {
      const { db, viewer } = await routeSession(deps, req);
      const { id, ext } = fileOf(req, ['svg', 'png']);
      if (!UUID.test(id)) throw notFound('Dashboard');
      const { svg } = await renderDashboardSvg(db, viewer, id);
      res.setHeader('Cache-Control', 'no-store');
      if (ext === 'svg') res.type('image/svg+xml').send(svg);
      else res.type('image/png').send(await svgToPng(svg));
    }),
  );
  return router;
}
