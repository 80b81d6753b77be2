import { and, eq } from 'drizzle-orm';
import { hasConcurrentConnections, type Db } from '../../db/database.js';
import { batchRecordEvents, inTransaction, publish } from '../../db/transaction.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobInfo, JobQueue } from '../../jobs/job-queue.js';
import type { TrackedRun } from '../../jobs/stalled-runs.js';
import { DomainError } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { organizationById } from '../organizations/organizations.service.js';
import { planOf } from '../organizations/plans.js';
import { getUserRow, systemViewer } from '../users/users.service.js';
import { processRows, type ProcessResult } from './import-process.js';
import { IMPORT_JOB, IMPORT_TOPIC, progressEvent, type ImportProgressData } from './imports.service.js';
import { importErrors, imports, type ImportErrorEntry, type ImportRow } from './imports.table.js';

interface ImportJob {
  readonly organizationId: string;
  readonly importId: string;
}

/** The error a crashed import reports once its job's retries are used up. */
const IMPORT_CRASHED = 'The import could not be finished, and its retries failed too; nothing was written. Start a new import of the file; if it fails again, the server log has the details.';

/** The error when its job ended without it (its last run outlived the time limit, and pg-boss gave up on it). */
const IMPORT_STOPPED = 'The import stopped: it ran longer than its time limit, and nothing was written. Start a new import of the file; if it stops again, the server log has the details.';

/** Errors kept on the import row itself (the rest are in import_errors / errors.csv). */
const ERRORS_ON_ROW = 100;

