import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, integer, jsonb, numeric, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

/** An organisation's own field on one module (Zoho's "Modules and Fields"). */
export const customFields = pgTable(
  'custom_fields',
  {
    ...tenantKey(),
    module: text('module').notNull(),
    /** Stable key in `customFields` JSON, filters and sorts; never changes. */
    apiName: text('api_name').notNull(),
    label: text('label').notNull(),
    type: text('type').notNull(),
    required: boolean('required').notNull().default(false),
    isUnique: boolean('is_unique').notNull().default(false),
    defaultValue: jsonb('default_value'),
    /** Picklist values in display order. */
    options: text('options').array().notNull().default([]),
    /** The module a LOOKUP points to. */
    lookupModule: text('lookup_module'),
    helpText: text('help_text'),
    position: integer('position').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'custom_fields_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    uniqueIndex('custom_fields_api_name_idx').on(t.organizationId, t.module, t.apiName),
  ],
);

/**
 * One typed value per (record, field): what filters, sorts and uniqueness use. A fixed set of
 * typed columns instead of one column per field, so adding a field never runs DDL, and
 * organization_id leads every key (a Citus distribution column).
 */
export const customFieldValues = pgTable(
  'custom_field_values',
  {
    organizationId: uuid('organization_id').notNull(),
    fieldId: uuid('field_id').notNull(),
    /** A lead, contact, account, deal or activity of the field's module. */
    recordId: uuid('record_id').notNull(),
    /** TEXT, TEXTAREA, EMAIL, PHONE, URL, PICKLIST, LOOKUP and DATE (ISO, so it sorts as text). */
    textValue: text('text_value'),
    /** INTEGER, DECIMAL, CURRENCY, PERCENT. */
    numberValue: numeric('number_value'),
    /** DATETIME. */
    timeValue: timestampMs('time_value'),
    boolValue: boolean('bool_value'),
    /** MULTI_PICKLIST. */
    textValues: text('text_values').array(),
    /** Set only for unique fields: the normalised value the unique index compares. */
    uniqueKey: text('unique_key'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.fieldId, t.recordId] }),
    foreignKey({ name: 'custom_field_values_field_fk', columns: [t.organizationId, t.fieldId], foreignColumns: [customFields.organizationId, customFields.id] }).onDelete(
      'cascade',
    ),
    index('custom_field_values_text_idx').on(t.organizationId, t.fieldId, t.textValue, t.recordId),
    index('custom_field_values_number_idx').on(t.organizationId, t.fieldId, t.numberValue, t.recordId),
    index('custom_field_values_time_idx').on(t.organizationId, t.fieldId, t.timeValue, t.recordId),
    index('custom_field_values_record_idx').on(t.organizationId, t.recordId),
    uniqueIndex('custom_field_values_unique_idx').on(t.organizationId, t.fieldId, t.uniqueKey).where(sql`${t.uniqueKey} is not null`),
  ],
);

/** Per organisation and module: labels, and the standard fields hidden or made required. */
export const moduleSettings = pgTable(
  'module_settings',
  {
    organizationId: uuid('organization_id').notNull(),
    module: text('module').notNull(),
    singularLabel: text('singular_label'),
    pluralLabel: text('plural_label'),
    hiddenFields: text('hidden_fields').array().notNull().default([]),
    requiredFields: text('required_fields').array().notNull().default([]),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.module] }),
    foreignKey({ name: 'module_settings_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/**
 * An organisation's own list for a standard picklist. No rows for a picklist: the built-in list
 * applies; the first edit copies it here.
 */
export const picklistValues = pgTable(
  'picklist_values',
  {
    organizationId: uuid('organization_id').notNull(),
    picklist: text('picklist').notNull(),
    value: text('value').notNull(),
    position: integer('position').notNull(),
    /** Kept on records that have it, refused on new writes. */
    retired: boolean('retired').notNull().default(false),
    /** Lists with kinds (activity types and statuses): what Pulse does with the value, e.g. MEETING. */
    kind: text('kind'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.picklist, t.value] }),
    foreignKey({ name: 'picklist_values_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export type CustomFieldRow = typeof customFields.$inferSelect;
export type ModuleSettingsRow = typeof moduleSettings.$inferSelect;
export type PicklistValueRow = typeof picklistValues.$inferSelect;
