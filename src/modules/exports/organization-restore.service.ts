import { newRowId } from '../../db/row-id.js';
import { CsvError } from 'csv-parse';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobInfo, JobQueue } from '../../jobs/job-queue.js';
import type { TrackedRun } from '../../jobs/stalled-runs.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { recordAudit } from '../access-control/audit.service.js';
import { assertManages, assertWritable, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { organizations } from '../organizations/organizations.table.js';
import { getUserRow } from '../users/users.service.js';
import { organizationRestoreChunks, organizationRestores, type OrganizationRestoreRow } from './exports.table.js';
import { openArchive, storeArchive, verifyArchive, type ArchiveManifest, type ArchiveRef } from './restore-archive.js';
import { assertFreshOrganization, restoreArchive } from './restore-writer.js';

export const RESTORE_JOB = 'exports.restore';

interface RestoreJob {
  readonly organizationId: string;
  readonly restoreId: string;
}

const whereRestore = (organizationId: string, id: string) => and(eq(organizationRestores.organizationId, organizationId), eq(organizationRestores.id, id));
const refOf = (row: OrganizationRestoreRow): ArchiveRef => ({ organizationId: row.organizationId, restoreId: row.id, bytes: row.archiveBytes });

export async function getRestore(s: Session, id: string): Promise<OrganizationRestoreRow> {
  assertManages(s.viewer, 'organization');
  const [row] = await s.db.select().from(organizationRestores).where(recordScope(s.viewer, 'exports', organizationRestores, id));
  if (!row) throw notFound('Restore');
  return row;
}

export function listRestores(s: Session): Promise<OrganizationRestoreRow[]> {
  assertManages(s.viewer, 'organization');
  return s.db.select().from(organizationRestores).where(readScope(s.viewer, 'exports', organizationRestores)).orderBy(desc(organizationRestores.createdAt)).limit(50);
}

/**
 * A restore waiting for its archive (POST /restores does this and the upload in one request).
 * Administrators only, into an organisation that holds no records yet.
 */
export async function startRestore(s: Session): Promise<OrganizationRestoreRow> {
  assertManages(s.viewer, 'organization');
  assertWritable(s.viewer);
  await assertFreshOrganization(s.db, s.viewer.organizationId, s.viewer.userId);
  const [row] = await s.db.insert(organizationRestores).values({ organizationId: s.viewer.organizationId, id: newRowId(), status: 'UPLOADING', requestedById: s.viewer.userId }).returning();
  if (!row) throw new Error('insert returned no restore');
  return row;
}

/**
 * Stores the uploaded archive and verifies it (manifest, every file's SHA-256 and row count)
 * before anything is written: a damaged or incomplete archive is refused with BAD_USER_INPUT and
 * its problems, and the restore is FAILED. A sound one is queued.
 */
export async function uploadRestoreArchive(s: Session, id: string, file: AsyncIterable<Buffer>): Promise<OrganizationRestoreRow> {
  assertWritable(s.viewer);
  const row = await getRestore(s, id);
  if (row.status !== 'UPLOADING') throw conflict(`This restore is ${row.status}; start a new one for another archive`);
  const where = whereRestore(row.organizationId, row.id);
  await s.db.delete(organizationRestoreChunks).where(and(eq(organizationRestoreChunks.organizationId, row.organizationId), eq(organizationRestoreChunks.restoreId, row.id)));
  const bytes = await storeArchive(s.db, row.organizationId, row.id, file);
  const stored = { ...row, archiveBytes: bytes };
  const refuse = async (problems: string[]): Promise<void> => {
    await s.db.update(organizationRestores).set({ status: 'FAILED', archiveBytes: bytes, problems, completedAt: new Date() }).where(where);
    await s.db.delete(organizationRestoreChunks).where(and(eq(organizationRestoreChunks.organizationId, row.organizationId), eq(organizationRestoreChunks.restoreId, row.id)));
  };
  const { manifest, problems } = await verifyArchive(s.db, refOf(stored));
  if (!manifest || problems.length > 0) {
    await refuse(problems);
    throw badInput('file', `The archive cannot be restored: ${problems.join('; ')}`, { problems });
  }
  try {
    if (manifest.organizationId === row.organizationId) throw conflict('This archive is this organisation\'s own backup: restore it into a new organisation');
    await assertFreshOrganization(s.db, row.organizationId, s.viewer.userId);
  } catch (error) {
    if (error instanceof DomainError) await refuse([error.message]);
    throw error;
  }
  return inTransaction(s.db, async (tx) => {
    const [queued] = await tx
      .update(organizationRestores)
      .set({ status: 'QUEUED', archiveBytes: bytes, sourceOrganizationId: manifest.organizationId, sourceExportId: manifest.exportId, sourceExportedAt: new Date(manifest.createdAt) })
      .where(and(where, eq(organizationRestores.status, 'UPLOADING')))
      .returning();
    if (!queued) throw conflict('This restore changed meanwhile; start a new one');
    await s.jobs.send(RESTORE_JOB, { organizationId: queued.organizationId, restoreId: queued.id } satisfies RestoreJob, { tx });
    return queued;
  });
}

/** The problem a crashed restore reports once its job's retries are used up (the details are logged). */
const RESTORE_CRASHED = 'The restore could not be finished, and its retries failed too; nothing was restored. Start a new restore with the archive; if it fails again, the server log has the details.';

/** The problem when its job ended without it (its last run outlived the time limit, and pg-boss gave up on it). */
const RESTORE_STOPPED = 'The restore stopped: it ran longer than its time limit, and nothing was restored. Start a new restore with the archive; if it stops again, the server log has the details.';

/**
 * FAILED with the reason, if still QUEUED or RUNNING; the archive goes too (a failed restore is
 * not run again), as when it was refused. Whether it failed it.
 */
async function fail(db: Db, job: RestoreJob, problem: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const failed = await tx
      .update(organizationRestores)
      .set({ status: 'FAILED', problems: [problem], completedAt: new Date() })
      .where(and(whereRestore(job.organizationId, job.restoreId), inArray(organizationRestores.status, ['QUEUED', 'RUNNING'])))
      .returning({ id: organizationRestores.id });
    if (failed.length === 0) return false;
    await tx.delete(organizationRestoreChunks).where(and(eq(organizationRestoreChunks.organizationId, job.organizationId), eq(organizationRestoreChunks.restoreId, job.restoreId)));
    return true;
  });
}

