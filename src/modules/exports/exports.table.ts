import { bigint, foreignKey, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { bytes } from '../../db/bytes.js';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

/** One file of an organisation export, as listed in its manifest.json. */
export interface ExportFileEntry {
  readonly file: string;
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** A whole-organisation backup: a zip of one CSV per table plus manifest.json. */
export const organizationExports = pgTable(
  'organization_exports',
  {
    ...tenantKey(),
    /** QUEUED, RUNNING, COMPLETED, FAILED. */
    status: text('status').notNull(),
    requestedById: uuid('requested_by_id'),
    /** Tables written so far, out of `tableCount`. */
    tablesDone: integer('tables_done').notNull().default(0),
    tableCount: integer('table_count').notNull().default(0),
    files: jsonb('files').$type<ExportFileEntry[]>().notNull().default([]),
    /** bigint: an archive can pass 2 GiB; a JS number is exact far beyond (2^53). */
    archiveBytes: bigint('archive_bytes', { mode: 'number' }).notNull().default(0),
    archiveSha256: text('archive_sha256'),
    /** The download link works until then (its token is an HMAC of the export and this time). */
    expiresAt: timestampMs('expires_at'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    completedAt: timestampMs('completed_at'),
    verifiedAt: timestampMs('verified_at'),
    /** What verifyExport found wrong, if anything. */
    verifyProblems: jsonb('verify_problems').$type<string[]>(),
    /** Why the export FAILED, for people (the technical details are in the server's log). */
    error: text('error'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'organization_exports_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/** The archive, in order, a chunk per row: every API process can serve it, PGlite keeps it too. */
export const organizationExportChunks = pgTable(
  'organization_export_chunks',
  {
    organizationId: uuid('organization_id').notNull(),
    exportId: uuid('export_id').notNull(),
    seq: integer('seq').notNull(),
    data: bytes('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.exportId, t.seq] }),
    foreignKey({ name: 'organization_export_chunks_export_fk', columns: [t.organizationId, t.exportId], foreignColumns: [organizationExports.organizationId, organizationExports.id] }).onDelete('cascade'),
  ],
);

export type OrganizationExportRow = typeof organizationExports.$inferSelect;

/** What a restore wrote into one table. */
export interface RestoredTableEntry {
  readonly table: string;
  readonly rows: number;
}

/** An organisation export read back into a new organisation (the way back of organizationExports). */
export const organizationRestores = pgTable(
  'organization_restores',
  {
    ...tenantKey(),
    /** UPLOADING, QUEUED, RUNNING, COMPLETED, FAILED. */
    status: text('status').notNull(),
    requestedById: uuid('requested_by_id').notNull(),
    /** bigint: an archive can pass 2 GiB. */
    archiveBytes: bigint('archive_bytes', { mode: 'number' }).notNull().default(0),
    /** From the archive's manifest.json. */
    sourceOrganizationId: uuid('source_organization_id'),
    sourceExportId: uuid('source_export_id'),
    sourceExportedAt: timestampMs('source_exported_at'),
    tables: jsonb('tables').$type<RestoredTableEntry[]>().notNull().default([]),
    /** Exported users restored as inactive placeholders, and the one matched to the restoring administrator by email (if any). */
    placeholderUsers: integer('placeholder_users').notNull().default(0),
    matchedUserId: uuid('matched_user_id'),
    /** Why the archive was refused or the restore failed. */
    problems: jsonb('problems').$type<string[]>().notNull().default([]),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    completedAt: timestampMs('completed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'organization_restores_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/** The uploaded archive, in fixed-size chunks (so a byte range maps to chunk numbers). */
export const organizationRestoreChunks = pgTable(
  'organization_restore_chunks',
  {
    organizationId: uuid('organization_id').notNull(),
    restoreId: uuid('restore_id').notNull(),
    seq: integer('seq').notNull(),
    data: bytes('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.restoreId, t.seq] }),
    foreignKey({ name: 'organization_restore_chunks_restore_fk', columns: [t.organizationId, t.restoreId], foreignColumns: [organizationRestores.organizationId, organizationRestores.id] }).onDelete('cascade'),
  ],
);

export type OrganizationRestoreRow = typeof organizationRestores.$inferSelect;
