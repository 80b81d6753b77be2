import { foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/**
 * The relationship's metadata: an append-only log per record, written by services in the same
 * transaction as the change it describes. `record_type` + `record_id` has no foreign key on
 * purpose: the history of a record outlives merges and conversions of that record.
 */
export const timelineEntries = pgTable(
  'timeline_entries',
  {
    ...tenantKey(),
    recordType: text('record_type').notNull(),
    recordId: uuid('record_id').notNull(),
    kind: text('kind').notNull(),
    actorId: uuid('actor_id'),
    at: timestampMs('at').notNull().defaultNow(),
    summary: text('summary').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'timeline_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete(
      'cascade',
    ),
    foreignKey({ name: 'timeline_actor_fk', columns: [t.organizationId, t.actorId], foreignColumns: [users.organizationId, users.id] }),
    index('timeline_record_idx').on(t.organizationId, t.recordId, t.at, t.id),
  ],
);

export type TimelineEntryRow = typeof timelineEntries.$inferSelect;
