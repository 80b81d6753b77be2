import { newRowId } from '../../db/row-id.js';
import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { automationChanged } from '../organizations/automation-version.js';
import type { CreateEmailTemplateInput, CreateWorkflowRuleInput, QueryWorkflowRunsArgs, UpdateWorkflowRuleInput, WorkflowModule } from '../../generated/graphql.js';
import { conflict, DomainError, notFound } from '../../shared/errors.js';
import { afterCursor, orderBy, pageSize, toConnection, type Connection, type SortKey } from '../../shared/pagination.js';
import { optionalText, requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { assertAssignableOwner } from '../users/users.service.js';
import { scheduleExistingRecords } from './date-schedules.js';
import { cancelScheduledActionsOfRule } from './workflow-run-status.js';
import { MODULES, moduleOf, parseActions, parseRuleCriteria, parseTrigger, workflowCatalog, type WorkflowActionSpec } from './workflow-definition.js';
import { emailTemplates, workflowRules, workflowRuns, type EmailTemplateRow, type WorkflowRuleRow, type WorkflowRunRow } from './workflows.table.js';

const ruleScope = (s: Session, id: string): SQL =>
  and(eq(workflowRules.organizationId, s.viewer.organizationId), eq(workflowRules.id, id), isNull(workflowRules.deletedAt)) as SQL;

/**
 * Checks what names other rows (templates, users) exists in the organisation: an unknown one (or
 * another organisation's) is NOT_FOUND naming the field, as every module reports an unknown id.
 */
async function checkReferences(tx: Db, s: Session, actions: readonly WorkflowActionSpec[]): Promise<void> {
  for (const [index, action] of actions.entries()) {
    if (action.templateId) {
      const [template] = await tx
        .select({ id: emailTemplates.id })
        .from(emailTemplates)
        .where(and(eq(emailTemplates.organizationId, s.viewer.organizationId), eq(emailTemplates.id, action.templateId)));
      const field = `actions[${index}].templateId`;
      if (!template) throw new DomainError('NOT_FOUND', `${field}: Email template not found`, { field });
    }
    for (const [at, userId] of (action.userIds ?? []).entries()) await assertAssignableOwner(tx, s.viewer, userId, `actions[${index}].userIds[${at}]`);
    if (action.ownerId) await assertAssignableOwner(tx, s.viewer, action.ownerId, `actions[${index}].ownerId`);
  }
}

export async function createWorkflowRule(s: Session, input: CreateWorkflowRuleInput): Promise<WorkflowRuleRow> {
  assertManages(s.viewer, 'workflows');
  const spec = MODULES[input.module];
  const catalog = await workflowCatalog(s.db, s.viewer.organizationId, spec);
  const values = {
    name: requiredText('name', input.name, 200),
    description: optionalText('description', input.description ?? null, 2000),
    module: spec.module,
    trigger: parseTrigger(spec, input.trigger, catalog),
    criteria: parseRuleCriteria(catalog, input.criteria),
    actions: parseActions(spec, input.actions),
  };
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    await checkReferences(tx, s, values.actions);
    const [row] = await tx
      .insert(workflowRules)
      .values({
        ...values,
        organizationId: s.viewer.organizationId,
        id: newRowId(),
        active: input.active ?? true,
        webhookSecret: randomBytes(32).toString('hex'),
        createdById: s.viewer.userId,
      })
      .returning();
    if (!row) throw new Error('insert returned no rule');
    await scheduleExistingRecords(tx, s.jobs, row);
    return row;
  });
}

export async function updateWorkflowRule(s: Session, input: UpdateWorkflowRuleInput): Promise<WorkflowRuleRow> {
  assertManages(s.viewer, 'workflows');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const [current] = await tx.select().from(workflowRules).where(ruleScope(s, input.id)).for('update');
    if (!current) throw notFound('Workflow rule');
    if (input.expectedVersion != null && input.expectedVersion !== current.version) {
      throw conflict(`The workflow rule was changed by someone else (version ${current.version}, you sent ${input.expectedVersion}); reload it and try again`, {
        currentVersion: current.version,
      });
    }
    const spec = moduleOf(current.module);
    const changes: Partial<typeof workflowRules.$inferInsert> = {};
    if (input.name !== undefined) changes.name = requiredText('name', input.name ?? '', 200);
    if (input.description !== undefined) changes.description = optionalText('description', input.description ?? null, 2000);
    const catalog = input.trigger || input.criteria ? await workflowCatalog(tx, s.viewer.organizationId, spec) : null;
    if (input.trigger && catalog) changes.trigger = parseTrigger(spec, input.trigger, catalog);
    if (input.criteria && catalog) changes.criteria = parseRuleCriteria(catalog, input.criteria);
    if (input.actions) {
      changes.actions = parseActions(spec, input.actions);
      await checkReferences(tx, s, changes.actions);
      if (JSON.stringify(changes.actions) !== JSON.stringify(current.actions)) {
        await cancelScheduledActionsOfRule(tx, s.viewer.organizationId, current.id, 'The rule’s actions were replaced before this one came due');
      }
    }
    const [row] = await tx
      .update(workflowRules)
      .set({ ...changes, updatedAt: new Date(), version: sql`${workflowRules.version} + 1` })
      .where(ruleScope(s, input.id))
      .returning();
    if (!row) throw notFound('Workflow rule');
    if (input.trigger) await scheduleExistingRecords(tx, s.jobs, row);
    return row;
  });
}

