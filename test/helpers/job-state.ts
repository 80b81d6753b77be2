import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/database.js';
import { JOB_SCHEMA } from '../../src/jobs/job-queue.js';

/** The job of `name` whose data names `id` under `key` (e.g. exports.organization, exportId). */
const jobOf = (name: string, key: string, id: string) => sql`name = ${name} and data->>${key} = ${id}`;

/**
 * Puts that job in `state` on its last attempt, as pg-boss leaves one: `active` while the last run
 * goes on; `failed` once pg-boss gave up on it (its time limit passed: pg-boss fails it without
 * calling the handler again), or `cancelled`/`completed`. Tests move the job, not the clock.
 */
export async function setLastRunState(owner: Db, name: string, key: string, id: string, state: 'active' | 'failed' | 'cancelled' | 'completed'): Promise<void> {
  const final = state !== 'active';
  await owner.execute(sql`
    update ${sql.identifier(JOB_SCHEMA)}.job
    set state = ${state}::${sql.identifier(JOB_SCHEMA)}.job_state, retry_count = retry_limit, started_on = now() - expire_in - interval '1 minute',
      completed_on = ${final ? sql`now()` : sql`null`}, output = ${final ? sql`jsonb_build_object('message', 'job timed out')` : sql`null`}
    where ${jobOf(name, key, id)}`);
}

/** Removes that job, as pg-boss does once it has kept it long enough. */
export async function deleteJob(owner: Db, name: string, key: string, id: string): Promise<void> {
  await owner.execute(sql`delete from ${sql.identifier(JOB_SCHEMA)}.job where ${jobOf(name, key, id)}`);
}
