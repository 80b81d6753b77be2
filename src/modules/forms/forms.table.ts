import { boolean, foreignKey, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/** One field of a web form: the name it is posted under and the lead field it fills. */
export interface WebFormField {
  readonly name: string;
  readonly leadField: string;
  readonly required: boolean;
}

/** A web-to-lead form; posted to at POST /forms/<publicKey>. */
export const webForms = pgTable(
  'web_forms',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    /** "<organisation>.<random>": public, but it names only this form. */
    publicKey: text('public_key').notNull(),
    fields: jsonb('fields').$type<WebFormField[]>().notNull(),
    redirectUrl: text('redirect_url'),
    ownerId: uuid('owner_id').notNull(),
    leadSource: text('lead_source').notNull().default('Web'),
    active: boolean('active').notNull().default(true),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'web_forms_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'web_forms_owner_fk', columns: [t.organizationId, t.ownerId], foreignColumns: [users.organizationId, users.id] }),
    uniqueIndex('web_forms_key_idx').on(t.organizationId, t.publicKey),
  ],
);

export type WebFormRow = typeof webForms.$inferSelect;
