import { sql } from 'drizzle-orm';
import type { AppDeps } from '../server/context.js';
import { rowsOf } from '../db/database.js';

const EVERY_MS = 60 * 60 * 1000;

/**
 * Deletes events older than the retention period and records, per organisation, how far it
 * pruned: a cursor before that point is CURSOR_EXPIRED. Every process runs it; concurrent runs
 * are harmless (deletes are idempotent and the mark only moves forward).
 */
export async function pruneEvents(deps: Pick<AppDeps, 'db' | 'config'>, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - deps.config.eventRetentionDays * 24 * 3600 * 1000);
  const result = await deps.db.execute<{ pruned: number }>(sql`
    with deleted as (
      delete from events where at < ${cutoff.toISOString()}::timestamptz returning organization_id, seq
    ), marks as (
      select organization_id, max(seq) as through from deleted group by organization_id
    ), updated as (
      update event_streams s set pruned_through = greatest(s.pruned_through, marks.through)
      from marks where s.organization_id = marks.organization_id
      returning 1
    )
    select (select count(*) from deleted)::int as pruned`);
  return rowsOf<{ pruned: number }>(result)[0]?.pruned ?? 0;
}

export function startEventRetention(deps: AppDeps): { stop(): void } {
  const run = (): void => {
    pruneEvents(deps).catch((error: unknown) => deps.logger.warn('event retention failed; it runs again within the hour', { error }));
  };
  const startup = setTimeout(run, 5_000);
  const timer = setInterval(run, EVERY_MS);
  startup.unref();
  timer.unref();
  return {
    stop: () => {
      clearTimeout(startup);
      clearInterval(timer);
    },
  };
}
