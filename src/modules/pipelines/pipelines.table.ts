import { boolean, foreignKey, integer, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';

export const pipelines = pgTable(
  'pipelines',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    position: integer('position').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export const stages = pgTable(
  'stages',
  {
    ...tenantKey(),
    pipelineId: uuid('pipeline_id').notNull(),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    probability: integer('probability').notNull(),
    /** OPEN, WON or LOST. */
    kind: text('kind').notNull().default('OPEN'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    /** A deleted stage stays for the deals' stage history; it leaves the pipeline and the board. */
    deletedAt: timestampMs('deleted_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    // Lets deals reference (pipeline, stage) together so a deal's stage always belongs to its pipeline.
    unique('stages_org_pipeline_id_key').on(t.organizationId, t.pipelineId, t.id),
    foreignKey({ columns: [t.organizationId, t.pipelineId], foreignColumns: [pipelines.organizationId, pipelines.id] }),
    // Like every tenant table: deleting the organisation removes its stages in the same statement.
    foreignKey({ name: 'stages_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export type PipelineRow = typeof pipelines.$inferSelect;
export type StageRow = typeof stages.$inferSelect;
