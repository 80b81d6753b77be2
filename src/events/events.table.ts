import { bigint, foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestampMs } from '../db/columns.js';
import { organizations } from '../modules/organizations/organizations.table.js';

/**
 * Per organisation, the last sequence number handed out and how far retention has pruned.
 * Writers take this row's lock to number their events, so numbers follow commit order.
 */
export const eventStreams = pgTable(
  'event_streams',
  {
    organizationId: uuid('organization_id').notNull(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    /** Events up to and including this number have been pruned: older cursors are expired. */
    prunedThrough: bigint('pruned_through', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId] }),
    foreignKey({ name: 'event_streams_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/** The transactional outbox: one row per change, written in the transaction of the change. */
export const events = pgTable(
  'events',
  {
    organizationId: uuid('organization_id').notNull(),
    /** Gap-free and in commit order within the organisation. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** What the event is about: 'deal', later 'signal', 'lead', ... */
    topic: text('topic').notNull(),
    /** e.g. CREATED, UPDATED, MOVED, DELETED, RESTORED. */
    kind: text('kind').notNull(),
    recordId: uuid('record_id').notNull(),
    /** A second key subscribers filter by (a deal's pipeline). */
    scopeId: uuid('scope_id'),
    actorId: uuid('actor_id'),
    at: timestampMs('at').notNull().defaultNow(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.seq] }),
    foreignKey({ name: 'events_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    index('events_at_idx').on(t.at),
  ],
);

export type EventRow = typeof events.$inferSelect;
