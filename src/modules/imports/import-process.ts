import { isNull, sql } from 'drizzle-orm';
import { insertRows } from '../../db/bulk-insert.js';
import type { Db } from '../../db/database.js';
import { DomainError } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { loadModuleConfig } from '../customization/module-config.js';
import { lookupNotFound, missingLookups, syncCustomFieldValues, uniqueConflict, uniqueHolders, uniqueKeyOf, validateCustomFieldValues } from '../customization/record-validation.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import { leads } from '../leads/leads.table.js';
import { findLiveByKeys } from '../records/record-match.js';
import { lockRecord, saveChanges, type AfterWritesQueue, type RecordKind, type RecordTable } from '../records/record-store.js';
import type { CsvFormat } from './csv-format.js';
import { readFile } from './import-file.js';
import { compileMapping, matchKey, rowError, validateRow, type CompiledMapping, type RowResult } from './import-rows.js';
import { importModule } from './import-modules.js';
import { hashKey, KeyHashes, type KeyHash } from './key-hashes.js';
import { importRecords, type ImportCounts, type ImportErrorEntry, type ImportRow } from './imports.table.js';

/** Rows validated, checked for duplicates and written together. */
export const BATCH_ROWS = 1000;
/** Errors kept in memory (and stored for errors.csv) per run; beyond that only counted. */
export const MAX_KEPT_ERRORS = 10_000;

/** `preview`: every check, nothing written. `write` (inside the import's transaction): the same, and the writes. */
export type ProcessMode = 'preview' | 'write';

export interface ProcessResult {
  readonly counts: ImportCounts;
  readonly errors: ImportErrorEntry[];
  readonly errorCount: number;
}

export interface Progress {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly rowsFailed: number;
  readonly bytesRead: number;
}

export interface ProcessOptions {
  /** Called every 2,000 rows. */
  readonly onProgress?: (progress: Progress) => Promise<void>;
  /** More rows than this (the plan's limit) stop the run with PLAN_LIMIT. */
  readonly maxRows?: number | undefined;
  /** `write` mode, all or nothing: from the first bad row on, rows are only checked (the caller rolls back). */
  readonly stopWritingOnError?: boolean;
  /**
   * Where the duplicate lookups go when not to `db`: another connection (PostgreSQL). They read the
   * records that existed before the import (those it creates are in `created`), so they need not
   * wait in line behind the transaction's writes, nor fall among its statements' plan settings.
   */
  readonly lookups?: Db;
}

type Valid = Extract<RowResult, { ok: true }>;

/**
 * What a batch knows about a match key: a record that existed before (id null: a contact
 * that makes a lead a duplicate, never updated), or one the import created (id null in a preview).
 */
type Seen = { readonly id: string | null; readonly existing: boolean };

/** What a run carries from batch to batch. */
interface Run {
  readonly db: Db;
  readonly viewer: Viewer;
  readonly row: ImportRow;
  readonly mapping: CompiledMapping;
  readonly matchField: string;
  mode: ProcessMode;
  readonly counts: ImportCounts;
  readonly errors: ImportErrorEntry[];
  /**
   * Match keys of the records the import created (would create, in a preview), as hashes with
   * each record's id: the memory stays small whatever the file's size.
   */
  readonly created: KeyHashes;
  /** Unique custom values the file's accepted rows hold: field and key -> the record they go to (hashes). */
  readonly claims: KeyHashes;
  /** Where duplicate lookups go (`ProcessOptions.lookups`). */
  readonly lookups: Db;
  /** The created batches' after-write hooks (`AfterWritesQueue`), one batch after the other. */
  readonly afterWrites: AfterWrites;
}

/**
 * The created batches' after-write hooks (scores, workflow runs), one batch behind: a batch's
 * hooks run right after the NEXT batch's insert is sent, so PostgreSQL writes that batch while
 * the hooks compute. Nothing else of the import writes while they run: their savepoints (a
 * workflow's immediate actions) hold no other batch's writes, which a rollback to one would
 * silently undo. (The file's chunks, read on the transaction, may be read meanwhile: a read is
 * not undone by a rollback.) An update, and the run's end, run the hooks still held first: an
 * update may rescore or fire rules on a record a batch created.
 */
class AfterWrites {
  private held: (() => Promise<void>) | null = null;

  readonly queue: AfterWritesQueue = async (work) => {
    const previous = this.held;
    this.held = work;
    if (previous) await previous();
  };

  /** Runs the hooks still held. */
  async drain(): Promise<void> {
    const held = this.held;
    this.held = null;
    if (held) await held();
  }
}

export function formatOf(row: ImportRow): CsvFormat {
  return { encoding: (row.encoding ?? 'utf8') as CsvFormat['encoding'], delimiter: (row.delimiter ?? ',') as CsvFormat['delimiter'], headerLine: row.headerLine };
}

