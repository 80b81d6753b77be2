import { newRowId } from '../../db/row-id.js';
import { and, count, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import { insertRowsThen, rowsInsert } from '../../db/bulk-insert.js';
import type { Db } from '../../db/database.js';
import { publish } from '../../db/transaction.js';
import type { EventStream } from '../../events/event-stream.js';
import type { EventRow } from '../../events/events.table.js';
import type { MarkNotificationsReadInput, QueryNotificationsArgs } from '../../generated/graphql.js';
import type { Subscriber } from '../../server/context.js';
import { openSubscriberStream } from '../../server/subscriber-stream.js';
import { badInput } from '../../shared/errors.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import type { Session } from '../auth/session.js';
import { notifications, type NotificationRow } from './notifications.table.js';

export const NOTIFICATION_TOPIC = 'notification';

export interface NewNotification {
  readonly userId: string;
  readonly title: string;
  readonly body: string | null;
  readonly module: string | null;
  readonly recordId: string | null;
  readonly ruleId: string | null;
}

interface NotificationEventData {
  readonly userId: string;
  readonly notification: NotificationRow;
}

/** The rows `items` become, complete (id and time set here): for a writer that sends the insert later (`notificationsInsert`). */
export function notificationRows(organizationId: string, items: readonly NewNotification[]): NotificationRow[] {
  const createdAt = new Date();
  return items.map((item) => ({ ...item, organizationId, id: newRowId(), readAt: null, createdAt }));
}

/** The insert of complete rows, unexecuted (one jsonb parameter). `rows` must not be empty. */
export const notificationsInsert = (tx: Db, rows: readonly NotificationRow[]): SQL => rowsInsert(tx, notifications, rows, 1);

/** Stores notifications in the caller's transaction (a savepoint is fine); publish them with `publishNotifications`. */
export async function insertNotifications(tx: Db, organizationId: string, items: readonly NewNotification[]): Promise<NotificationRow[]> {
  if (items.length === 0) return [];
  // Written by workflow rules on every create they fire on: one jsonb parameter, not Drizzle's per-cell insert.
  return insertRowsThen(
    tx,
    notifications,
    items.map((item) => ({ ...item, organizationId, id: newRowId() })),
    true,
    [],
    1,
  );
}

/** Puts stored notifications on the one event path; `tx` must be the `inTransaction` one. */
export function publishNotifications(tx: Db, organizationId: string, actorId: string | null, rows: readonly NotificationRow[]): void {
  for (const row of rows) {
    const data: NotificationEventData = { userId: row.userId, notification: row };
    publish(tx, organizationId, actorId, { topic: NOTIFICATION_TOPIC, kind: 'CREATED', recordId: row.id, scopeId: row.userId, data: { ...data } });
  }
}

const NEWEST_FIRST: SortKey = { column: notifications.createdAt, direction: 'DESC', nullable: false, decode: (v) => new Date(v) };

const mine = (s: Session): SQL => and(eq(notifications.organizationId, s.viewer.organizationId), eq(notifications.userId, s.viewer.userId)) as SQL;

export type NotificationPage = Connection<NotificationRow> & { readonly unreadCount: () => Promise<number> };

export async function listNotifications(s: Session, args: QueryNotificationsArgs): Promise<NotificationPage> {
  const size = pageSize(args.first);
  const where = and(mine(s), args.unreadOnly ? isNull(notifications.readAt) : undefined);
  const rows = await s.db
    .select()
    .from(notifications)
    .where(args.after ? and(where, afterCursor(NEWEST_FIRST, notifications.id, args.after)) : where)
    .orderBy(...orderBy(NEWEST_FIRST, notifications.id))
    .limit(size + 1);
  const countWhere = async (condition: SQL | undefined): Promise<number> => {
    const [result] = await s.db.select({ n: count() }).from(notifications).where(condition);
    return result?.n ?? 0;
  };
  return {
    ...toConnection(rows, size, (row) => row.createdAt, () => countWhere(where)),
    unreadCount: () => countWhere(and(mine(s), isNull(notifications.readAt))),
  };
}

export async function markNotificationsRead(s: Session, input: MarkNotificationsReadInput): Promise<{ count: number }> {
  if (!input.all && (!input.ids || input.ids.length === 0)) throw badInput('ids', 'Name the notifications, or send all: true');
  const updated = await s.db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(and(mine(s), isNull(notifications.readAt), input.all ? undefined : inArray(notifications.id, [...(input.ids ?? [])])))
    .returning({ id: notifications.id });
  return { count: updated.length };
}

export function notificationOfEvent(event: EventRow): NotificationRow {
  const raw: Record<string, unknown> = { ...(event.data as unknown as NotificationEventData).notification };
  for (const field of ['createdAt', 'readAt']) raw[field] = raw[field] ? new Date(String(raw[field])) : null;
  return raw as unknown as NotificationRow;
}

/** The subscriber's own new notifications, live (after a replay from `after`). */
export function notificationStream(s: Subscriber, after: string | null | undefined): Promise<EventStream> {
  return openSubscriberStream(s, after, (event) => event.topic === NOTIFICATION_TOPIC && (event.data as unknown as NotificationEventData).userId === s.viewer.userId);
}