async function loadImport(db: Db, job: ImportJob, lock = false): Promise<ImportRow | undefined> {
  const query = db.select().from(imports).where(and(eq(imports.organizationId, job.organizationId), eq(imports.id, job.importId)));
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

/** The importing user, as the job acts for them (their owner defaults, their permissions). */
async function viewerOf(db: Db, row: ImportRow): Promise<Viewer | null> {
  const user = await getUserRow(db, row.organizationId, row.createdById);
  const organization = await organizationById(db, row.organizationId);
  if (!user || !user.active || !organization) return null;
  return systemViewer(user, organization);
}

/** Progress while reading, up to `upTo` percent. */
const percentageOf = (row: ImportRow, bytesRead: number, upTo: number): number => (row.fileBytes === 0 ? upTo : Math.min(upTo, Math.floor((bytesRead / row.fileBytes) * upTo)));

/** A progress event in a short transaction of its own (never inside the import's transaction). */
async function announce(db: Db, row: ImportRow, status: string, progress: ImportProgressData): Promise<void> {
  await inTransaction(db, async (tx) => publish(tx, row.organizationId, row.createdById, progressEvent(row, progress, status)));
}

async function finish(tx: Db, row: ImportRow, status: 'COMPLETED' | 'FAILED', result: ProcessResult, extraErrors: ImportErrorEntry[] = [], events: Record<string, number> = {}): Promise<void> {
  const errors = [...extraErrors, ...result.errors];
  await tx
    .update(imports)
    .set({ status, counts: result.counts, errors: errors.slice(0, ERRORS_ON_ROW), errorCount: result.errorCount + extraErrors.length, completedAt: new Date() })
    .where(and(eq(imports.organizationId, row.organizationId), eq(imports.id, row.id)));
  await tx.delete(importErrors).where(and(eq(importErrors.organizationId, row.organizationId), eq(importErrors.importId, row.id)));
  for (let start = 0; start < errors.length; start += 1000) {
    await tx.insert(importErrors).values(
      errors.slice(start, start + 1000).map((error, index) => ({ organizationId: row.organizationId, importId: row.id, ord: start + index, row: error.row, column: error.column, field: error.field, message: error.message })),
    );
  }
  const written = result.counts.created + result.counts.updated;
  publish(tx, row.organizationId, row.createdById, {
    topic: IMPORT_TOPIC,
    kind: status,
    recordId: row.id,
    data: { status, rowsRead: result.counts.rowsRead, rowsWritten: written, rowsFailed: result.counts.rowsFailed, percentage: 100, counts: result.counts, events },
  });
}

/**
 * FAILED with one error (and its FAILED progress event), if it is still QUEUED or RUNNING under
 * its row's lock; whether it was.
 */
async function failImport(db: Db, job: ImportJob, message: string, field: string | null = null): Promise<boolean> {
  const empty: ProcessResult = { counts: { rowsRead: 0, rowsValid: 0, rowsFailed: 0, created: 0, updated: 0, skipped: 0 }, errors: [], errorCount: 0 };
  return inTransaction(db, async (tx) => {
    const locked = await loadImport(tx, job, true);
    if (!locked || (locked.status !== 'QUEUED' && locked.status !== 'RUNNING')) return false;
    await finish(tx, locked, 'FAILED', empty, [{ row: 0, column: null, field, message }]);
    return true;
  });
}

/** Imports for the stalled-run sweep (src/jobs/stalled-runs.ts). */
export const IMPORT_RUNS: TrackedRun = {
  job: IMPORT_JOB,
  table: 'imports',
  idKey: 'importId',
  failStalled: (db, row) => failImport(db, { organizationId: row.organizationId, importId: row.id }, IMPORT_STOPPED),
};

/** What a failed run reports: the rows read and refused; nothing was written. */
const nothingWritten = (result: ProcessResult): ProcessResult => ({ ...result, counts: { ...result.counts, created: 0, updated: 0, skipped: 0 } });

/** Thrown inside the writing transaction to roll it back when all-or-nothing found bad rows. */
class BadRows extends Error {
  constructor(readonly result: ProcessResult) {
    super('the import has bad rows');
  }
}

/**
 * The import itself, in one transaction that writes everything and marks the import COMPLETED,
 * so a crash leaves nothing behind and the job's retry starts over, and a run that finds the
 * import already finished (under the import row's lock) does nothing: an import id is imported
 * once. By default a bad row rolls everything back and the import FAILS with every row's error.
 *
 * On PostgreSQL the rows are read once: progress goes out on other connections while the
 * transaction writes. PGlite has one connection, so nothing can be announced while the
 * transaction is open: a first pass checks every row (announcing progress), a second writes.
 */
export async function runImport(db: Db, job: ImportJob, run: Pick<JobInfo, 'lastAttempt'> = { lastAttempt: false }): Promise<void> {
  const row = await loadImport(db, job);
  if (!row || (row.status !== 'QUEUED' && row.status !== 'RUNNING')) return;
  const viewer = await viewerOf(db, row);
  const fail = async (message: string, field: string | null = null): Promise<void> => {
    await failImport(db, job, message, field);
  };
  const failWith = (result: ProcessResult): Promise<void> =>
    inTransaction(db, async (tx) => {
      const locked = await loadImport(tx, job, true);
      if (locked?.status !== 'RUNNING') return;
      await finish(tx, locked, 'FAILED', nothingWritten(result));
    });
  if (!viewer) return fail('The user who started this import is no longer active');
  if (viewer.paused) return fail('The organisation is paused');
  await db.update(imports).set({ status: 'RUNNING' }).where(and(eq(imports.organizationId, row.organizationId), eq(imports.id, row.id)));
  const running = { ...row, status: 'RUNNING' };
  await announce(db, running, 'RUNNING', { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, percentage: 0 });
  const maxRows = planOf(viewer.plan).limits['importRows'];
  const onePass = hasConcurrentConnections(db);

  try {
    if (!onePass) {
      const checked = await processRows(db, viewer, running, 'preview', {
        maxRows,
        onProgress: (progress) =>
          announce(db, running, 'RUNNING', { rowsRead: progress.rowsRead, rowsWritten: 0, rowsFailed: progress.rowsFailed, percentage: percentageOf(running, progress.bytesRead, 50) }),
      });
      if (checked.errorCount > 0 && !running.keepGoodRows) return await failWith(checked);
      await announce(db, running, 'RUNNING', { rowsRead: checked.counts.rowsRead, rowsWritten: 0, rowsFailed: checked.counts.rowsFailed, percentage: 50 });
    }
    await inTransaction(db, async (tx) => {
      const locked = await loadImport(tx, job, true);
      if (locked?.status !== 'RUNNING') return;
      const events = batchRecordEvents(tx, IMPORT_TOPIC);
      const result = await processRows(tx, viewer, locked, 'write', {
        maxRows,
        stopWritingOnError: !locked.keepGoodRows,
        ...(onePass ? { lookups: db } : {}),
        ...(onePass
          ? {
              onProgress: (progress) =>
                announce(db, running, 'RUNNING', { rowsRead: progress.rowsRead, rowsWritten: progress.rowsWritten, rowsFailed: progress.rowsFailed, percentage: percentageOf(running, progress.bytesRead, 99) }),
            }
          : {}),
      });
      // All or nothing (and, after a first pass, something changed since: a concurrent write took a unique value).
      if (result.errorCount > 0 && !locked.keepGoodRows) throw new BadRows(result);
      await finish(tx, locked, 'COMPLETED', result, [], events());
    });
  } catch (error) {
    if (error instanceof BadRows) return failWith(error.result);
    // A rule the data breaks (a reference, a permission, the plan's limit): the import fails with the reason.
    // Anything else (the database went away) is thrown: the job is retried from the start, and
    // after its last retry the import fails (with a reason for people; the details are logged).
    if (error instanceof DomainError) return fail(error.message, typeof error.details['field'] === 'string' ? error.details['field'] : null);
    if (run.lastAttempt) await fail(IMPORT_CRASHED);
    throw error;
  }
}

export function defineImportJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<ImportJob>(IMPORT_JOB, tenantJob(deps, runImport), { retryLimit: 3, retryDelaySeconds: 30, expireInSeconds: 60 * 60 });
}
