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

/**
 * The same freedom for the last statement of a transaction, as a column of its final select: set
 * while the statement runs, before the foreign-key checks of its rows (they run when it ends), and
 * gone at the commit that follows, so nothing needs setting back. For the statement that writes a
 * create's kept writes (its workflow runs, actions and notifications) with its events.
 */
export const LAST_STATEMENT_PLANS = sql`, set_config('plan_cache_mode', 'auto', true) as plans`;
