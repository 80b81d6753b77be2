import { sql } from 'drizzle-orm';
import { boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenantKey, timestampMs } from '../../db/columns.js';
import { organizations } from '../organizations/organizations.table.js';
import type { WorkflowActionSpec, WorkflowCriterion, WorkflowTriggerSpec } from './workflow-definition.js';

/** A workflow rule: when a record of `module` meets the trigger and the criteria, run the actions. */
export const workflowRules = pgTable(
  'workflow_rules',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    description: text('description'),
    /** leads, contacts, accounts, deals or activities. */
    module: text('module').notNull(),
    trigger: jsonb('trigger').$type<WorkflowTriggerSpec>().notNull(),
    criteria: jsonb('criteria').$type<WorkflowCriterion[]>().notNull().default([]),
    actions: jsonb('actions').$type<WorkflowActionSpec[]>().notNull(),
    active: boolean('active').notNull().default(true),
    /** Signs CALL_WEBHOOK bodies (HMAC-SHA256), one secret per rule. */
    webhookSecret: text('webhook_secret').notNull(),
    createdById: uuid('created_by_id').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    updatedAt: timestampMs('updated_at').notNull().defaultNow(),
    /** Deleted rules are kept so that their runs still name them. */
    deletedAt: timestampMs('deleted_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'workflow_rules_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
    // Every record write reads its module's active rules.
    index('workflow_rules_active_idx').on(t.organizationId, t.module).where(sql`${t.active} and ${t.deletedAt} is null`),
  ],
);

export type WorkflowRuleRow = typeof workflowRules.$inferSelect;

/** One firing of a rule for one record. */
export const workflowRuns = pgTable(
  'workflow_runs',
  {
    ...tenantKey(),
    ruleId: uuid('rule_id').notNull(),
    module: text('module').notNull(),
    recordId: uuid('record_id').notNull(),
    /** The trigger type that fired it. */
    trigger: text('trigger').notNull(),
    /** What fired once (e.g. the date a DATE_FIELD run was for): a second firing for the same key is refused. */
    triggerKey: text('trigger_key'),
    /** The user whose write fired the rule; scheduled actions act as this user. */
    actorId: uuid('actor_id').notNull(),
    /** WAITING (scheduled or queued actions pending), COMPLETED, FAILED or CANCELLED. */
    status: text('status').notNull(),
    error: text('error'),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
    finishedAt: timestampMs('finished_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'workflow_runs_rule_fk', columns: [t.organizationId, t.ruleId], foreignColumns: [workflowRules.organizationId, workflowRules.id] }).onDelete('cascade'),
    index('workflow_runs_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('workflow_runs_rule_idx').on(t.organizationId, t.ruleId, t.createdAt),
    index('workflow_runs_record_idx').on(t.organizationId, t.recordId, t.createdAt),
    uniqueIndex('workflow_runs_once_idx').on(t.organizationId, t.ruleId, t.recordId, t.triggerKey),
  ],
);

export type WorkflowRunRow = typeof workflowRuns.$inferSelect;

/**
 * Each action of a run. The row is written (or moved to DONE) in the same transaction as the
 * action's effect, so a retried job never repeats an action that completed.
 */
export const workflowRunActions = pgTable(
  'workflow_run_actions',
  {
    organizationId: uuid('organization_id').notNull(),
    runId: uuid('run_id').notNull(),
    actionIndex: integer('action_index').notNull(),
    type: text('type').notNull(),
    /** DONE, FAILED, SCHEDULED (delayed job), QUEUED (webhook being delivered) or CANCELLED. */
    status: text('status').notNull(),
    scheduledFor: timestampMs('scheduled_for'),
    /**
     * Whether a SCHEDULED action's job has been sent. An action due later than the promoter's
     * horizon is written without one; the promoter sends it shortly before it is due.
     */
    jobQueued: boolean('job_queued').notNull().default(true),
    error: text('error'),
    completedAt: timestampMs('completed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.runId, t.actionIndex] }),
    foreignKey({ name: 'workflow_run_actions_run_fk', columns: [t.organizationId, t.runId], foreignColumns: [workflowRuns.organizationId, workflowRuns.id] }).onDelete('cascade'),
    // The promoter's search: scheduled actions still waiting for their job, soonest first.
    index('workflow_run_actions_unqueued_idx').on(t.scheduledFor).where(sql`${t.status} = 'SCHEDULED' and not ${t.jobQueued}`),
  ],
);

export type WorkflowRunActionRow = typeof workflowRunActions.$inferSelect;

/** Every delivery attempt of a CALL_WEBHOOK action, successful or not. */
export const webhookAttempts = pgTable(
  'workflow_webhook_attempts',
  {
    ...tenantKey(),
    runId: uuid('run_id').notNull(),
    actionIndex: integer('action_index').notNull(),
    /** 1 for the first attempt. */
    attempt: integer('attempt').notNull(),
    url: text('url').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    at: timestampMs('at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'workflow_webhook_attempts_run_fk', columns: [t.organizationId, t.runId], foreignColumns: [workflowRuns.organizationId, workflowRuns.id] }).onDelete('cascade'),
    index('workflow_webhook_attempts_run_idx').on(t.organizationId, t.runId, t.actionIndex, t.attempt),
  ],
);

export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

/** An email template with merge fields such as {{lead.firstName}} and {{owner.name}}. */
export const emailTemplates = pgTable(
  'email_templates',
  {
    ...tenantKey(),
    name: text('name').notNull(),
    subject: text('subject').notNull(),
    /** Plain text with merge fields; the HTML part is derived from it, every value escaped. */
    body: text('body').notNull(),
    createdById: uuid('created_by_id').notNull(),
    createdAt: timestampMs('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.id] }),
    foreignKey({ name: 'email_templates_organization_fk', columns: [t.organizationId], foreignColumns: [organizations.id] }).onDelete('cascade'),
  ],
);

export type EmailTemplateRow = typeof emailTemplates.$inferSelect;