function failRow(run: Run, error: ImportErrorEntry): void {
  run.counts.rowsFailed += 1;
  if (run.errors.length < MAX_KEPT_ERRORS) run.errors.push(error);
}

/** A row that passed the per-row checks and fails a batch check (a lookup, a unique value). */
function rejectRow(run: Run, valid: Valid, error: DomainError): void {
  run.counts.rowsValid -= 1;
  failRow(run, rowError(run.mapping, valid.row, error));
}

/**
 * Reads the stored file once and runs every row through the API's validation, then per batch the
 * checks that need the database (lookups, unique custom values, within the file too) and the
 * duplicate policy; in `write` mode (inside the import's transaction) it also writes: creates in
 * batches, updates record by record with the before-image kept for undo.
 */
export async function processRows(db: Db, viewer: Viewer, row: ImportRow, mode: ProcessMode, options: ProcessOptions = {}): Promise<ProcessResult> {
  const { onProgress, maxRows, stopWritingOnError = false, lookups } = options;
  const module = importModule(row.module);
  const mapping = compileMapping(module, row.headers, row.mapping, await loadModuleConfig(db, row.organizationId, module.module as CustomizableModule));
  const run: Run = {
    db,
    viewer,
    row,
    mapping,
    matchField: row.matchField ?? module.matchFields[0] ?? 'email',
    mode,
    counts: { rowsRead: 0, rowsValid: 0, rowsFailed: 0, created: 0, updated: 0, skipped: 0 },
    errors: [],
    created: KeyHashes.records(),
    claims: KeyHashes.map(),
    lookups: lookups ?? db,
    afterWrites: new AfterWrites(),
  };
  const reader = readFile(db, row.organizationId, row.id, formatOf(row));
  let batch: Valid[] = [];
  // The batch the database is working on while the next one is read and validated (the CPU and
  // the database work at once); batches still apply one after the other, in file order.
  let applying: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return applying;
    const current = batch;
    batch = [];
    // On another connection, its duplicate lookup goes out now, while the batch ahead is written:
    // answered by the time it applies. On the transaction's own, it waits its turn: sent now, it
    // could fall inside a savepoint of the batch ahead's hooks, and fail with it.
    const early = run.lookups !== run.db ? lookUpMatches(run, current) : null;
    early?.catch(() => undefined);
    await applying;
    if (stopWritingOnError && run.counts.rowsFailed > 0) run.mode = 'preview';
    applying = withLiveLookups(run, current).then((live) => applyBatch(run, live, early ?? lookUpMatches(run, current)));
    // Awaited at the next flush; until then a failure must not count as unhandled.
    applying.catch(() => undefined);
  };

  try {
    for await (const parsed of reader.rows) {
      run.counts.rowsRead += 1;
      if (maxRows !== undefined && run.counts.rowsRead > maxRows) {
        throw new DomainError('PLAN_LIMIT', `PLAN_LIMIT: the ${viewer.plan} plan imports at most ${maxRows} rows per file (importRows)`, { limit: 'importRows' });
      }
      const result = validateRow(viewer, mapping, parsed.row, parsed.cells);
      if (result.ok) {
        run.counts.rowsValid += 1;
        batch.push(result);
        if (batch.length >= BATCH_ROWS) await flush();
      } else {
        failRow(run, result.error);
      }
      if (onProgress && run.counts.rowsRead % 2000 === 0) {
        await onProgress({ rowsRead: run.counts.rowsRead, rowsWritten: run.counts.created + run.counts.updated, rowsFailed: run.counts.rowsFailed, bytesRead: reader.bytesRead() });
      }
    }
    await flush();
    await applying;
    await run.afterWrites.drain();
  } catch (error) {
    // The batch being written must finish before the caller ends the transaction: a statement it
    // sent after the rollback would run outside it (and, once the connection is back in the pool,
    // in whatever uses it next).
    await applying.catch(() => undefined);
    throw error;
  }
  // Batch checks report after the rows' own checks: back in row order.
  run.errors.sort((a, b) => a.row - b.row);
  return { counts: run.counts, errors: run.errors, errorCount: run.counts.rowsFailed };
}

/** The batch's rows whose lookups name live records the importer can see (one statement per target module). */
async function withLiveLookups(run: Run, batch: Valid[]): Promise<Valid[]> {
  const references = batch.flatMap((valid) => valid.lookups);
  if (references.length === 0) return batch;
  const missing = new Set((await missingLookups(run.db, run.viewer, references)).map((reference) => `${reference.field.id}:${reference.id}`));
  if (missing.size === 0) return batch;
  return batch.filter((valid) => {
    const bad = valid.lookups.find((reference) => missing.has(`${reference.field.id}:${reference.id}`));
    if (bad) rejectRow(run, valid, lookupNotFound(bad.field));
    return !bad;
  });
}

