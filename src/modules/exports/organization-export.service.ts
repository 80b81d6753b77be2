import { newRowId } from '../../db/row-id.js';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, asc, desc, eq, gt, inArray } from 'drizzle-orm';
import yauzl from 'yauzl';
import yazl from 'yazl';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobInfo, JobQueue } from '../../jobs/job-queue.js';
import type { TrackedRun } from '../../jobs/stalled-runs.js';
import { badInput, conflict, notFound } from '../../shared/errors.js';
import { assertManages, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { organizationExportChunks, organizationExports, type ExportFileEntry, type OrganizationExportRow } from './exports.table.js';
import { dumpRows, tenantTables, type DumpTable } from './table-dump.js';
import { writeInChunks } from '../../shared/chunked-write.js';

export const EXPORT_JOB = 'exports.organization';
const CHUNK_BYTES = 256 * 1024;
const VERIFIED_FOR_DELETION_MS = 24 * 3600 * 1000;

/**
 * The archive format's version: 2 writes an empty string as `""` (an empty cell is null) and
 * numbers and JSON columns as PostgreSQL's exact text. The restore reads version 2 only.
 */
export const EXPORT_FORMAT = { format: 'pulse-organization-export', version: 2 } as const;

/** A backup cell: exact (no spreadsheet apostrophes, it is meant to be read back); empty for null, `""` for an empty string. */
function backupCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function getExport(db: Db, viewer: Viewer, id: string): Promise<OrganizationExportRow> {
  const [row] = await db.select().from(organizationExports).where(recordScope(viewer, 'exports', organizationExports, id));
  if (!row) throw notFound('Export');
  return row;
}

export function listExports(s: Session): Promise<OrganizationExportRow[]> {
  assertManages(s.viewer, 'organization');
  return s.db.select().from(organizationExports).where(readScope(s.viewer, 'exports', organizationExports)).orderBy(desc(organizationExports.createdAt)).limit(50);
}

/** Queues a backup of everything the organisation owns. Administrators only; allowed while paused. */
export async function exportOrganization(s: Session): Promise<OrganizationExportRow> {
  assertManages(s.viewer, 'organization');
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx
      .insert(organizationExports)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), status: 'QUEUED', requestedById: s.viewer.userId })
      .returning();
    if (!row) throw new Error('insert returned no export');
    await s.jobs.send(EXPORT_JOB, { organizationId: row.organizationId, exportId: row.id }, { tx });
    return row;
  });
}

/** The CSV of one table as a stream, counting rows and hashing bytes as they go out. */
function tableStream(db: Db, table: DumpTable, organizationId: string, entry: { rows: number; bytes: number; hash: ReturnType<typeof createHash> }): Readable {
  async function* lines(): AsyncGenerator<Buffer> {
    const emit = (line: string): Buffer => {
      const buffer = Buffer.from(line, 'utf8');
      entry.bytes += buffer.length;
      entry.hash.update(buffer);
      return buffer;
    };
    yield emit(`${table.columns.map(backupCell).join(',')}\r\n`);
    let batch: string[] = [];
    for await (const row of dumpRows(db, table, organizationId)) {
      entry.rows += 1;
      batch.push(`${table.columns.map((column) => backupCell(row[column])).join(',')}\r\n`);
      if (batch.length >= 500) {
        yield emit(batch.join(''));
        batch = [];
      }
    }
    if (batch.length > 0) yield emit(batch.join(''));
  }
  return Readable.from(lines());
}

