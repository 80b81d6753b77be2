import { foreignKey, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
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
    archiveBytes: integer('archive_bytes').notNull().default(0),
    archiveSha256: text('archive_sha256'),
    /** The download link works until then (its token is an HMAC of the export and this time). */
    expiresAt: timestampMs('expires_at'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    completedAt: timestampMs('completed_at'),
    verifiedAt: timestampMs('verified_at'),
    /** What verifyExport found wrong, if anything. */
    verifyProblems: jsonb('verify_problems').$type<string[]>(),
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
