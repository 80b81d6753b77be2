import { boolean, foreignKey, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

/** Module permissions of a profile: module name to the actions allowed on its records. */
export type StoredModulePermissions = Record<string, string[]>;

/** One field a profile hides or makes read-only. */
export interface StoredFieldAccess {
  readonly module: string;
  readonly field: string;
  readonly access: 'HIDDEN' | 'READ_ONLY';
}

/** Named permission sets (Zoho's profiles); every user has exactly one. */
export const profiles = pgTable(
  'profiles',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    /** ADMINISTRATOR or STANDARD for the two every organisation starts with; null for custom ones. */
    builtIn: text('built_in'),
    description: text('description'),
    modulePermissions: jsonb('module_permissions').$type<StoredModulePermissions>().notNull().default({}),
    settings: text('settings').array().notNull().default([]),
    fieldAccess: jsonb('field_access').$type<StoredFieldAccess[]>().notNull().default([]),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/** The role hierarchy (CEO > Sales Manager > Sales Rep): who sees whose records under PRIVATE sharing. */
export const roles = pgTable(
  'roles',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    parentId: uuid('parent_id'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'roles_parent_fk', columns: [t.organizationId, t.parentId], foreignColumns: [t.organizationId, t.id] }),
  ],
);

/** Organisation-wide sharing of one module; a module without a row is PUBLIC_READ_WRITE. */
export const sharingSettings = pgTable(
  'sharing_settings',
  {
    organizationId: uuid('organization_id').notNull(),
    module: text('module').notNull(),
    /** PRIVATE, PUBLIC_READ or PUBLIC_READ_WRITE. */
    access: text('access').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.module] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

/** Grants users of one role (and maybe its subordinates) access to records owned by another's. */
export const sharingRules = pgTable(
  'sharing_rules',
  {
    ...tenantKey(),
    module: text('module').notNull(),
    ownerRoleId: uuid('owner_role_id').notNull(),
    ownerSubordinates: boolean('owner_subordinates').notNull().default(false),
    granteeRoleId: uuid('grantee_role_id').notNull(),
    granteeSubordinates: boolean('grantee_subordinates').notNull().default(false),
    /** READ or READ_WRITE. */
    access: text('access').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'sharing_rules_owner_role_fk', columns: [t.organizationId, t.ownerRoleId], foreignColumns: [roles.organizationId, roles.id] }).onDelete('cascade'),
    foreignKey({ name: 'sharing_rules_grantee_role_fk', columns: [t.organizationId, t.granteeRoleId], foreignColumns: [roles.organizationId, roles.id] }).onDelete(
      'cascade',
    ),
  ],
);

export type ProfileRow = typeof profiles.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type SharingRuleRow = typeof sharingRules.$inferSelect;
