import { validateRecordWrite, type CustomValues } from '../customization/record-validation.js';
import type { CustomizableModule } from '../customization/standard-fields.js';
import { labelsOf, moduleLabelsOf } from '../customization/module-config.js';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { DomainError } from '../../shared/errors.js';
import { ACTIVITY } from '../activities/activities.kind.js';
import type { Viewer } from '../auth/viewer.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { queueTrackedEmail, type Recipient } from '../emails/emails.service.js';
import { insertNotifications, type NewNotification } from '../notifications/notifications.service.js';
import type { NotificationRow } from '../notifications/notifications.table.js';
import { normaliseFields } from '../records/field-rules.js';
import { assertReference, insertRecord, lockRecord, saveChanges } from '../records/record-store.js';
import { assertAssignableOwner, getUserRow } from '../users/users.service.js';
import { mergesModuleLabel, mergeText, type MergeContext } from './merge-fields.js';
import { signedWebhookBody, WEBHOOK_JOB, type WebhookJob } from './workflow-webhooks.js';
import type { ModuleSpec, WorkflowActionSpec } from './workflow-definition.js';
import type { WorkflowRuntime } from './workflow-runtime.js';
import { emailTemplates, type WorkflowRuleRow } from './workflows.table.js';

/** Everything one action needs, in the transaction (or savepoint) its effect is written in. */
export interface ActionContext {
  readonly tx: Db;
  readonly viewer: Viewer;
  readonly runtime: WorkflowRuntime;
  readonly rule: WorkflowRuleRow;
  readonly spec: ModuleSpec;
  readonly record: Readonly<Record<string, unknown>>;
  readonly runId: string;
  readonly actionIndex: number;
  readonly trigger: string;
}

/** What an action leaves to do after its savepoint: events to publish, emails to hand to SMTP. */
export interface ActionEffects {
  readonly status: 'DONE' | 'QUEUED';
  readonly notifications?: NotificationRow[];
  readonly emailIds?: string[];
}

const RELATED_COLUMN: Partial<Record<string, string>> = { leads: 'leadId', contacts: 'contactId', accounts: 'accountId', deals: 'dealId' };

