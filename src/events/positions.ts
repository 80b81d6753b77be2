import { eq } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { DomainError } from '../shared/errors.js';
import { decodeEventCursor, encodeEventCursor } from './cursor.js';
import { eventStreams } from './events.table.js';

/** The organisation's stream position as seen by `db` (inside a snapshot: consistent with its reads). */
export async function streamPosition(db: Db, organizationId: string): Promise<{ lastSeq: number; prunedThrough: number }> {
  const [row] = await db
    .select({ lastSeq: eventStreams.lastSeq, prunedThrough: eventStreams.prunedThrough })
    .from(eventStreams)
    .where(eq(eventStreams.organizationId, organizationId));
  return row ?? { lastSeq: 0, prunedThrough: 0 };
}

export async function currentCursor(db: Db, organizationId: string): Promise<string> {
  return encodeEventCursor((await streamPosition(db, organizationId)).lastSeq);
}

/**
 * Where a subscription starts: after the client's cursor, or after the latest event. A cursor
 * whose events were pruned is CURSOR_EXPIRED (the client reloads); one beyond the latest event
 * is not a cursor of this organisation.
 */
export async function resolveStart(db: Db, organizationId: string, after: string | null | undefined): Promise<number> {
  const position = await streamPosition(db, organizationId);
  if (!after) return position.lastSeq;
  const seq = decodeEventCursor(after);
  if (seq > position.lastSeq) throw new DomainError('BAD_USER_INPUT', 'after is not a cursor of this organisation', { field: 'after' });
  if (seq < position.prunedThrough) {
    throw new DomainError('CURSOR_EXPIRED', 'Events after this cursor are older than the retention period; reload and subscribe again without after', {
      field: 'after',
    });
  }
  return seq;
}
