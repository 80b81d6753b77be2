import { newRowId } from '../../db/row-id.js';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction, publish } from '../../db/transaction.js';
import { badInput, conflict, forbidden, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertCan, assertWritable, canManage, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { activeFieldsOf } from '../customization/module-config.js';
import { readHeaders, storeFile } from './import-file.js';
import { importModule, type ImportModuleName } from './import-modules.js';
import { processRows, type ProcessResult } from './import-process.js';
import { proposeMapping } from './mapping.js';
import { importErrors, importFileChunks, imports, savedImportMappings, type ImportErrorEntry, type ImportRow, type MappedColumn, type SavedImportMappingRow } from './imports.table.js';

export const IMPORT_TOPIC = 'import';
export const IMPORT_JOB = 'imports.commit';
const DUPLICATE_POLICIES = ['SKIP', 'UPDATE', 'CREATE_ANYWAY'];

export async function getImport(db: Db, viewer: Viewer, id: string): Promise<ImportRow> {
  const [row] = await db.select().from(imports).where(recordScope(viewer, 'imports', imports, id));
  if (!row) throw notFound('Import');
  return row;
}

export const importById = (s: Session, id: string): Promise<ImportRow> => getImport(s.db, s.viewer, id);

/**
 * Every member reads every import; its file, mapping, commit and undo are its creator's, a
 * profile's managing imports (the IMPORTS setting) or an administrator's.
 */
export function assertMayChangeImport(viewer: Viewer, row: ImportRow): void {
  if (row.createdById !== viewer.userId && !canManage(viewer, 'imports')) {
    throw forbidden('Only the user who created this import, or a user whose profile manages imports, may change, commit or undo it');
  }
}

export function listImports(s: Session): Promise<ImportRow[]> {
  return s.db.select().from(imports).where(readScope(s.viewer, 'imports', imports)).orderBy(desc(imports.createdAt)).limit(100);
}

/** A new import waiting for its file (POST /imports does this and the upload in one request). */
export async function createImport(s: Session, input: { module: string; fileName?: string | null | undefined }): Promise<ImportRow> {
  const module = importModule(input.module);
  assertCan(s.viewer, 'create', module.module);
  const [row] = await s.db
    .insert(imports)
    .values({ organizationId: s.viewer.organizationId, id: newRowId(), module: module.module, status: 'UPLOADING', createdById: s.viewer.userId, fileName: input.fileName ?? null })
    .returning();
  if (!row) throw new Error('insert returned no import');
  return row;
}

/**
 * Stores the file as it streams in, detects its encoding, delimiter and header, and proposes a
 * mapping (a saved mapping of the module decides first for the columns it knows).
 */
export async function uploadImportFile(s: Session, id: string, file: AsyncIterable<Buffer>, fileName: string | null): Promise<ImportRow> {
  assertWritable(s.viewer);
  const row = await getImport(s.db, s.viewer, id);
  assertMayChangeImport(s.viewer, row);
  if (row.status !== 'UPLOADING') throw conflict('This import already has its file; create a new import for another file');
  await s.db.delete(importFileChunks).where(and(eq(importFileChunks.organizationId, row.organizationId), eq(importFileChunks.importId, id)));
  const { bytes, format } = await storeFile(s.db, row.organizationId, id, file);
  if (bytes === 0) throw badInput('file', 'The file is empty');
  let headers: string[];
  try {
    headers = await readHeaders(s.db, row.organizationId, id, format);
  } catch {
    throw badInput('file', 'The file could not be read as CSV');
  }
  if (headers.length === 0 || headers.every((header) => header === '')) throw badInput('file', 'The file has no header row');
  const module = importModule(row.module);
  const saved = await latestSavedMapping(s, row.module as ImportModuleName);
  const mapping = proposeMapping(module, headers, saved?.mapping ?? [], await activeFieldsOf(s.db, s.viewer.organizationId, [module.module]));
  const [updated] = await s.db
    .update(imports)
    .set({ status: 'READY', fileBytes: bytes, fileName: fileName ?? row.fileName, encoding: format.encoding, delimiter: format.delimiter, headerLine: format.headerLine, headers, mapping, matchField: module.matchFields[0] ?? null })
    .where(recordScope(s.viewer, 'imports', imports, id))
    .returning();
  if (!updated) throw notFound('Import');
  return updated;
}

async function latestSavedMapping(s: Session, module: ImportModuleName): Promise<SavedImportMappingRow | undefined> {
  const [row] = await s.db
    .select()
    .from(savedImportMappings)
    .where(and(readScope(s.viewer, 'imports', savedImportMappings), eq(savedImportMappings.module, module)))
    .orderBy(desc(savedImportMappings.createdAt))
    .limit(1);
  return row;
}

export function listSavedMappings(s: Session, module: string): Promise<SavedImportMappingRow[]> {
  importModule(module);
  return s.db
    .select()
    .from(savedImportMappings)
    .where(and(readScope(s.viewer, 'imports', savedImportMappings), eq(savedImportMappings.module, module)))
    .orderBy(desc(savedImportMappings.createdAt));
}

export interface UpdateMappingInput {
  id: string;
  mapping?: readonly { column: string; field?: string | null | undefined; customField?: string | null | undefined }[] | null | undefined;
  duplicatePolicy?: string | null | undefined;
  matchField?: string | null | undefined;
  keepGoodRows?: boolean | null | undefined;
  /** Saves the mapping under this name for the module's next imports. */
  saveAs?: string | null | undefined;
}

/** The user's confirmed or edited mapping and options; only before the import is committed. */
export async function updateImportMapping(s: Session, input: UpdateMappingInput): Promise<ImportRow> {
  assertWritable(s.viewer);
  const row = await getImport(s.db, s.viewer, input.id);
  assertMayChangeImport(s.viewer, row);
  if (row.status !== 'READY') throw conflict(`The import is ${row.status}: its mapping can no longer change`);
  const module = importModule(row.module);
  const changes: Partial<ImportRow> = {};
  if (input.mapping) {
    const seenFields = new Set<string>();
    const customNames = new Set((await activeFieldsOf(s.db, s.viewer.organizationId, [module.module])).map((field) => field.apiName));
    const mapping: MappedColumn[] = [];
    for (const [index, given] of input.mapping.entries()) {
      // "customFields.<apiName>" as a field names a custom field, as web forms name them.
      const entry = given.field?.startsWith('customFields.') && !given.customField ? { column: given.column, field: null, customField: given.field.slice('customFields.'.length) } : given;
      if (!row.headers.includes(entry.column)) throw badInput(`mapping.${index}.column`, `The file has no column "${entry.column}"`);
      if (entry.field && entry.customField) throw badInput(`mapping.${index}`, 'Map a column to a field or to a custom field, not both');
      if (entry.field) {
        if (!module.fields.some((candidate) => candidate.name === entry.field)) {
          throw badInput(`mapping.${index}.field`, `${row.module} have no importable field "${entry.field}"`, { allowed: module.fields.map((candidate) => candidate.name) });
        }
        if (seenFields.has(entry.field)) throw badInput(`mapping.${index}.field`, `Two columns are mapped to ${entry.field}`);
        seenFields.add(entry.field);
      }
      if (entry.customField) {
        if (!customNames.has(entry.customField)) throw badInput(`mapping.${index}.customField`, `No active custom field "${entry.customField}" on ${row.module}`);
        if (seenFields.has(`customFields.${entry.customField}`)) throw badInput(`mapping.${index}.customField`, `Two columns are mapped to ${entry.customField}`);
        seenFields.add(`customFields.${entry.customField}`);
      }
      mapping.push({ column: entry.column, field: entry.field ?? null, ...(entry.customField ? { customField: entry.customField } : {}) });
    }
    changes.mapping = mapping;
  }
  if (input.duplicatePolicy != null) {
    if (!DUPLICATE_POLICIES.includes(input.duplicatePolicy)) throw badInput('duplicatePolicy', `duplicatePolicy must be one of ${DUPLICATE_POLICIES.join(', ')}`);
    changes.duplicatePolicy = input.duplicatePolicy;
  }
  if (input.matchField != null) {
    if (!module.matchFields.includes(input.matchField)) throw badInput('matchField', `${row.module} can be matched by: ${module.matchFields.join(', ')}`);
    changes.matchField = input.matchField;
  }
  if (input.keepGoodRows != null) changes.keepGoodRows = input.keepGoodRows;
  const saveAs = input.saveAs == null ? null : requiredText('saveAs', input.saveAs, 100);
  return inTransaction(s.db, async (tx) => {
    const [updated] = await tx.update(imports).set(changes).where(recordScope(s.viewer, 'imports', imports, input.id)).returning();
    if (!updated) throw notFound('Import');
    if (saveAs) {
      await tx.insert(savedImportMappings).values({ organizationId: s.viewer.organizationId, id: newRowId(), module: row.module, name: saveAs, mapping: updated.mapping });
    }
    return updated;
  });
}

export interface ImportPreviewResult {
  readonly importId: string;
  readonly result: ProcessResult;
  readonly first: number;
}

/** Every row validated as the API would and matched against the duplicate policy; nothing written. */
export async function previewImport(s: Session, id: string, first = 50): Promise<ImportPreviewResult> {
  const row = await getImport(s.db, s.viewer, id);
  if (row.status === 'UPLOADING') throw conflict('Upload the file first');
  const result = await processRows(s.db, s.viewer, row, 'preview');
  return { importId: id, result, first: Math.max(0, Math.min(first, 1000)) };
}

/**
 * Queues the import's job, once: a second call (or a client's retry) gets the same import back
 * and queues nothing more.
 */
export async function commitImport(s: Session, id: string): Promise<ImportRow> {
  assertWritable(s.viewer);
  let queued = false;
  const row = await inTransaction(s.db, async (tx) => {
    const [row] = await tx.select().from(imports).where(recordScope(s.viewer, 'imports', imports, id)).for('update');
    if (!row) throw notFound('Import');
    // Before the idempotent answer: a member who may not commit it is not told all is well.
    assertMayChangeImport(s.viewer, row);
    if (['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'].includes(row.status)) return row;
    if (row.status !== 'READY') throw conflict(`The import is ${row.status}`);
    const module = importModule(row.module);
    assertCan(s.viewer, 'create', module.module);
    if (row.duplicatePolicy === 'UPDATE') assertCan(s.viewer, 'update', module.module);
    if (!row.mapping.some((entry) => entry.field || entry.customField)) throw badInput('mapping', 'Map at least one column first');
    const [updated] = await tx.update(imports).set({ status: 'QUEUED', queuedAt: new Date() }).where(recordScope(s.viewer, 'imports', imports, id)).returning();
    await s.jobs.send(IMPORT_JOB, { organizationId: row.organizationId, importId: id }, { tx });
    publish(tx, row.organizationId, s.viewer.userId, progressEvent(updated ?? row, { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, percentage: 0 }));
    queued = true;
    return updated ?? row;
  });
  // Committed: this process's worker starts it now rather than at its next poll.
  if (queued) s.jobs.wake(IMPORT_JOB);
  return row;
}

export interface ImportProgressData {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsFailed: number;
  readonly percentage: number;
}

export function progressEvent(row: ImportRow, progress: ImportProgressData, status = row.status) {
  return { topic: IMPORT_TOPIC, kind: status, recordId: row.id, data: { status, ...progress } };
}

/** Every error of the import's last run, in row order, a page at a time. */
export async function* importErrorRows(s: Session, id: string): AsyncGenerator<ImportErrorEntry> {
  const row = await getImport(s.db, s.viewer, id);
  let after = -1;
  for (;;) {
    const page = await s.db
      .select()
      .from(importErrors)
      .where(and(eq(importErrors.organizationId, row.organizationId), eq(importErrors.importId, id), gt(importErrors.ord, after)))
      .orderBy(asc(importErrors.ord))
      .limit(1000);
    for (const entry of page) yield { row: entry.row, column: entry.column, field: entry.field, message: entry.message };
    const last = page[page.length - 1];
    if (!last || page.length < 1000) return;
    after = last.ord;
  }
}