/** The owner is read only when a text merges an owner field (or the email goes to the owner). */
async function mergeContext(ctx: ActionContext, texts: readonly string[], needOwner = false): Promise<MergeContext> {
  const owner = needOwner || texts.some((text) => /\{\{\s*owner\./.test(text)) ? await getUserRow(ctx.tx, ctx.viewer.organizationId, String(ctx.record['ownerId'])) : undefined;
  const moduleLabel = mergesModuleLabel(texts) ? labelsOf(await moduleLabelsOf(ctx.tx, ctx.viewer.organizationId), ctx.spec.module as CustomizableModule) : undefined;
  return { recordName: ctx.spec.mergeName, record: ctx.record, owner: owner ? { name: owner.name, email: owner.email } : null, moduleLabel };
}

async function recipientOf(ctx: ActionContext, action: WorkflowActionSpec, merge: MergeContext): Promise<Recipient> {
  const recordId = String(ctx.record['id']);
  const timeline = ctx.spec.kind.timelineType ? { type: ctx.spec.kind.timelineType, id: recordId } : null;
  if (action.recipient === 'OWNER') {
    if (!merge.owner) throw new DomainError('NOT_FOUND', "The record's owner was not found");
    return { to: merge.owner.email, leadId: null, contactId: null, dealId: null, record: timeline };
  }
  const email = ctx.record['email'];
  if (ctx.spec.module === 'leads' || ctx.spec.module === 'contacts') {
    if (typeof email !== 'string' || email === '') throw new DomainError('BAD_USER_INPUT', 'The record has no email address');
    const isLead = ctx.spec.module === 'leads';
    return { to: email, leadId: isLead ? recordId : null, contactId: isLead ? null : recordId, dealId: null, record: timeline };
  }
  if (ctx.spec.module === 'deals' && typeof ctx.record['contactId'] === 'string') {
    const contact = await assertReference(ctx.tx, ctx.viewer, CONTACT, ctx.record['contactId'], 'contactId');
    if (!contact.email) throw new DomainError('BAD_USER_INPUT', "The deal's contact has no email address");
    return { to: contact.email, leadId: null, contactId: contact.id, dealId: recordId, record: timeline };
  }
  throw new DomainError('BAD_USER_INPUT', 'The record has no email address to write to');
}

async function sendTemplateEmail(ctx: ActionContext, action: WorkflowActionSpec): Promise<ActionEffects> {
  const [template] = await ctx.tx
    .select()
    .from(emailTemplates)
    .where(and(eq(emailTemplates.organizationId, ctx.viewer.organizationId), eq(emailTemplates.id, action.templateId ?? '')));
  if (!template) throw new DomainError('NOT_FOUND', 'The email template was deleted');
  const merge = await mergeContext(ctx, [template.subject, template.body], action.recipient === 'OWNER');
  const recipient = await recipientOf(ctx, action, merge);
  const subject = mergeText(template.subject, merge).replace(/[\r\n]+/g, ' ');
  // Plain text in, HTML derived with every character escaped: merged values cannot inject markup.
  const message = await queueTrackedEmail(ctx.tx, ctx.viewer, ctx.runtime.jobs, ctx.runtime.config.publicUrl, recipient, { subject, text: mergeText(template.body, merge) });
  return { status: 'DONE', emailIds: [message.id] };
}

/** Writes field changes as a workflow (source 'workflow': they fire no workflow rule). */
async function saveAsWorkflow(ctx: ActionContext, changes: (row: Record<string, unknown>) => Record<string, unknown>): Promise<ActionEffects> {
  const row = await lockRecord(ctx.tx, ctx.viewer, ctx.spec.kind, String(ctx.record['id']));
  if (row.deletedAt) throw new DomainError('NOT_FOUND', 'The record is in the recycle bin');
  if ((row as Record<string, unknown>)['convertedAt']) throw new DomainError('CONFLICT', 'The lead has been converted');
  await saveChanges(ctx.tx, ctx.viewer, ctx.spec.kind, row, changes(row as Record<string, unknown>), { workflowRuleId: ctx.rule.id }, 'workflow');
  return { status: 'DONE' };
}

async function createTask(ctx: ActionContext, action: WorkflowActionSpec): Promise<ActionEffects> {
  const merge = await mergeContext(ctx, [action.subject ?? '']);
  const related = RELATED_COLUMN[ctx.spec.module];
  await insertRecord(
    ctx.tx,
    ctx.viewer,
    ACTIVITY,
    {
      type: 'TASK',
      subject: mergeText(action.subject ?? '', merge).slice(0, 255),
      status: 'NOT_STARTED',
      priority: 'NORMAL',
      dueAt: new Date(Date.now() + (action.dueInDays ?? 1) * 86_400_000),
      ownerId: ctx.record['ownerId'],
      ...(related ? { [related]: ctx.record['id'] } : {}),
    },
    `Task created by workflow rule "${ctx.rule.name}"`,
    { workflowRuleId: ctx.rule.id },
    'workflow',
  );
  return { status: 'DONE' };
}

async function queueWebhook(ctx: ActionContext, action: WorkflowActionSpec): Promise<ActionEffects> {
  const job: WebhookJob = {
    organizationId: ctx.viewer.organizationId,
    runId: ctx.runId,
    actionIndex: ctx.actionIndex,
    ruleId: ctx.rule.id,
    url: action.url ?? '',
    // The body is fixed now: every retry sends (and signs) the same bytes.
    body: signedWebhookBody({ rule: ctx.rule, module: ctx.spec.graphql, trigger: ctx.trigger, runId: ctx.runId, record: ctx.record }),
  };
  await ctx.runtime.jobs.send(WEBHOOK_JOB, job, { tx: ctx.tx });
  return { status: 'QUEUED' };
}

/** The notifications a NOTIFY action writes (one per user), not yet inserted. */
export async function notificationsOf(ctx: ActionContext, action: WorkflowActionSpec): Promise<NewNotification[]> {
  const merge = await mergeContext(ctx, [action.message ?? '']);
  const userIds = action.userIds ?? [String(ctx.record['ownerId'])];
  return userIds.map((userId) => ({
    userId,
    title: mergeText(action.message ?? '', merge).slice(0, 1000),
    body: `Workflow rule "${ctx.rule.name}"`,
    module: ctx.spec.module,
    recordId: String(ctx.record['id']),
    ruleId: ctx.rule.id,
  }));
}

/** Actions that change the triggering record itself. */
export const RECORD_ACTIONS: ReadonlySet<WorkflowActionSpec['type']> = new Set(['UPDATE_FIELDS', 'ADD_TAGS', 'ASSIGN_OWNER']);

export type Changes = (row: Record<string, unknown>) => Record<string, unknown>;

/** What a record action changes, checked now (picklists, required fields, the new owner); throws when it cannot. */
export async function changesOf(ctx: ActionContext, action: WorkflowActionSpec): Promise<Changes> {
  switch (action.type) {
    case 'UPDATE_FIELDS': {
      const values = normaliseFields(ctx.spec.editable, action.fields ?? {}, ctx.viewer, 'update');
      // The organisation's picklists and required fields as they stand when the action runs.
      const checked = await validateRecordWrite(ctx.tx, ctx.viewer, ctx.spec.module as CustomizableModule, { values }, { row: ctx.record, customFields: (ctx.record['customFields'] ?? {}) as CustomValues });
      return () => checked.values;
    }
    case 'ADD_TAGS':
      return (row) => ({ tags: [...new Set([...((row['tags'] as string[] | undefined) ?? []), ...(action.tags ?? [])])] });
    case 'ASSIGN_OWNER': {
      const ownerId = await assertAssignableOwner(ctx.tx, ctx.viewer, action.ownerId ?? '');
      return () => ({ ownerId });
    }
    default:
      throw new Error(`${action.type} does not change the record`);
  }
}

/**
 * Several record actions of one rule as ONE write of the record (one update, one timeline entry,
 * one rescore), each applied on what the previous ones changed: the same record as writing them
 * one after the other. Throws when any of them cannot be done.
 */
export async function saveRecordActions(ctx: ActionContext, actions: readonly WorkflowActionSpec[]): Promise<void> {
  const steps: Changes[] = [];
  for (const action of actions) steps.push(await changesOf(ctx, action));
  await saveAsWorkflow(ctx, (row) => steps.reduce<Record<string, unknown>>((changes, step) => ({ ...changes, ...step({ ...row, ...changes }) }), {}));
}

/** Runs one action's effect in `ctx.tx`. Throws a DomainError (or any error) when it cannot. */
export async function executeAction(ctx: ActionContext, action: WorkflowActionSpec): Promise<ActionEffects> {
  switch (action.type) {
    case 'NOTIFY': {
      const rows = await insertNotifications(ctx.tx, ctx.viewer.organizationId, await notificationsOf(ctx, action));
      return { status: 'DONE', notifications: rows };
    }
    case 'SEND_EMAIL':
      return sendTemplateEmail(ctx, action);
    case 'UPDATE_FIELDS':
    case 'ADD_TAGS':
    case 'ASSIGN_OWNER':
      return saveAsWorkflow(ctx, await changesOf(ctx, action));
    case 'CREATE_TASK':
      return createTask(ctx, action);
    case 'CALL_WEBHOOK':
      return queueWebhook(ctx, action);
  }
}
