import { index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';

/**
 * Open WebSocket connections of every API process (WS_CONNECTION_STORE=postgres), so the cap per
 * user holds across processes. Keyed by the same caller subject as query budgets, so global by
 * design. A process refreshes `seen_at` of its rows while it runs; rows of a process that died
 * stop counting once they are older than the staleness window.
 */
export const socketConnections = pgTable(
  'socket_connections',
  {
    subject: text('subject').notNull(),
    socketId: uuid('socket_id').notNull(),
    processId: uuid('process_id').notNull(),
    seenAt: timestampMs('seen_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.subject, table.socketId] }), index('socket_connections_process_idx').on(table.processId)],
);
