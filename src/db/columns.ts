import { getTableColumns } from 'drizzle-orm';
import { integer, jsonb, text, timestamp, uuid, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';

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

/**
 * A table's columns but those PostgreSQL computes (the match keys: leads.email_key...): the fields
 * a record has, for catalogs of fields (criteria, field security, workflows).
 */
export function fieldColumns(table: PgTable): Record<string, PgColumn> {
  return Object.fromEntries(Object.entries(getTableColumns(table) as Record<string, PgColumn>).filter(([, column]) => !column.generated));
}

/** The generated match keys (leads.email_key, contacts.email_key, accounts.name_key): lookups use them; nothing shows them. */
export const MATCH_KEY_FIELDS: ReadonlySet<string> = new Set(['emailKey', 'nameKey']);
