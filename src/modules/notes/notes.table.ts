import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { relatedRecordColumns, relatedRecordKeys } from '../../db/related-record.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

export const notes = pgTable(
  'notes',
  {
    ...tenantKey(),
    ...relatedRecordColumns(),
    title: text('title'),
    body: text('body').notNull(),
    authorId: uuid('author_id').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
    deletedAt: timestampMs('deleted_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'notes_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete(
      'cascade',
    ),
    foreignKey({ name: 'notes_author_fk', columns: [t.organizationId, t.authorId], foreignColumns: [users.organizationId, users.id] }),
    ...relatedRecordKeys('notes', t),
    check('notes_one_related', sql`num_nonnulls(${t.leadId}, ${t.contactId}, ${t.accountId}, ${t.dealId}) = 1`),
    index('notes_lead_idx').on(t.organizationId, t.leadId),
    index('notes_contact_idx').on(t.organizationId, t.contactId),
    index('notes_account_idx').on(t.organizationId, t.accountId),
    index('notes_deal_idx').on(t.organizationId, t.dealId),
  ],
);

export type NoteRow = typeof notes.$inferSelect;
