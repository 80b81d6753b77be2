import express, { type Response, type Router } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { AppDeps } from '../../server/context.js';
import { routeSession, sendRouteError } from '../../server/route-session.js';
import { withUpload } from '../../server/upload.js';
import { csvLine } from '../../shared/csv-write.js';
import { DomainError, notFound, type ModuleLabels } from '../../shared/errors.js';
import { moduleLabelsOf } from '../customization/module-config.js';
import { canManage } from '../auth/access.js';
import { moduleRows, parseFilter } from './module-export.js';
import { archiveBytes, exportForDownload, tokenMatches } from './organization-export.service.js';
import { startRestore, uploadRestoreArchive } from './organization-restore.service.js';
import { restoreUploadUrl } from './exports.resolvers.js';

/** Waits for the socket to drain: a slow client holds one page in memory, never the export. */
const write = async (res: Response, chunk: string | Buffer): Promise<void> => {
  if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
};

/** A download's Content-Disposition: an ASCII name for old clients, the exact UTF-8 name (RFC 6266) for the rest. */
export function attachment(base: string, extension: string): string {
  const ascii = base.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/["\\/;]+/g, '_').trim() || 'export';
  const exact = encodeURIComponent(`${base}.${extension}`).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${exact}`;
}

/**
 * GET /export/<module>.csv?filter=<JSON filter> (Bearer token),
 * GET /export/organization/<id>.zip?token=<link token> (or an administrator's Bearer token), and
 * the way back: POST /restores (an organisation archive as the body or the multipart field
 * "file") and POST /restores/<id>/file (the upload URL of restoreOrganization), Bearer token.
 */
export function exportRoutes(deps: AppDeps, schema: GraphQLSchema): Router {
  const router = express.Router();
  router.get('/export/:module.csv', async (req, res) => {
    let labels: ModuleLabels | undefined;
    try {
      const session = await routeSession(deps, req);
      labels = await moduleLabelsOf(session.db, session.viewer.organizationId);
      const module = String(req.params['module']);
      const filter = parseFilter(schema, module, typeof req.query['filter'] === 'string' ? req.query['filter'] : undefined);
      const rows = moduleRows(session, module, filter);
      const first = await rows.next();
      // Named as the organisation calls the module ("Properties.csv"; "deals.csv" when it kept Pulse's name); the columns stay apiNames, which imports map back.
      res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', attachment(labels.get(module)?.plural ?? module, 'csv'));
      if (first.done) {
        res.end();
        return;
      }
      const columns = Object.keys(first.value);
      // A byte order mark: Excel reads UTF-8 only with it.
      await write(res, `\uFEFF${csvLine(columns)}`);
      let lines: string[] = [];
      for (let step: IteratorResult<Record<string, unknown>> = first; !step.done; step = await rows.next()) {
        const row = step.value;
        lines.push(csvLine(columns.map((column) => row[column])));
        if (lines.length >= 200) {
          await write(res, lines.join(''));
          lines = [];
        }
      }
      if (lines.length > 0) await write(res, lines.join(''));
      res.end();
    } catch (error) {
      if (labels && error instanceof DomainError) error.labelWith(labels);
      sendRouteError(deps, res, error, 'export');
    }
  });
  router.get('/export/organization/:id.zip', async (req, res) => {
    try {
      const row = await exportForDownload(deps.db, String(req.params['id']));
      const token = typeof req.query['token'] === 'string' ? req.query['token'] : null;
      let allowed = row !== undefined && token !== null && tokenMatches(deps.config, row, token);
      if (row && !allowed && req.headers.authorization) {
        const session = await routeSession(deps, req);
        allowed = session.viewer.organizationId === row.organizationId && canManage(session.viewer, 'organization');
      }
      if (!row || !allowed || row.status !== 'COMPLETED') throw notFound('Export');
      res.status(200).type('application/zip').set('Content-Disposition', `attachment; filename="pulse-export-${row.id}.zip"`).set('Content-Length', String(row.archiveBytes));
      for await (const chunk of archiveBytes(deps.database.forOrganization(row.organizationId), row)) await write(res, chunk);
      res.end();
    } catch (error) {
      sendRouteError(deps, res, error, 'export');
    }
  });
  const describeRestore = (row: Awaited<ReturnType<typeof startRestore>>) => ({ id: row.id, status: row.status, archiveBytes: row.archiveBytes, sourceOrganizationId: row.sourceOrganizationId, sourceExportId: row.sourceExportId, uploadUrl: restoreUploadUrl(deps.config, row) });
  router.post('/restores', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const row = await withUpload(req, async (file) => uploadRestoreArchive(session, (await startRestore(session)).id, file), 'the export archive');
      res.status(201).json(describeRestore(row));
    } catch (error) {
      sendRouteError(deps, res, error, 'restore');
    }
  });
  router.post('/restores/:id/file', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const row = await withUpload(req, (file) => uploadRestoreArchive(session, String(req.params['id']), file), 'the export archive');
      res.status(200).json(describeRestore(row));
    } catch (error) {
      sendRouteError(deps, res, error, 'restore');
    }
  });
  return router;
}
