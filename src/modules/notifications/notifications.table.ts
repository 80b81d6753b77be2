import { foreignKey, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/** An in-app notification for one user (e.g. from a workflow rule's NOTIFY action). */
export const notifications = pgTable(
  'notifications',
  {
    ...tenantKey(),
    userId: uuid('user_id').notNull(),
    title: text('title').notNull(),
    body: text('body'),
    /** The record it is about: a CRM module and id. */
    module: text('module'),
    recordId: uuid('record_id'),
    /** The workflow rule that sent it, if any. */
    ruleId: uuid('rule_id'),
    readAt: timestampMs('read_at'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'notifications_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'notifications_user_fk', columns: [t.organizationId, t.userId], foreignColumns: [users.organizationId, users.id] }).onDelete('cascade'),
    index('notifications_user_idx').on(t.organizationId, t.userId, t.createdAt, t.id),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;
