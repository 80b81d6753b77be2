import { date, foreignKey, index, integer, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { recordColumns } from '../../db/columns.js';
import { recordKeys } from '../../db/record-keys.js';
import { accounts } from '../accounts/accounts.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { pipelines, stages } from '../pipelines/pipelines.table.js';

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
    index('deals_account_idx').on(t.organizationId, t.accountId),
    index('deals_contact_idx').on(t.organizationId, t.contactId),
    index('deals_owner_idx').on(t.organizationId, t.ownerId),
    index('deals_closing_idx').on(t.organizationId, t.closingDate),
  ],
);

export type DealRow = typeof deals.$inferSelect;