/** Writes a stream into the export's chunk rows; returns its size and SHA-256. */
async function storeArchive(db: Db, row: OrganizationExportRow, source: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const bytes = await writeInChunks(source, CHUNK_BYTES, async (seq, data) => {
    hash.update(data);
    await db.insert(organizationExportChunks).values({ organizationId: row.organizationId, exportId: row.id, seq, data });
  });
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * The export job: one CSV per tenant table (primary-key order) plus manifest.json with each
 * file's rows and SHA-256, zipped as it is produced and stored in chunks. A retried run starts
 * over from an empty archive, so a crash never leaves a half archive behind as COMPLETED; when
 * the last retry fails too, the export is FAILED (with a reason for people) and its chunks go.
 */
export async function runExport(db: Db, config: Config, job: { organizationId: string; exportId: string }, run: Pick<JobInfo, 'lastAttempt'> = { lastAttempt: false }): Promise<void> {
  const [row] = await db.select().from(organizationExports).where(and(eq(organizationExports.organizationId, job.organizationId), eq(organizationExports.id, job.exportId)));
  if (!row || row.status === 'COMPLETED' || row.status === 'FAILED') return;
  try {
    await writeExport(db, config, row);
  } catch (error) {
    // Retries left: the next run starts over. None: the export ends FAILED rather than RUNNING forever.
    if (run.lastAttempt) await failExport(db, row, EXPORT_FAILED);
    throw error;
  }
}

/** The reason a failed export shows: the details (a driver's message, a stack) stay in the server's log. */
export const EXPORT_FAILED = 'The export could not be written, and its retries failed too; nothing was kept. Start a new export; if it fails again, the server log has the details.';
/** The reason when its job ended without it (its last run outlived the time limit, and pg-boss gave up on it). */
export const EXPORT_STOPPED = 'The export stopped: it ran longer than its time limit, and nothing was kept. Start a new export; if it stops again, the server log has the details.';

/** FAILED with the reason and without its partial archive, if it is still QUEUED or RUNNING; whether it was. */
async function failExport(db: Db, row: { readonly organizationId: string; readonly id: string }, reason: string): Promise<boolean> {
  const where = and(eq(organizationExports.organizationId, row.organizationId), eq(organizationExports.id, row.id), inArray(organizationExports.status, ['QUEUED', 'RUNNING']));
  return inTransaction(db, async (tx) => {
    const failed = await tx
      .update(organizationExports)
      .set({ status: 'FAILED', error: reason, files: [], archiveBytes: 0, archiveSha256: null, completedAt: null, expiresAt: null })
      .where(where)
      .returning({ id: organizationExports.id });
    if (failed.length === 0) return false;
    await tx.delete(organizationExportChunks).where(and(eq(organizationExportChunks.organizationId, row.organizationId), eq(organizationExportChunks.exportId, row.id)));
    return true;
  });
}

/** Exports for the stalled-run sweep (src/jobs/stalled-runs.ts). */
export const EXPORT_RUNS: TrackedRun = {
  job: EXPORT_JOB,
  table: 'organization_exports',
  idKey: 'exportId',
  failStalled: (db, row) => failExport(db, row, EXPORT_STOPPED),
};

async function writeExport(db: Db, config: Config, row: OrganizationExportRow): Promise<void> {
  await db.delete(organizationExportChunks).where(and(eq(organizationExportChunks.organizationId, row.organizationId), eq(organizationExportChunks.exportId, row.id)));
  const tables = await tenantTables(db);
  await db.update(organizationExports).set({ status: 'RUNNING', tableCount: tables.length, tablesDone: 0 }).where(and(eq(organizationExports.organizationId, row.organizationId), eq(organizationExports.id, row.id)));
  const zip = new yazl.ZipFile();
  const stored = storeArchive(db, row, zip.outputStream as unknown as AsyncIterable<Buffer>);
  const files: ExportFileEntry[] = [];
  // Tables are written one after another: yazl reads one entry's stream at a time.
  for (const [index, table] of tables.entries()) {
    const entry = { rows: 0, bytes: 0, hash: createHash('sha256') };
    const stream = tableStream(db, table, row.organizationId, entry);
    const done = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    zip.addReadStream(stream, `${table.name}.csv`, { mtime: new Date(0) });
    await done;
    files.push({ file: `${table.name}.csv`, table: table.name, rows: entry.rows, bytes: entry.bytes, sha256: entry.hash.digest('hex') });
    await db.update(organizationExports).set({ tablesDone: index + 1 }).where(and(eq(organizationExports.organizationId, row.organizationId), eq(organizationExports.id, row.id)));
  }
  const manifest = { ...EXPORT_FORMAT, organizationId: row.organizationId, exportId: row.id, createdAt: new Date().toISOString(), files };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json', { mtime: new Date(0) });
  zip.end();
  const archive = await stored;
  const completedAt = new Date();
  // Only a RUNNING export completes: a run that outlived its time limit may have been failed by
  // the stalled-run sweep meanwhile, and its late archive is not kept.
  const completed = await db
    .update(organizationExports)
    .set({ status: 'COMPLETED', files, archiveBytes: archive.bytes, archiveSha256: archive.sha256, completedAt, expiresAt: new Date(completedAt.getTime() + config.exportLinkHours * 3600 * 1000) })
    .where(and(eq(organizationExports.organizationId, row.organizationId), eq(organizationExports.id, row.id), eq(organizationExports.status, 'RUNNING')))
    .returning({ id: organizationExports.id });
  if (completed.length === 0) await db.delete(organizationExportChunks).where(and(eq(organizationExportChunks.organizationId, row.organizationId), eq(organizationExportChunks.exportId, row.id)));
}

/** The stored archive, chunk by chunk. */
export async function* archiveBytes(db: Db, row: OrganizationExportRow): AsyncGenerator<Buffer> {
  let after = -1;
  for (;;) {
    const page = await db
      .select({ seq: organizationExportChunks.seq, data: organizationExportChunks.data })
      .from(organizationExportChunks)
      .where(and(eq(organizationExportChunks.organizationId, row.organizationId), eq(organizationExportChunks.exportId, row.id), gt(organizationExportChunks.seq, after)))
      .orderBy(asc(organizationExportChunks.seq))
      .limit(4);
    for (const chunk of page) {
      yield chunk.data;
      after = chunk.seq;
    }
    if (page.length < 4) return;
  }
}

async function readZip(buffer: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, file) => (error || !file ? reject(error ?? new Error('no zip')) : resolve(file))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error ?? new Error('unreadable entry'));
        const parts: Buffer[] = [];
        stream.on('data', (part: Buffer) => parts.push(part));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(parts));
          zip.readEntry();
        });
        stream.on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/** CSV data rows (multi-line cells counted once). */
