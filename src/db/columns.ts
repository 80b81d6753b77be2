import { integer, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Millisecond precision so that a timestamp survives a round trip through a JS Date (keyset cursors). */
export const timestampMs = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Columns every tenant table starts with: the organisation leads every key. */
export const tenantKey = () => ({
  organizationId: uuid('organization_id').notNull(),
  id: uuid('id').notNull(),
});

/** Columns every CRM record carries (Zoho's system fields plus optimistic concurrency). */
export const recordColumns = () => ({
  ...tenantKey(),
  version: integer('version').notNull().default(1),
  createdAt: timestampMs('created_at').notNull().defaultNow(),
  updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  createdById: uuid('created_by_id'),
  ownerId: uuid('owner_id').notNull(),
  deletedAt: timestampMs('deleted_at'),
  tags: text('tags').array().notNull().default([]),
  /**
   * The organisation's custom field values keyed by apiName: the copy reads use (no join, no
   * extra query). `custom_field_values` holds the same values typed and indexed for filters,
   * sorts and uniqueness; both are written in the same transaction.
   */
  customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull().default({}),
});
