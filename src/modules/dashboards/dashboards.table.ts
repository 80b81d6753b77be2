import { foreignKey, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';

/** One tile of a dashboard: a saved report or a built-in analytic, drawn as a chart. */
export interface DashboardComponentValue {
  readonly id: string;
  readonly title: string;
  readonly chart: string;
  readonly reportId: string | null;
  readonly builtIn: { readonly analytic: string; readonly params: Record<string, unknown> } | null;
}

export const dashboards = pgTable(
  'dashboards',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    components: jsonb('components').$type<DashboardComponentValue[]>().notNull(),
    visibility: text('visibility').notNull().default('PRIVATE'),
    ownerId: uuid('owner_id').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'dashboards_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'dashboards_owner_fk', columns: [t.organizationId, t.ownerId], foreignColumns: [users.organizationId, users.id] }),
  ],
);

export type DashboardRow = typeof dashboards.$inferSelect;
