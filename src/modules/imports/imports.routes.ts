import express, { type Router } from 'express';
import type { AppDeps } from '../../server/context.js';
import { routeSession, sendRouteError } from '../../server/route-session.js';
import { withUpload } from '../../server/upload.js';
import { csvLine } from '../../shared/csv-write.js';
import { badInput } from '../../shared/errors.js';
import { createImport, importErrorRows, uploadImportFile } from './imports.service.js';
import type { ImportRow } from './imports.table.js';

const describe = (row: ImportRow, deps: AppDeps) => ({
  id: row.id,
  module: row.module.toUpperCase(),
  status: row.status,
  encoding: row.encoding,
  headers: row.headers,
  mapping: row.mapping,
  uploadUrl: `${deps.config.publicUrl}/imports/${row.id}/file`,
});

/**
 * POST /imports (multipart: "module" then "file"; or ?module=), POST /imports/<id>/file (the
 * upload URL of createImport) and GET /imports/<id>/errors.csv, with the GraphQL Bearer token.
 */
export function importRoutes(deps: AppDeps): Router {
  const router = express.Router();
  router.post('/imports', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const row = await withUpload(req, async (file, fields, fileName) => {
        const module = String(req.query['module'] ?? fields['module'] ?? '').toLowerCase();
        if (!module) throw badInput('module', 'Name the module (leads, contacts, accounts, deals, activities) in ?module= or a "module" field before the file');
        const created = await createImport(session, { module, fileName });
        return uploadImportFile(session, created.id, file, fileName);
      }, 'the CSV');
      res.status(201).json(describe(row, deps));
    } catch (error) {
      sendRouteError(deps, res, error, 'import');
    }
  });
  router.post('/imports/:id/file', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const row = await withUpload(req, (file, _fields, fileName) => uploadImportFile(session, req.params['id'] ?? '', file, fileName), 'the CSV');
      res.status(200).json(describe(row, deps));
    } catch (error) {
      sendRouteError(deps, res, error, 'import');
    }
  });
  router.get('/imports/:id/errors.csv', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const rows = importErrorRows(session, req.params['id'] ?? '');
      const first = await rows.next();
      res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="import-${req.params['id']}-errors.csv"`);
      res.write(csvLine(['row', 'column', 'field', 'message']));
      for (let step = first; !step.done; step = await rows.next()) {
        const entry = step.value;
        if (!res.write(csvLine([entry.row, entry.column, entry.field, entry.message]))) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (error) {
      sendRouteError(deps, res, error, 'import');
    }
  });
  return router;
}
