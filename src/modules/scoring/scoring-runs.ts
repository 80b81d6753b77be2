import { newRowId } from '../../db/row-id.js';
import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import { SCORED } from './scored-modules.js';
import { activeRules, scoreRecords } from './scoring.service.js';
import { scoringRuns, type ScoredModule, type ScoringRunRow } from './scoring.table.js';

/**
 * A rule change rescores the whole module in the background: a durable job takes the records in
 * id order, one batch per transaction, records its progress on the run, and sends the next batch
 * in the same transaction (so a crash resumes where it stopped, and no batch runs twice). A newer
 * change supersedes a run still going: the newer run covers every record anyway.
 */

export const RESCORE_JOB = 'scoring.rescore';
const BATCH = 250;

interface RescoreJob {
  readonly organizationId: string;
  readonly runId: string;
  readonly module: ScoredModule;
  readonly afterId: string | null;
}

/** Starts a rescore of `module` in the caller's transaction; returns the run. */
export async function startRescore(tx: Db, jobs: JobQueue, organizationId: string, module: ScoredModule): Promise<ScoringRunRow> {
  const table = SCORED[module].table;
  await tx
    .update(scoringRuns)
    .set({ status: 'SUPERSEDED', finishedAt: new Date() })
    .where(and(eq(scoringRuns.organizationId, organizationId), eq(scoringRuns.module, module), eq(scoringRuns.status, 'RUNNING')));
  const [total] = await tx.select({ n: count() }).from(table).where(eq(table.organizationId, organizationId));
  const [run] = await tx
    .insert(scoringRuns)
    .values({ organizationId, id: newRowId(), module, status: total?.n ? 'RUNNING' : 'DONE', total: total?.n ?? 0, finishedAt: total?.n ? null : new Date() })
    .returning();
  if (!run) throw new Error('insert returned no scoring run');
  if (run.status === 'RUNNING') await jobs.send<RescoreJob>(RESCORE_JOB, { organizationId, runId: run.id, module, afterId: null }, { tx });
  return run;
}

async function rescoreBatch(db: Db, jobs: JobQueue, job: RescoreJob): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [run] = await tx
      .select()
      .from(scoringRuns)
      .where(and(eq(scoringRuns.organizationId, job.organizationId), eq(scoringRuns.id, job.runId)))
      .for('update');
    if (!run || run.status !== 'RUNNING') return;
    const table = SCORED[job.module].table;
    const batch = await tx
      .select({ id: table.id })
      .from(table)
      .where(and(eq(table.organizationId, job.organizationId), job.afterId ? gt(table.id, job.afterId) : undefined))
      .orderBy(asc(table.id))
      .limit(BATCH);
    const rules = await activeRules(tx, job.organizationId, job.module);
    await scoreRecords(tx, job.organizationId, job.module, batch.map((row) => row.id), { actorId: null, reason: 'Scoring rules changed', rules });
    const last = batch[batch.length - 1];
    const done = batch.length < BATCH || !last;
    await tx
      .update(scoringRuns)
      .set({
        processed: sql`${scoringRuns.processed} + ${batch.length}`,
        ...(done ? { status: 'DONE' as const, finishedAt: new Date(), total: sql`greatest(${scoringRuns.total}, ${scoringRuns.processed} + ${batch.length})` } : {}),
      })
      .where(and(eq(scoringRuns.organizationId, job.organizationId), eq(scoringRuns.id, job.runId)));
    if (!done) await jobs.send<RescoreJob>(RESCORE_JOB, { ...job, afterId: last.id }, { tx });
  });
}

export function defineScoringJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<RescoreJob>(RESCORE_JOB, tenantJob(deps, (db, job) => rescoreBatch(db, jobs, job)), { retryLimit: 5, retryDelaySeconds: 5 });
}