async function setRule(s: Session, id: string, values: { active: boolean; deletedAt?: Date }): Promise<WorkflowRuleRow> {
  assertManages(s.viewer, 'workflows');
  return inTransaction(s.db, async (tx) => {
    await automationChanged(tx, s.viewer.organizationId);
    const [current] = await tx.select({ active: workflowRules.active }).from(workflowRules).where(ruleScope(s, id)).for('update');
    if (!current) throw notFound('Workflow rule');
    const [row] = await tx
      .update(workflowRules)
      .set({ ...values, updatedAt: new Date(), version: sql`${workflowRules.version} + 1` })
      .where(ruleScope(s, id))
      .returning();
    if (!row) throw notFound('Workflow rule');
    // Dates written while the rule was inactive were not scheduled.
    if (!current.active && row.active) await scheduleExistingRecords(tx, s.jobs, row);
    return row;
  });
}

export const activateWorkflowRule = (s: Session, id: string): Promise<WorkflowRuleRow> => setRule(s, id, { active: true });
export const deactivateWorkflowRule = (s: Session, id: string): Promise<WorkflowRuleRow> => setRule(s, id, { active: false });
/** Kept (inactive, hidden) so its runs still name it; its waiting actions are cancelled when due. */
export const deleteWorkflowRule = (s: Session, id: string): Promise<WorkflowRuleRow> => setRule(s, id, { active: false, deletedAt: new Date() });

export async function listWorkflowRules(s: Session, module: WorkflowModule | null | undefined): Promise<WorkflowRuleRow[]> {
  assertManages(s.viewer, 'workflows');
  return s.db
    .select()
    .from(workflowRules)
    .where(and(eq(workflowRules.organizationId, s.viewer.organizationId), isNull(workflowRules.deletedAt), module ? eq(workflowRules.module, MODULES[module].module) : undefined))
    .orderBy(desc(workflowRules.createdAt), desc(workflowRules.id));
}

export async function getWorkflowRule(s: Session, id: string): Promise<WorkflowRuleRow> {
  assertManages(s.viewer, 'workflows');
  const [row] = await s.db.select().from(workflowRules).where(ruleScope(s, id));
  if (!row) throw notFound('Workflow rule');
  return row;
}

const RUNS_NEWEST_FIRST: SortKey = { column: workflowRuns.createdAt, direction: 'DESC', nullable: false, decode: (v) => new Date(v) };

export async function listWorkflowRuns(s: Session, args: QueryWorkflowRunsArgs): Promise<Connection<WorkflowRunRow>> {
  assertManages(s.viewer, 'workflows');
  const size = pageSize(args.first);
  const filter = args.filter;
  const where = and(
    eq(workflowRuns.organizationId, s.viewer.organizationId),
    filter?.ruleId ? eq(workflowRuns.ruleId, filter.ruleId) : undefined,
    filter?.recordId ? eq(workflowRuns.recordId, filter.recordId) : undefined,
    filter?.status ? inArray(workflowRuns.status, [...filter.status]) : undefined,
  );
  const rows = await s.db
    .select()
    .from(workflowRuns)
    .where(args.after ? and(where, afterCursor(RUNS_NEWEST_FIRST, workflowRuns.id, args.after)) : where)
    .orderBy(...orderBy(RUNS_NEWEST_FIRST, workflowRuns.id))
    .limit(size + 1);
  return toConnection(rows, size, (row) => row.createdAt, async () => {
    const [result] = await s.db.select({ n: sql<number>`count(*)::int` }).from(workflowRuns).where(where);
    return result?.n ?? 0;
  });
}

export async function createEmailTemplate(s: Session, input: CreateEmailTemplateInput): Promise<EmailTemplateRow> {
  assertManages(s.viewer, 'workflows');
  const [row] = await s.db
    .insert(emailTemplates)
    .values({
      organizationId: s.viewer.organizationId,
      id: newRowId(),
      name: requiredText('name', input.name, 200),
      subject: requiredText('subject', input.subject, 250),
      body: requiredText('body', input.body, 100_000),
      createdById: s.viewer.userId,
    })
    .returning();
  if (!row) throw new Error('insert returned no template');
  return row;
}

export async function listEmailTemplates(s: Session): Promise<EmailTemplateRow[]> {
  assertManages(s.viewer, 'workflows');
  return s.db.select().from(emailTemplates).where(eq(emailTemplates.organizationId, s.viewer.organizationId)).orderBy(emailTemplates.name);
}
