import { foreignKey, index, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

/**
 * Security-relevant actions, append-only. Actors are kept as plain ids (no foreign key): an
 * entry outlives the user or key it names.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    ...tenantKey(),
    at: timestampMs('at').notNull().defaultNow(),
    action: text('action').notNull(),
    actorUserId: uuid('actor_user_id'),
    actorApiKeyId: uuid('actor_api_key_id'),
    targetType: text('target_type'),
    targetId: uuid('target_id'),
    summary: text('summary').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    index('audit_log_at_idx').on(t.organizationId, t.at, t.id),
    index('audit_log_action_idx').on(t.organizationId, t.action, t.at),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;
