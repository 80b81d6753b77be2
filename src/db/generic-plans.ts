import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.js';

const GENERIC_PLANS = sql`set local plan_cache_mode = auto`;
const CUSTOM_PLANS = sql`set local plan_cache_mode to default`;

/**
 * Runs `work` (inside a transaction) with PostgreSQL free to reuse generic plans, then goes back
 * to the connection's setting. Connections force custom plans (src/db/database.ts), and that holds
 * for the queries PostgreSQL runs itself: the foreign-key check of each row an insert writes is
 * planned again, row by row; in an import's batch insert that was a third of the database's time.
 *
 * Only for statements whose plans have no choice to get wrong: a batch insert of new rows whose
 * foreign keys point at tables the transaction does not grow (organisations, users, the import).
 * A query run inside would get a generic plan made from the statistics of the moment; in a long
 * transaction that fills a table, such a plan (made while the table looked empty) reads the whole
 * organisation for every lookup.
 */
export async function withGenericPlans<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  await tx.execute(GENERIC_PLANS);
  const result = await work();
  await tx.execute(CUSTOM_PLANS);
  return result;
}

/** `withGenericPlans` for statements sent together (`writeBehind`): the statements between its two settings. */
export const withGenericPlansAround = (statements: readonly SQL[]): SQL[] => [GENERIC_PLANS, ...statements, CUSTOM_PLANS];

/** 256 KB: see `planModeOnceLarge`. */
const LARGE_TABLE_BYTES = 32 * 8192;

/**
 * Generic plans (`auto`) only once `table` is large on disk; until then the transaction's setting
 * stays. For foreign-key checks that look rows up in a table that is filling: a workflow run's
 * actions look up its runs. PostgreSQL sizes a table by its pages on disk when it plans; while it
 * has a few pages, every index that starts with organization_id looks as cheap as the primary
 * key, and a generic plan made then (kept by the connection until the table's statistics change)
 * may read all the organisation's runs for each check. Measured on workflow_runs without
 * statistics: the primary key wins from 11 pages on (about 600 runs), so 32 leaves a margin of
 * three; with statistics it wins sooner. Below it, a create's kept writes pay custom plans (about
 * 20 µs a check): on a fresh install that is a few thousand runs' worth.
 */
const planModeOnceLarge = (table: string): SQL =>
  sql.raw(`set_config('plan_cache_mode', case when pg_relation_size('${table}'::regclass) >= ${LARGE_TABLE_BYTES} then 'auto' else current_setting('plan_cache_mode') end, true)`);

/**
 * `withGenericPlansAround` for a statement whose foreign-key checks look up `table` (schema-qualified), which the
 * transaction (or the install) may still be filling: generic plans once it is large (`planModeOnceLarge`).
 */
export const withGenericPlansOnceLarge = (table: string, statements: readonly SQL[]): SQL[] => [sql`select ${planModeOnceLarge(table)}`, ...statements, CUSTOM_PLANS];

/**
 * The same freedom for the last statement of a transaction, as a column of its final select: set
 * while the statement runs, before the foreign-key checks of its rows (they run when it ends), and
 * gone at the commit that follows, so nothing needs setting back. For the statement that writes a
 * create's kept writes (its workflow runs, actions and notifications) with its events: the
 * actions' checks look up runs, so only once workflow_runs is large (`planModeOnceLarge`).
 */
export const LAST_STATEMENT_PLANS = sql`, ${planModeOnceLarge('public.workflow_runs')} as plans`;
