import { loadModuleConfig } from '../customization/module-config.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import { isNull } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { leads } from '../leads/leads.table.js';
import { findLiveByKeys } from '../records/record-match.js';
import { lockRecord, saveChanges, type RecordKind, type RecordTable } from '../records/record-store.js';
import type { CsvFormat } from './csv-format.js';
import { readFile } from './import-file.js';
import { compileMapping, matchKey, validateRow, type CompiledMapping, type RowResult } from './import-rows.js';
import { importModule } from './import-modules.js';
import { importRecords, type ImportCounts, type ImportErrorEntry, type ImportRow } from './imports.table.js';

/** Rows validated, checked for duplicates and written together. */
export const BATCH_ROWS = 500;
/** Errors kept in memory (and stored for errors.csv) per run; beyond that only counted. */
export const MAX_KEPT_ERRORS = 10_000;

export type ProcessMode = 'preview' | 'validate' | 'write';

export interface ProcessResult {
  readonly counts: ImportCounts;
  readonly errors: ImportErrorEntry[];
  readonly errorCount: number;
}

export interface Progress {
  readonly rowsRead: number;
  readonly rowsFailed: number;
  readonly bytesRead: number;
}

type Valid = Extract<RowResult, { ok: true }>;

/** What the import knows about a match key: a record that existed before, or one it created. */
type Seen = { readonly id: string | null; readonly existing: boolean };

export function formatOf(row: ImportRow): CsvFormat {
  return { encoding: (row.encoding ?? 'utf8') as CsvFormat['encoding'], delimiter: (row.delimiter ?? ',') as CsvFormat['delimiter'], headerLine: row.headerLine };
}

/**
 * Reads the stored file once and runs every row through the API's validation; in `preview` and
 * `write` modes it also applies the duplicate policy per batch, and in `write` mode (inside the
 * import's transaction) it writes: creates in batches, updates record by record with the
 * before-image kept for undo.
 */
export async function processRows(db: Db, viewer: Viewer, row: ImportRow, mode: ProcessMode, onProgress?: (progress: Progress) => Promise<void>): Promise<ProcessResult> {
  const module = importModule(row.module);
  const mapping = compileMapping(module, row.headers, row.mapping, await loadModuleConfig(db, row.organizationId, module.module as CustomizableModule));
  const matchField = row.matchField ?? module.matchFields[0] ?? 'email';
  const counts: ImportCounts = { rowsRead: 0, rowsValid: 0, rowsFailed: 0, created: 0, updated: 0, skipped: 0 };
  const errors: ImportErrorEntry[] = [];
  const seen = new Map<string, Seen>();
  const reader = readFile(db, row.organizationId, row.id, formatOf(row));
  let batch: Valid[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    if (mode === 'validate') return;
    await applyBatch(db, viewer, row, mapping, matchField, mode, current, seen, counts);
  };

  for await (const parsed of reader.rows) {
    counts.rowsRead += 1;
    const result = validateRow(viewer, mapping, parsed.row, parsed.cells);
    if (result.ok) {
      counts.rowsValid += 1;
      batch.push(result);
      if (batch.length >= BATCH_ROWS) await flush();
    } else {
      counts.rowsFailed += 1;
      if (errors.length < MAX_KEPT_ERRORS) errors.push(result.error);
    }
    if (onProgress && counts.rowsRead % 2000 === 0) await onProgress({ rowsRead: counts.rowsRead, rowsFailed: counts.rowsFailed, bytesRead: reader.bytesRead() });
  }
  await flush();
  return { counts, errors, errorCount: counts.rowsFailed };
}

