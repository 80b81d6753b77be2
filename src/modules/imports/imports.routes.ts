import type { Readable } from 'node:stream';
import busboy from 'busboy';
import express, { type Request, type Router } from 'express';
import type { AppDeps } from '../../server/context.js';
import { routeSession, sendRouteError } from '../../server/route-session.js';
import { csvLine } from '../../shared/csv-write.js';
import { badInput } from '../../shared/errors.js';
import { createImport, importErrorRows, uploadImportFile } from './imports.service.js';
import type { ImportRow } from './imports.table.js';

/** The largest accepted upload (streamed to the database; memory does not grow with it). */
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

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
 * The file of a multipart request (field "file"; other fields before it are returned too), or the
 * raw body of any other request, as a stream handed to `use` while it arrives.
 */
function withUpload<T>(req: Request, use: (file: AsyncIterable<Buffer>, fields: Record<string, string>, fileName: string | null) => Promise<T>): Promise<T> {
  if (!req.headers['content-type']?.startsWith('multipart/form-data')) return use(req as unknown as AsyncIterable<Buffer>, {}, null);
  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let work: Promise<T> | null = null;
    const parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_FILE_BYTES, fields: 20 } });
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (_name, stream: Readable, info) => {
      work = use(stream, fields, info.filename ?? null);
      // On failure the rest of the file is drained, so the answer goes out on a clean connection.
      work.catch(() => stream.resume());
    });
    parser.on('error', reject);
    // Answer only once the whole request was read: a reply before that resets a keep-alive connection.
    parser.on('close', () => {
      if (!work) reject(badInput('file', 'Send the CSV in the multipart field "file"'));
      else work.then(resolve, reject);
    });
    req.pipe(parser);
  });
}

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
      });
      res.status(201).json(describe(row, deps));
    } catch (error) {
      sendRouteError(deps, res, error, 'import');
    }
  });
  router.post('/imports/:id/file', async (req, res) => {
    try {
      const session = await routeSession(deps, req);
      const row = await withUpload(req, (file, _fields, fileName) => uploadImportFile(session, req.params['id'] ?? '', file, fileName));
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