/** Restores for the stalled-run sweep (src/jobs/stalled-runs.ts). */
export const RESTORE_RUNS: TrackedRun = {
  job: RESTORE_JOB,
  table: 'organization_restores',
  idKey: 'restoreId',
  failStalled: (db, row) => fail(db, { organizationId: row.organizationId, restoreId: row.id }, RESTORE_STOPPED),
};

/**
 * The restore job: one transaction writes every table and marks the restore COMPLETED, so a
 * crash leaves nothing behind and the retry starts over; a run that finds it COMPLETED does
 * nothing. A rule the archive breaks (the organisation is no longer new, an unknown column)
 * fails the restore with the reason, and so does a crash on the job's last retry.
 */
export async function runRestore(db: Db, job: RestoreJob, run: Pick<JobInfo, 'lastAttempt'> = { lastAttempt: false }): Promise<void> {
  const [row] = await db.select().from(organizationRestores).where(whereRestore(job.organizationId, job.restoreId));
  if (!row || (row.status !== 'QUEUED' && row.status !== 'RUNNING')) return;
  await db.update(organizationRestores).set({ status: 'RUNNING' }).where(whereRestore(row.organizationId, row.id));
  try {
    await inTransaction(db, async (tx) => {
      // The organisation's row lock keeps two restores (and lifecycle changes) apart.
      const [organization] = await tx.select().from(organizations).where(eq(organizations.id, row.organizationId)).for('update');
      const [locked] = await tx.select().from(organizationRestores).where(whereRestore(row.organizationId, row.id)).for('update');
      if (!organization || locked?.status !== 'RUNNING') return;
      if (organization.pausedAt) throw new DomainError('FORBIDDEN', 'The organisation is paused');
      const caller = await getUserRow(tx, row.organizationId, row.requestedById);
      if (!caller || !caller.active) throw conflict('The administrator who started this restore is no longer active');
      const archive = await openArchive(tx, refOf(locked));
      let result;
      let manifest: ArchiveManifest;
      try {
        manifest = JSON.parse((await readEntry(await archive.open('manifest.json'))).toString('utf8')) as ArchiveManifest;
        result = await restoreArchive(tx, archive, manifest, { organizationId: row.organizationId, callerId: caller.id, callerEmail: caller.email });
      } finally {
        archive.close();
      }
      await recordAudit(tx, { organizationId: row.organizationId, userId: caller.id }, {
        action: 'ORGANIZATION_RESTORED',
        summary: `Restored export ${manifest.exportId} of organisation ${manifest.organizationId}`,
        targetType: 'ORGANIZATION',
        targetId: row.organizationId,
        detail: { restoreId: row.id, sourceOrganizationId: manifest.organizationId, sourceExportId: manifest.exportId, rows: result.tables.reduce((sum, entry) => sum + entry.rows, 0) },
      });
      await tx
        .update(organizationRestores)
        .set({ status: 'COMPLETED', tables: result.tables, placeholderUsers: result.placeholderUsers, matchedUserId: result.matchedUserId, completedAt: new Date() })
        .where(whereRestore(row.organizationId, row.id));
      // The archive was only needed to get here.
      await tx.delete(organizationRestoreChunks).where(and(eq(organizationRestoreChunks.organizationId, row.organizationId), eq(organizationRestoreChunks.restoreId, row.id)));
    });
  } catch (error) {
    // A rule the archive breaks fails the restore, and the job ends there (no retry).
    const failWith = async (problem: string): Promise<void> => {
      await fail(db, job, problem);
    };
    if (error instanceof DomainError) return failWith(error.message);
    if (error instanceof CsvError) return failWith(`A file of the archive is not valid CSV (${error.code}); nothing was restored`);
    const dataError = sqlStateOf(error);
    // Rows the database refuses (a constraint, a value of the wrong type) fail alike, without the driver's text; anything else is retried,
    // and fails the restore after the last retry.
    if (dataError?.startsWith('22') || dataError?.startsWith('23')) return failWith(`The archive's rows break a rule of this database (SQLSTATE ${dataError}); nothing was restored`);
    if (run.lastAttempt) await fail(db, job, RESTORE_CRASHED);
    throw error;
  }
}

/** The SQLSTATE of a driver error, which Drizzle may wrap as the cause. */
function sqlStateOf(error: unknown): string | null {
  for (let current: unknown = error; current && typeof current === 'object'; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return null;
}

async function readEntry(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export function defineRestoreJobs(jobs: JobQueue, deps: JobDeps): void {
  // The job names the organisation restored into (the archive's own is only data in it), so the
  // restore writes under that organisation's policy.
  jobs.define<RestoreJob>(RESTORE_JOB, tenantJob(deps, runRestore), { retryLimit: 3, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });
}
