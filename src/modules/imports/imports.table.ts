import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { bytes } from '../../db/bytes.js';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/** One target of a confirmed mapping: a CSV column into a record field or a custom field. */
export interface MappedColumn {
  readonly column: string;
  /** A field of the module (e.g. "email"), or null when the column is ignored. */
  readonly field: string | null;
  /** Set instead of `field` to fill a custom field (issue 9's validator plugs in here). */
  readonly customField?: string | null;
}

export interface ImportErrorEntry {
  readonly row: number;
  readonly column: string | null;
  readonly field: string | null;
  readonly message: string;
}

/** Counts of an import's preview or final report. */
export interface ImportCounts {
  rowsRead: number;
  rowsValid: number;
  rowsFailed: number;
  created: number;
  updated: number;
  skipped: number;
}

export const imports = pgTable(
  'imports',
  {
    ...tenantKey(),
    module: text('module').notNull(),
    /** UPLOADING, READY, QUEUED, RUNNING, COMPLETED, FAILED, UNDONE. */
    status: text('status').notNull(),
    createdById: uuid('created_by_id').notNull(),
    fileName: text('file_name'),
    /** bigint: a file can pass 2 GiB. */
    fileBytes: bigint('file_bytes', { mode: 'number' }).notNull().default(0),
    encoding: text('encoding'),
    delimiter: text('delimiter'),
    /** Lines before the header row (preambles some exports write). */
    headerLine: integer('header_line').notNull().default(1),
    headers: text('headers').array().notNull().default([]),
    mapping: jsonb('mapping').$type<MappedColumn[]>().notNull().default([]),
    /** SKIP, UPDATE or CREATE_ANYWAY. */
    duplicatePolicy: text('duplicate_policy').notNull().default('SKIP'),
    matchField: text('match_field'),
    keepGoodRows: boolean('keep_good_rows').notNull().default(false),
    counts: jsonb('counts').$type<ImportCounts | null>(),
    /** The first errors of the last preview or run; all of a run's errors are in import_errors. */
    errors: jsonb('errors').$type<ImportErrorEntry[]>().notNull().default([]),
    errorCount: integer('error_count').notNull().default(0),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    queuedAt: timestampMs('queued_at'),
    completedAt: timestampMs('completed_at'),
    undoneAt: timestampMs('undone_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'imports_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'imports_created_by_fk', columns: [t.organizationId, t.createdById], foreignColumns: [users.organizationId, users.id] }),
  ],
);

/**
 * The uploaded file, in order, a chunk per row: any API process and the job worker can read it
 * (processes are stateless and may not share a disk), and PGlite keeps it like any other row.
 */
export const importFileChunks = pgTable(
  'import_file_chunks',
  {
    organizationId: uuid('organization_id').notNull(),
    importId: uuid('import_id').notNull(),
    seq: integer('seq').notNull(),
    data: bytes('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.importId, t.seq] }),
    foreignKey({ name: 'import_file_chunks_import_fk', columns: [t.organizationId, t.importId], foreignColumns: [imports.organizationId, imports.id] }).onDelete('cascade'),
  ],
);

/** What an import did to each record, for undo: created, or updated (with the fields' values before). */
export const importRecords = pgTable(
  'import_records',
  {
    organizationId: uuid('organization_id').notNull(),
    importId: uuid('import_id').notNull(),
    recordId: uuid('record_id').notNull(),
    action: text('action').notNull(),
    before: jsonb('before').$type<Record<string, unknown> | null>(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.importId, t.recordId] }),
    foreignKey({ name: 'import_records_import_fk', columns: [t.organizationId, t.importId], foreignColumns: [imports.organizationId, imports.id] }).onDelete('cascade'),
  ],
);

/** Every rejected row of a run (GET /imports/<id>/errors.csv). */
export const importErrors = pgTable(
  'import_errors',
  {
    organizationId: uuid('organization_id').notNull(),
    importId: uuid('import_id').notNull(),
    ord: integer('ord').notNull(),
    row: integer('row').notNull(),
    column: text('column'),
    field: text('field'),
    message: text('message').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.importId, t.ord] }),
    foreignKey({ name: 'import_errors_import_fk', columns: [t.organizationId, t.importId], foreignColumns: [imports.organizationId, imports.id] }).onDelete('cascade'),
  ],
);

/** Mappings saved for the next import of the same module, matched by header names. */
export const savedImportMappings = pgTable(
  'saved_import_mappings',
  {
    ...tenantKey(),
    module: text('module').notNull(),
    name: text('name').notNull(),
    mapping: jsonb('mapping').$type<MappedColumn[]>().notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'saved_import_mappings_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    index('saved_import_mappings_module_idx').on(t.organizationId, t.module),
  ],
);

export type ImportRow = typeof imports.$inferSelect;
export type SavedImportMappingRow = typeof savedImportMappings.$inferSelect;
