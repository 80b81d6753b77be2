import { customType, date, foreignKey, index, integer, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { recordColumns, timestampMs } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';
import { accounts } from '../accounts/accounts.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { pipelines, stages } from '../pipelines/pipelines.table.js';

/** Text compared byte by byte (COLLATE "C"), as fractional keys are; a locale would reorder cases. */
const byteOrderedText = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

export const deals = pgTable(
  'deals',
  {
    ...recordColumns(),
    name: text('name').notNull(),
    /** Exact money: numeric in the database, a decimal string in TypeScript and GraphQL. */
    amount: numeric('amount', { precision: 18, scale: 2 }),
    currency: text('currency').notNull(),
    closingDate: date('closing_date', { mode: 'string' }),
    pipelineId: uuid('pipeline_id').notNull(),
    stageId: uuid('stage_id').notNull(),
    probability: integer('probability').notNull(),
    accountId: uuid('account_id'),
    contactId: uuid('contact_id'),
    leadSource: text('lead_source'),
    nextStep: text('next_step'),
    description: text('description'),
    /** Place on the Kanban board within the stage: a fractional key, so a move rewrites one row. */
    boardRank: byteOrderedText('board_rank').notNull().default('a0'),
    /** When the deal entered its current stage (time-in-stage for the stage history). */
    stageEnteredAt: timestampMs('stage_entered_at').notNull().defaultNow(),
    /** When the deal reached a WON or LOST stage; cleared when it is reopened. */
    closedAt: timestampMs('closed_at'),
    /** Stored score before decay (see scoring): sorted and filtered on. */
    score: integer('score').notNull().default(0),
    /** The account's territories (and their ancestors), inherited when the account changes. */
    territoryIds: uuid('territory_ids').array().notNull().default([]),
  },
  (t) => [
    ...recordKeys('deals', t),
    foreignKey({
      name: 'deals_pipeline_fk',
      columns: [t.organizationId, t.pipelineId],
      foreignColumns: [pipelines.organizationId, pipelines.id],
    }),
    foreignKey({
      name: 'deals_stage_fk',
      columns: [t.organizationId, t.pipelineId, t.stageId],
      foreignColumns: [stages.organizationId, stages.pipelineId, stages.id],
    }),
    foreignKey({
      name: 'deals_account_fk',
      columns: [t.organizationId, t.accountId],
      foreignColumns: [accounts.organizationId, accounts.id],
    }),
    foreignKey({
      name: 'deals_contact_fk',
      columns: [t.organizationId, t.contactId],
      foreignColumns: [contacts.organizationId, contacts.id],
    }),
    index('deals_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('deals_stage_idx').on(t.organizationId, t.pipelineId, t.stageId),
    index('deals_board_idx').on(t.organizationId, t.stageId, t.boardRank, t.id),
    index('deals_score_idx').on(t.organizationId, t.score),
    index('deals_territory_idx').using('gin', t.territoryIds),
    index('deals_account_idx').on(t.organizationId, t.accountId),
    index('deals_contact_idx').on(t.organizationId, t.contactId),
    index('deals_owner_idx').on(t.organizationId, t.ownerId),
    index('deals_closing_idx').on(t.organizationId, t.closingDate),
  ],
);

export type DealRow = typeof deals.$inferSelect;
