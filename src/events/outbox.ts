import { sql } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { events, eventStreams } from './events.table.js';

/** The channel every Pulse process LISTENs on; the payload is the organisation id. */
export const EVENTS_CHANNEL = 'pulse_events';

export interface OutboxEvent {
  readonly topic: string;
  readonly kind: string;
  readonly recordId: string;
  readonly scopeId?: string | null;
  readonly data: Record<string, unknown>;
}

/**
 * Writes events in the caller's transaction. Numbers come from the organisation's stream row,
 * whose lock is held until commit: a second writer of the same organisation gets the next
 * numbers only after the first commits (or rolls back, returning its numbers), so numbers are
 * gap-free and follow commit order, and a reader can never pass an event that commits later.
 * Call it last in the transaction: the lock is held from here to the commit.
 */
export async function emitEvents(tx: Db, organizationId: string, actorId: string | null, batch: readonly OutboxEvent[]): Promise<number[]> {
  if (batch.length === 0) return [];
  const [stream] = await tx
    .insert(eventStreams)
    .values({ organizationId, lastSeq: batch.length })
    .onConflictDoUpdate({ target: eventStreams.organizationId, set: { lastSeq: sql`${eventStreams.lastSeq} + ${batch.length}` } })
    .returning({ lastSeq: eventStreams.lastSeq });
  if (!stream) throw new Error('event stream row missing');
  const first = stream.lastSeq - batch.length + 1;
  const seqs = batch.map((_, index) => first + index);
  await tx.insert(events).values(
    batch.map((event, index) => ({
      organizationId,
      seq: seqs[index] ?? first,
      topic: event.topic,
      kind: event.kind,
      recordId: event.recordId,
      scopeId: event.scopeId ?? null,
      actorId,
      data: event.data,
    })),
  );
  // NOTIFY is transactional: it is delivered at commit and never for a rolled-back change.
  await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${organizationId})`);
  return seqs;
}
