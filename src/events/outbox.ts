import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/database.js';
import { LAST_STATEMENT_PLANS } from '../db/generic-plans.js';
import { namedStatements } from '../db/named-statements.js';
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
export async function emitEvents(tx: Db, organizationId: string, actorId: string | null, batch: readonly OutboxEvent[], companions: readonly SQL[] = []): Promise<number[]> {
  if (batch.length === 0) return [];
  const rows = sql.join(
    batch.map(
      (event, index) =>
        sql`(${index + 1}::int, ${event.topic}::text, ${event.kind}::text, ${event.recordId}::uuid, ${event.scopeId ?? null}::uuid, ${JSON.stringify(event.data)}::jsonb)`,
    ),
    sql`, `,
  );
  // One statement, so the stream lock is held for a single round trip before the commit:
  // take the numbers, write the events, and ask for the wake-up (NOTIFY is sent at commit).
  // Writes the transaction kept for its end (`writeAtEnd`) ride in the same statement.
  const kept = companions.length > 0 ? sql`${namedStatements('kept', companions)}, ` : sql``;
  const result = await tx.execute<{ last_seq: number | string }>(sql`
    with ${kept}stream as (
      insert into ${eventStreams} (organization_id, last_seq) values (${organizationId}, ${batch.length})
      on conflict (organization_id) do update set last_seq = ${eventStreams}.last_seq + ${batch.length}
      returning last_seq
    ), written as (
      insert into ${events} (organization_id, seq, topic, kind, record_id, scope_id, actor_id, data)
      select ${organizationId}::uuid, stream.last_seq - ${batch.length} + batch.ord, batch.topic, batch.kind, batch.record_id, batch.scope_id, ${actorId}::uuid, batch.data
      from stream, (values ${rows}) as batch(ord, topic, kind, record_id, scope_id, data)
      returning seq
    )
    select (select last_seq from stream) as last_seq, pg_notify(${EVENTS_CHANNEL}, ${organizationId}), (select count(*) from written) as written${companions.length > 0 ? LAST_STATEMENT_PLANS : sql``}`);
  const [row] = rowsOf<{ last_seq: number | string }>(result);
  if (!row) throw new Error('event stream row missing');
  const last = Number(row.last_seq);
  return batch.map((_, index) => last - batch.length + index + 1);
}
