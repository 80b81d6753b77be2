import { sql } from 'drizzle-orm';
import { arrayLiteral } from '../../db/any-of.js';
import { rowsOf, type Database } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { JobQueue, SweepClock } from '../../jobs/job-queue.js';
import { ACTION_JOB, PROMOTE_AHEAD_MS, type ActionJob } from './workflow-runs.js';
import { workflowRunActions } from './workflows.table.js';

/** Actions promoted per statement, and batches per sweep (the next sweep, a minute later, takes any rest). */
const BATCH = 1_000;
const MAX_BATCHES = 100;

/**
 * Sends the jobs of scheduled actions due within the horizon that have none yet (`waitsForPromoter`). Every process
 * that runs jobs sweeps; an action's row is marked in the transaction that sends its job, so a
 * second sweeper (another process) skips it, and a job is sent once.
 */
export async function promoteDueActions(database: Pick<Database, 'db' | 'forOrganization'>, jobs: JobQueue, clock: SweepClock): Promise<number> {
  let sent = 0;
  // Batch after batch: an import's thousands of follow-ups due at once all get their jobs in this sweep.
  for (let batch = 0; batch < MAX_BATCHES; batch += 1) {
    const { found, promoted } = await promoteBatch(database, jobs, clock);
    sent += promoted;
    if (found < BATCH) break;
  }
  return sent;
}

async function promoteBatch(database: Pick<Database, 'db' | 'forOrganization'>, jobs: JobQueue, clock: SweepClock): Promise<{ found: number; promoted: number }> {
  const t = workflowRunActions;
  // Privileged on purpose, and only for this read: the candidates span every organisation. Each
  // organisation's actions are then marked and sent through its own handle, under row-level security.
  const candidates = rowsOf<{ organization_id: string; run_id: string; action_index: number }>(
    await database.db.execute(sql`
      select ${t.organizationId}, ${t.runId}, ${t.actionIndex} from ${t}
      where ${t.status} = 'SCHEDULED' and not ${t.jobQueued} and ${t.scheduledFor} <= ${new Date(clock.now + PROMOTE_AHEAD_MS).toISOString()}::timestamptz
      order by ${t.scheduledFor}
      limit ${BATCH}`),
  );
  const byOrganization = new Map<string, { runIds: string[]; indexes: number[] }>();
  for (const row of candidates) {
    const entry = byOrganization.get(row.organization_id) ?? { runIds: [], indexes: [] };
    entry.runIds.push(row.run_id);
    entry.indexes.push(Number(row.action_index));
    byOrganization.set(row.organization_id, entry);
  }
  let promoted = 0;
  for (const [organizationId, { runIds, indexes }] of byOrganization) {
    promoted += await inTransaction(database.forOrganization(organizationId), async (tx) => {
      const marked = rowsOf<{ run_id: string; action_index: number; due_ms: number | string }>(
        await tx.execute(sql`
          update ${t} set ${sql.identifier(t.jobQueued.name)} = true
          from unnest(${arrayLiteral(runIds)}::uuid[], ${arrayLiteral(indexes)}::int[]) as due(run_id, action_index)
          where ${t.organizationId} = ${organizationId} and ${t.runId} = due.run_id and ${t.actionIndex} = due.action_index
            and ${t.status} = 'SCHEDULED' and not ${t.jobQueued}
          returning ${t.runId}, ${t.actionIndex}, (extract(epoch from ${t.scheduledFor}) * 1000)::float8 as due_ms`),
      );
      const due = marked.map((row) => ({
        data: { organizationId, runId: row.run_id, actionIndex: Number(row.action_index) } satisfies ActionJob,
        startAfter: new Date(Number(row.due_ms) - clock.shift),
      }));
      await jobs.sendMany(ACTION_JOB, due, { tx });
      return due.length;
    });
  }
  return { found: candidates.length, promoted };
}
