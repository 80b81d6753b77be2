import { foreignKey, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

/** Operations an organisation's administrators registered, by the sha256 of their exact text. */
export const trustedDocuments = pgTable(
  'trusted_documents',
  {
    organizationId: uuid('organization_id').notNull(),
    /** Lower-case hex sha256 of `document`, as Apollo's persisted-query extension sends it. */
    hash: text('hash').notNull(),
    name: text('name').notNull(),
    document: text('document').notNull(),
    createdBy: uuid('created_by'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.hash] }), foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade')],
);

export type TrustedDocumentRow = typeof trustedDocuments.$inferSelect;