function countCsvRows(text: string): number {
  let rows = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    else if (char === '\n' && !quoted) rows += 1;
  }
  return Math.max(0, rows - 1);
}

/**
 * Re-reads the stored archive and checks it against the manifest and the export's record: the
 * archive's SHA-256, every file present with its SHA-256 and row count. Sets verifiedAt only
 * when everything agrees.
 */
export async function verifyExport(s: Session, id: string): Promise<OrganizationExportRow> {
  assertManages(s.viewer, 'organization');
  const row = await getExport(s.db, s.viewer, id);
  if (row.status !== 'COMPLETED') throw conflict(`The export is ${row.status}; verify it once it is COMPLETED`);
  const parts: Buffer[] = [];
  for await (const part of archiveBytes(s.db, row)) parts.push(part);
  const archive = Buffer.concat(parts);
  const problems: string[] = [];
  if (createHash('sha256').update(archive).digest('hex') !== row.archiveSha256) problems.push('The archive does not match its checksum');
  let entries = new Map<string, Buffer>();
  try {
    entries = await readZip(archive);
  } catch {
    problems.push('The archive cannot be read as a zip file');
  }
  const manifestBuffer = entries.get('manifest.json');
  let manifest: { files: ExportFileEntry[] } | null = null;
  if (!manifestBuffer) problems.push('manifest.json is missing');
  else {
    try {
      const parsed = JSON.parse(manifestBuffer.toString('utf8')) as { files?: unknown };
      if (Array.isArray(parsed.files)) manifest = parsed as { files: ExportFileEntry[] };
      else problems.push('manifest.json lists no files');
    } catch {
      problems.push('manifest.json is not valid JSON');
    }
  }
  for (const expected of row.files) {
    const listed = manifest?.files.find((file) => file.file === expected.file);
    const content = entries.get(expected.file);
    if (!listed || listed.sha256 !== expected.sha256 || listed.rows !== expected.rows) problems.push(`${expected.file}: the manifest disagrees with the export`);
    if (!content) {
      problems.push(`${expected.file} is missing`);
      continue;
    }
    if (createHash('sha256').update(content).digest('hex') !== expected.sha256) problems.push(`${expected.file}: checksum mismatch`);
    if (countCsvRows(content.toString('utf8')) !== expected.rows) problems.push(`${expected.file}: row count mismatch`);
  }
  const [updated] = await s.db
    .update(organizationExports)
    .set({ verifiedAt: problems.length === 0 ? new Date() : null, verifyProblems: problems })
    .where(recordScope(s.viewer, 'exports', organizationExports, id))
    .returning();
  return updated ?? row;
}

/** deleteOrganization's condition: this export exists, verified, and is younger than a day. */
export async function assertVerifiedExport(db: Db, viewer: Viewer, id: string): Promise<void> {
  const row = await getExport(db, viewer, id).catch(() => null);
  if (!row || !row.verifiedAt || !row.completedAt) throw badInput('exportId', 'exportId must name a verified export (run verifyExport first)');
  if (Date.now() - row.completedAt.getTime() > VERIFIED_FOR_DELETION_MS) throw badInput('exportId', 'The export is older than a day: export again');
}

/** The download link's token: an HMAC of the export and its expiry under the server's secret. */
export function downloadToken(config: Config, row: OrganizationExportRow): string | null {
  if (!row.expiresAt) return null;
  return createHmac('sha256', config.jwtSecret).update(`export:${row.organizationId}:${row.id}:${row.expiresAt.getTime()}`).digest('base64url');
}

export function tokenMatches(config: Config, row: OrganizationExportRow, token: string): boolean {
  const expected = downloadToken(config, row);
  if (!expected || !row.expiresAt || row.expiresAt.getTime() < Date.now()) return false;
  const given = Buffer.from(token);
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The export by id for a token-only download (no session): the token decides. */
export async function exportForDownload(db: Db, id: string): Promise<OrganizationExportRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await db.select().from(organizationExports).where(eq(organizationExports.id, id));
  return row;
}

export function defineExportJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<{ organizationId: string; exportId: string }>(EXPORT_JOB, tenantJob(deps, (db, data, run) => runExport(db, deps.config, data, run)), { retryLimit: 3, expireInSeconds: 60 * 60 });
}
