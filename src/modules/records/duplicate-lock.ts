import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';

/**
 * Serialises writers of the same email within an organisation until the transaction ends, so a
 * duplicate check followed by an insert cannot race another create of the same email.
 */
export async function lockEmail(tx: Db, organizationId: string, email: string): Promise<void> {
  await lockKey(tx, `${organizationId}:${email}`);
}

/** Serialises writers of anything named by `key` (a handle, a company name) until the transaction ends. */
export async function lockKey(tx: Db, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key.toLowerCase()}, 0))`);
}
