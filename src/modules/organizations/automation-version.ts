import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { organizations } from './organizations.table.js';

/**
 * Marks a change to the organisation's automation rules (scoring, assignment, workflows) in the
 * transaction of the change. Every API process reads the version with the signed-in user (no
 * extra statement) and reloads its cached rules when it moved on: several processes share the
 * database, so process memory alone could not tell them.
 */
export async function automationChanged(tx: Db, organizationId: string): Promise<void> {
  await tx
    .update(organizations)
    .set({ automationVersion: sql`${organizations.automationVersion} + 1` })
    .where(eq(organizations.id, organizationId));
}