interface Matches {
  /** The batch's match keys (none under CREATE_ANYWAY). */
  readonly keys: readonly string[];
  /** Match keys of live records of the module, and their ids. */
  readonly own: ReadonlyMap<string, string>;
  /** Match keys of contacts that make a lead a duplicate. */
  readonly elsewhere: ReadonlyMap<string, string>;
}

const batchKeys = (run: Run, batch: readonly Valid[]): string[] => [...new Set(batch.flatMap((valid) => matchKey(valid.values, run.matchField) ?? []))];

/** The records that existed before the import and the batch's match keys find. */
function lookUpMatches(run: Run, batch: readonly Valid[]): Promise<Matches> {
  if (run.row.duplicatePolicy === 'CREATE_ANYWAY') return Promise.resolve({ keys: [], own: new Map(), elsewhere: new Map() });
  return existingMatches(run, batchKeys(run, batch));
}

/**
 * What the batch's match keys find: the records that existed before (`matches`), and those earlier
 * batches created (by the key's hash, with the record's id), which that lookup, outside the
 * transaction, cannot see; they come first, as the import's own records.
 */
function knownKeys(run: Run, { keys, own, elsewhere }: Matches): Map<string, Seen> {
  const known = new Map<string, Seen>();
  for (const [key, id] of own) known.set(key, { id, existing: true });
  for (const key of elsewhere.keys()) if (!known.has(key)) known.set(key, { id: null, existing: true });
  if (run.created.size === 0) return known;
  for (const key of keys) {
    const hash = hashKey(key);
    // A preview writes nothing: its keys hold no record.
    if (run.created.has(hash)) known.set(key, { id: run.mode === 'preview' ? null : run.created.record(hash), existing: false });
  }
  return known;
}

async function existingMatches(run: Run, keys: string[]): Promise<Matches> {
  const kind = run.mapping.module.kind;
  const isLead = run.mapping.module.module === 'leads';
  // The API's own duplicate rule for leads: an open (unconverted) lead, or a contact, with the email.
  const own = await findLiveByKeys(run.lookups, run.viewer, kind, run.matchField, keys, isLead ? isNull(leads.convertedAt) : undefined);
  const elsewhere =
    isLead && run.matchField === 'email' && run.row.duplicatePolicy !== 'CREATE_ANYWAY'
      ? await findLiveByKeys(run.lookups, run.viewer, CONTACT as unknown as RecordKind<RecordTable>, 'email', keys.filter((key) => !own.has(key)))
      : new Map<string, string>();
  return { keys, own, elsewhere };
}

const customOf = (valid: Valid): Record<string, unknown> => valid.values['customFields'] as Record<string, unknown>;
const givenOf = (valid: Valid): Record<string, unknown> => valid.input['customFields'] as Record<string, unknown>;

/**
 * Unique custom values, as the unique index would judge them: a value another record holds (in
 * the database, or an earlier row of the file going to another record) refuses the row. A row
 * that updates a record may keep that record's own value.
 */
async function uniqueChecker(run: Run, batch: readonly Valid[], known: ReadonlyMap<string, Seen>) {
  const { mapping } = run;
  const holders = new Map<string, Map<string, string>>();
  for (const field of mapping.uniqueFields) {
    const keys = batch.flatMap((valid) => {
      const value = customOf(valid)[field.apiName];
      return value === undefined ? [] : [uniqueKeyOf(field, value)];
    });
    holders.set(field.id, await uniqueHolders(run.db, run.viewer, field, keys));
  }
  const claimsOf = (valid: Valid, update: boolean) =>
    mapping.uniqueFields.flatMap((field) => {
      // An update writes only the cells it has; a create writes defaults too.
      const value = update && !(field.apiName in givenOf(valid)) ? undefined : customOf(valid)[field.apiName];
      if (value === undefined) return [];
      const key = uniqueKeyOf(field, value);
      return [{ field, value, key, claim: hashKey(`${field.id}\u0000${key}`) }];
    });
  return {
    /** The first unique value of the row another record holds, as the API's CONFLICT; else claims the row's values. */
    claim(valid: Valid, key: string | null, update: boolean): DomainError | null {
      const target = key === null ? null : (known.get(key)?.id ?? null);
      const ref = hashKey(key ?? `#${valid.row}`);
      const claims = claimsOf(valid, update);
      for (const { field, value, key: valueKey, claim } of claims) {
        const holder = holders.get(field.id)?.get(valueKey);
        const claimed = run.claims.get(claim);
        if ((holder !== undefined && holder !== target) || (claimed !== null && !sameHash(claimed, ref))) return uniqueConflict(mapping.config, field, value);
      }
      for (const { claim } of claims) run.claims.add(claim, ref);
      return null;
    },
  };
}

