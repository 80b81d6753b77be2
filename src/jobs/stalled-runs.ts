import { sql } from 'drizzle-orm';
import { rowsOf, type Database, type Db } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { JOB_SCHEMA } from './job-queue.js';

/**
 * A kind of background run whose row says QUEUED or RUNNING while its job works (an export, an
 * import, a restore). Its handler marks the row FAILED when its last retry throws; but a last run
 * that outlives its `expireInSeconds` is failed by pg-boss without calling the handler again, and
 * the row would stay RUNNING forever. The sweep finds such rows and fails them the same way.
 */
export interface TrackedRun {
  /** The pg-boss job that runs it. */
  readonly job: string;
  /** The rows' table (a tenant table: `organization_id`, `id`, `status`). */
  readonly table: string;
  /** The key of the job's data that holds the row's id (the job is found by its data). */
  readonly idKey: string;
  /** Marks the row FAILED, if it is still QUEUED or RUNNING, with its kind's side effects; `db` is the organisation's handle. */
  readonly failStalled: (db: Db, row: { readonly organizationId: string; readonly id: string }) => Promise<boolean>;
}

/** Rows per kind per sweep: the next sweep takes the rest. */
const BATCH = 100;
const EVERY_MS = 60_000;

/**
 * Fails every tracked row QUEUED or RUNNING that no live job (created, retry, active) works on any
 * more: its job is completed, failed or cancelled, archived or gone. The job is found by its data
 * rather than a stored id: every row is queued with its job in one transaction, so a live job
 * exists from the row's first QUEUED on, and rows queued before this sweep existed are covered too.
 * Returns how many rows it failed.
 */
export async function sweepStalledRuns(database: Pick<Database, 'db' | 'forOrganization'>, kinds: readonly TrackedRun[], logger: Logger): Promise<number> {
  let failed = 0;
  for (const kind of kinds) {
    // Privileged on purpose, and only for this read: the candidates span every organisation and
    // pg-boss' own table, which row-level security cannot scope. Each row is then failed through
    // its own organisation's handle, under row-level security like any job's work.
    const candidates = rowsOf<{ organization_id: string; id: string }>(
      await database.db.execute(sql`
        select r.organization_id, r.id from ${sql.identifier(kind.table)} r
        where r.status in ('QUEUED', 'RUNNING')
          and not exists (
            select 1 from ${sql.identifier(JOB_SCHEMA)}.job j
            where j.name = ${kind.job} and j.data->>${kind.idKey} = r.id::text and j.state in ('created', 'retry', 'active')
          )
        limit ${BATCH}`),
    );
    for (const candidate of candidates) {
      const row = { organizationId: candidate.organization_id, id: candidate.id };
      if (await kind.failStalled(database.forOrganization(row.organizationId), row)) {
        failed += 1;
        logger.warn('background run failed: its job ended without it', { job: kind.job, ...row });
      }
    }
  }
  return failed;
}

/** Sweeps every minute in a process that runs jobs (where pg-boss also expires them); `stop` waits for a sweep under way. */
export function startStalledRunSweep(database: Pick<Database, 'db' | 'forOrganization'>, kinds: readonly TrackedRun[], logger: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    // One sweep at a time: failing a row waits for a run still holding its lock (a hung import's
    // transaction), and ticks must not pile up behind it.
    if (running) return;
    running = sweepStalledRuns(database, kinds, logger)
      .catch((error: unknown) => logger.warn('stalled-run sweep failed; it runs again within a minute', { error }))
      .finally(() => {
        running = null;
      });
  }, EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
