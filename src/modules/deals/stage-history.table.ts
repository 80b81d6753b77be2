import { foreignKey, index, integer, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import { stages } from '../pipelines/pipelines.table.js';
import { users } from '../users/users.table.js';
import { deals } from './deals.table.js';

/** Every stage a deal has left and entered: from, to, who, when, and how long it stayed. */
export const dealStageHistory = pgTable(
  'deal_stage_history',
  {
    ...tenantKey(),
    dealId: uuid('deal_id').notNull(),
    fromStageId: uuid('from_stage_id'),
    toStageId: uuid('to_stage_id').notNull(),
    movedById: uuid('moved_by_id'),
    movedAt: timestampMs('moved_at').notNull().defaultNow(),
    /** Seconds the deal spent in `fromStageId`; null for the entry that records its creation. */
    secondsInPreviousStage: integer('seconds_in_previous_stage'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'stage_history_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'stage_history_deal_fk', columns: [t.organizationId, t.dealId], foreignColumns: [deals.organizationId, deals.id] }),
    foreignKey({ name: 'stage_history_from_fk', columns: [t.organizationId, t.fromStageId], foreignColumns: [stages.organizationId, stages.id] }),
    foreignKey({ name: 'stage_history_to_fk', columns: [t.organizationId, t.toStageId], foreignColumns: [stages.organizationId, stages.id] }),
    foreignKey({ name: 'stage_history_user_fk', columns: [t.organizationId, t.movedById], foreignColumns: [users.organizationId, users.id] }),
    index('stage_history_deal_idx').on(t.organizationId, t.dealId, t.movedAt),
  ],
);

export type StageHistoryRow = typeof dealStageHistory.$inferSelect;