const sameHash = (a: KeyHash, b: KeyHash): boolean => a.high === b.high && a.low === b.low;

async function applyBatch(run: Run, batch: Valid[], matches: Promise<Matches>): Promise<void> {
  const { row, mapping, counts, created } = run;
  const policy = row.duplicatePolicy;
  const known = knownKeys(run, await matches);
  const unique = mapping.uniqueFields.length > 0 ? await uniqueChecker(run, batch, known) : null;

  let creates: Valid[] = [];
  const createKeys: (string | null)[] = [];
  const writeCreates = async (): Promise<void> => {
    if (creates.length === 0) return;
    if (run.mode === 'write') {
      // The undo log of the created records, in their statement where the module writes a batch in one.
      const undoLog = sql`insert into ${importRecords} (organization_id, import_id, record_id, action) select ${row.organizationId}::uuid, ${row.id}::uuid, created.id, 'CREATED' from created`;
      const { ids, followed } = await mapping.module.insert(run.db, run.viewer, creates, { importId: row.id }, mapping.config, [undoLog], run.afterWrites.queue);
      if (!followed) {
        await insertRows(
          run.db,
          importRecords,
          ids.map((recordId) => ({ organizationId: row.organizationId, importId: row.id, recordId, action: 'CREATED' })),
          false,
        );
      }
      ids.forEach((id, index) => {
        const key = createKeys[index];
        if (!key) return;
        known.set(key, { id, existing: false });
        created.addRecord(hashKey(key), id);
      });
    } else {
      for (const key of createKeys) {
        if (!key) continue;
        known.set(key, { id: null, existing: false });
        created.add(hashKey(key));
      }
    }
    counts.created += creates.length;
    creates = [];
    createKeys.length = 0;
  };

  for (const valid of batch) {
    const key = policy === 'CREATE_ANYWAY' ? null : matchKey(valid.values, run.matchField);
    const pendingIndex = key === null ? -1 : createKeys.indexOf(key);
    const match = key === null ? undefined : known.get(key);
    if (!match && pendingIndex < 0) {
      const conflict = unique?.claim(valid, key, false);
      if (conflict) {
        rejectRow(run, valid, conflict);
        continue;
      }
      creates.push(valid);
      createKeys.push(key);
      continue;
    }
    if (policy === 'SKIP' || (match && match.id === null && match.existing)) {
      counts.skipped += 1;
      continue;
    }
    // UPDATE: a record that existed, or one this import created from an earlier row.
    const conflict = unique?.claim(valid, key, true);
    if (conflict) {
      rejectRow(run, valid, conflict);
      continue;
    }
    if (pendingIndex >= 0) await writeCreates();
    const target = key === null ? undefined : known.get(key);
    if (run.mode === 'write' && target?.id) {
      await run.afterWrites.drain();
      await updateRecord(run, target.id, valid);
    }
    counts.updated += 1;
  }
  await writeCreates();
}

async function updateRecord(run: Run, id: string, valid: Valid): Promise<void> {
  const { db, viewer, row, mapping } = run;
  const kind = mapping.module.kind;
  const current = (await lockRecord(db, viewer, kind, id)) as Record<string, unknown>;
  // An update sets only the mapped columns that have a value: an empty cell never clears a field.
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(valid.values)) if (mapping.mappedFields.has(field) && value !== null && value !== undefined) changes[field] = value;
  const before: Record<string, unknown> = {};
  for (const field of Object.keys(changes)) before[field] = current[field] ?? null;
  // Custom values through the API's update validation, merged into the record's own.
  const currentCustom = (current['customFields'] ?? {}) as Record<string, unknown>;
  const given = givenOf(valid);
  if (Object.keys(given).length > 0) {
    changes['customFields'] = await validateCustomFieldValues(db, viewer, mapping.config, given, currentCustom);
    before['customFields'] = Object.fromEntries(Object.keys(given).map((apiName) => [apiName, currentCustom[apiName] ?? null]));
  }
  const { row: updated, changes: changed } = await saveChanges(db, viewer, kind, current as Awaited<ReturnType<typeof lockRecord>>, changes, { importId: row.id }, 'import');
  if (changed.length === 0) return;
  await syncCustomFieldValues(db, viewer, mapping.config, id, currentCustom, ((updated as Record<string, unknown>)['customFields'] ?? {}) as Record<string, unknown>);
  await db
    .insert(importRecords)
    .values({ organizationId: row.organizationId, importId: row.id, recordId: id, action: 'UPDATED', before })
    // A record updated twice keeps its first before-image: the state before the import.
    .onConflictDoNothing();
}
