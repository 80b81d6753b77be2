import { and, desc, eq, gte, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/database.js';
import type { EventStream } from '../../events/event-stream.js';
import type { EventRow } from '../../events/events.table.js';
import { currentCursor } from '../../events/positions.js';
import type { QuerySalesSignalsArgs, SalesSignalSubscriptionFilter } from '../../generated/graphql.js';
import type { Subscriber } from '../../server/context.js';
import { openSubscriberStream } from '../../server/subscriber-stream.js';
import type { Connection, SortKey } from '../../shared/pagination.js';
import { pageSize, afterCursor, orderBy, toConnection } from '../../shared/pagination.js';
import { topPerParent } from '../../shared/top-per-parent.js';
import { canReadRecord, readScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { SIGNAL_TOPIC } from './signal-kinds.js';
import type { SignalEventData } from './signals.service.js';
import { salesSignals, type SalesSignalRow } from './signals.table.js';

const NEWEST_FIRST: SortKey = { column: salesSignals.occurredAt, direction: 'DESC', nullable: false, decode: (v) => new Date(v) };

/** Records owned by a user: signals are filtered by their lead's or contact's owner. */
const ownedBy = (ownerId: string): SQL =>
  sql`(exists (select 1 from leads l where l.organization_id = ${salesSignals.organizationId} and l.id = ${salesSignals.leadId} and l.owner_id = ${ownerId})
    or exists (select 1 from contacts c where c.organization_id = ${salesSignals.organizationId} and c.id = ${salesSignals.contactId} and c.owner_id = ${ownerId}))`;

/** A page of signals plus the event cursor of the same snapshot (the seam for the live feed). */
export type SignalFeed = Connection<SalesSignalRow> & { readonly cursor: string };

export async function listSalesSignals(s: Session, args: QuerySalesSignalsArgs): Promise<SignalFeed> {
  const size = pageSize(args.first);
  const filter = args.filter;
  const conditions: (SQL | undefined)[] = [readScope(s.viewer, 'signals', salesSignals)];
  if (filter?.kinds) conditions.push(inArray(salesSignals.kind, [...filter.kinds]));
  if (filter?.recordId) conditions.push(or(eq(salesSignals.leadId, filter.recordId), eq(salesSignals.contactId, filter.recordId)));
  if (filter?.ownerId) conditions.push(ownedBy(filter.ownerId));
  if (filter?.since) conditions.push(gte(salesSignals.occurredAt, filter.since));
  const where = and(...conditions);
  const { rows, cursor } = await s.db.transaction(
    async (tx) => ({
      rows: await tx
        .select()
        .from(salesSignals)
        .where(args.after ? and(where, afterCursor(NEWEST_FIRST, salesSignals.id, args.after)) : where)
        .orderBy(...orderBy(NEWEST_FIRST, salesSignals.id))
        .limit(size + 1),
      cursor: await currentCursor(tx as Db, s.viewer.organizationId),
    }),
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  const page = toConnection(rows, size, (row) => row.occurredAt, async () => {
    const [result] = await s.db.select({ n: sql<number>`count(*)::int` }).from(salesSignals).where(where);
    return result?.n ?? 0;
  });
  return { ...page, cursor };
}

/** The newest signals of several leads or contacts (for the per-request loader). */
export function signalsOf(db: Db, viewer: Viewer, column: PgColumn, recordIds: readonly string[], first: number): Promise<Map<string, SalesSignalRow[]>> {
  return topPerParent(db, salesSignals, column, recordIds, readScope(viewer, 'signals', salesSignals), [desc(salesSignals.occurredAt), desc(salesSignals.id)], pageSize(first));
}

export function signalOfEvent(event: EventRow): SalesSignalRow {
  const raw = { ...(event.data as unknown as SignalEventData).signal };
  for (const field of ['occurredAt', 'createdAt']) raw[field] = new Date(String(raw[field]));
  return raw as unknown as SalesSignalRow;
}

/** Live signals (after a replay from `after`) for records the subscriber may read. */
export async function salesSignalStream(s: Subscriber, filter: SalesSignalSubscriptionFilter | null | undefined, after: string | null | undefined): Promise<EventStream> {
  return openSubscriberStream(s, after, (event) => {
    if (event.topic !== SIGNAL_TOPIC) return false;
    const data = event.data as unknown as SignalEventData;
    const signal = signalOfEvent(event);
    if (filter?.kinds && !filter.kinds.includes(signal.kind as never)) return false;
    if (filter?.recordId && signal.leadId !== filter.recordId && signal.contactId !== filter.recordId) return false;
    if (filter?.mine && data.ownerId !== s.viewer.userId) return false;
    return canReadRecord(s.viewer, 'signals', { ...signal, parentOwnerId: data.ownerId });
  });
}