async function existingMatches(db: Db, viewer: Viewer, row: ImportRow, mapping: CompiledMapping, matchField: string, keys: string[]) {
  const kind = mapping.module.kind;
  const isLead = mapping.module.module === 'leads';
  // The API's own duplicate rule for leads: an open (unconverted) lead, or a contact, with the email.
  const own = await findLiveByKeys(db, viewer, kind, matchField, keys, isLead ? isNull(leads.convertedAt) : undefined);
  const elsewhere =
    isLead && matchField === 'email' && row.duplicatePolicy !== 'CREATE_ANYWAY'
      ? await findLiveByKeys(db, viewer, CONTACT as unknown as RecordKind<RecordTable>, 'email', keys.filter((key) => !own.has(key)))
      : new Map<string, string>();
  return { own, elsewhere };
}

async function applyBatch(
  db: Db,
  viewer: Viewer,
  row: ImportRow,
  mapping: CompiledMapping,
  matchField: string,
  mode: 'preview' | 'write',
  batch: Valid[],
  seen: Map<string, Seen>,
  counts: ImportCounts,
): Promise<void> {
  const policy = row.duplicatePolicy;
  const keys = [...new Set(batch.flatMap((valid) => matchKey(valid.values, matchField) ?? []))].filter((key) => !seen.has(key));
  const { own, elsewhere } = policy === 'CREATE_ANYWAY' ? { own: new Map<string, string>(), elsewhere: new Map<string, string>() } : await existingMatches(db, viewer, row, mapping, matchField, keys);
  for (const [key, id] of own) seen.set(key, { id, existing: true });
  for (const key of elsewhere.keys()) if (!seen.has(key)) seen.set(key, { id: null, existing: true });

  let creates: Valid[] = [];
  const createKeys: (string | null)[] = [];
  const writeCreates = async (): Promise<void> => {
    if (creates.length === 0) return;
    if (mode === 'write') {
      const ids = await mapping.module.insert(db, viewer, creates, { importId: row.id });
      await db.insert(importRecords).values(ids.map((recordId) => ({ organizationId: row.organizationId, importId: row.id, recordId, action: 'CREATED' })));
      ids.forEach((id, index) => {
        const key = createKeys[index];
        if (key) seen.set(key, { id, existing: false });
      });
    }
    counts.created += creates.length;
    creates = [];
    createKeys.length = 0;
  };

  for (const valid of batch) {
    const key = policy === 'CREATE_ANYWAY' ? null : matchKey(valid.values, matchField);
    const pendingIndex = key === null ? -1 : createKeys.indexOf(key);
    const match = key === null ? undefined : seen.get(key);
    if (!match && pendingIndex < 0) {
      creates.push(valid);
      createKeys.push(key);
      continue;
    }
    if (policy === 'SKIP' || (match && match.id === null)) {
      counts.skipped += 1;
      continue;
    }
    // UPDATE: a record that existed, or one this import created from an earlier row.
    if (pendingIndex >= 0) await writeCreates();
    const target = key === null ? undefined : seen.get(key);
    if (mode === 'write' && target?.id) await updateRecord(db, viewer, row, mapping, target.id, valid.values);
    counts.updated += 1;
  }
  await writeCreates();
}

async function updateRecord(db: Db, viewer: Viewer, row: ImportRow, mapping: CompiledMapping, id: string, values: Record<string, unknown>): Promise<void> {
  const kind = mapping.module.kind;
  const current = await lockRecord(db, viewer, kind, id);
  // An update sets only the mapped columns that have a value: an empty cell never clears a field.
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(values)) if (mapping.mappedFields.has(field) && value !== null && value !== undefined) changes[field] = value;
  const before: Record<string, unknown> = {};
  for (const field of Object.keys(changes)) before[field] = (current as Record<string, unknown>)[field] ?? null;
  const { changes: changed } = await saveChanges(db, viewer, kind, current, changes, { importId: row.id }, 'import');
  if (changed.length === 0) return;
  await db
    .insert(importRecords)
    .values({ organizationId: row.organizationId, importId: row.id, recordId: id, action: 'UPDATED', before })
    // A record updated twice keeps its first before-image: the state before the import.
    .onConflictDoNothing();
}
