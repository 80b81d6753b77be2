import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { publish } from '../../db/transaction.js';
import { organizations } from '../organizations/organizations.table.js';

/** Event topic of access changes: subscribers reload their access before the next event. */
export const ACCESS_TOPIC = 'access';

/**
 * Marks a change to who may see or do what (profiles, roles, sharing, users, API keys), in the
 * transaction of the change: the organisation's access version moves on, so the next request
 * loads current access, and an `access` event in the outbox makes every subscriber reload its
 * access before it is sent any later event (replays included, since they read the same outbox).
 */
export async function accessChanged(tx: Db, organizationId: string, actorId: string | null): Promise<number> {
  const [row] = await tx
    .update(organizations)
    .set({ accessVersion: sql`${organizations.accessVersion} + 1` })
    .where(eq(organizations.id, organizationId))
    .returning({ version: organizations.accessVersion });
  const version = row?.version ?? 0;
  publish(tx, organizationId, actorId, { topic: ACCESS_TOPIC, kind: 'CHANGED', recordId: organizationId, data: { version } });
  return version;
}

export const versionOfAccessEvent = (data: Record<string, unknown>): number => Number(data['version'] ?? 0);
