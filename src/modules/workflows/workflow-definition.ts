import { getTableColumns } from 'drizzle-orm';
import type { CreateWorkflowRuleInput, WorkflowActionInput, WorkflowModule, WorkflowTriggerInput } from '../../generated/graphql.js';
import { badInput } from '../../shared/errors.js';
import { STANDARD_PICKLISTS } from '../customization/standard-fields.js';
import { optionalText, requiredText, tagList } from '../../shared/validation.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { FIELDS as ACCOUNT_FIELDS } from '../accounts/accounts.service.js';
import { ACTIVITY } from '../activities/activities.kind.js';
import { FIELDS as ACTIVITY_FIELDS } from '../activities/activities.service.js';
import type { CrmModule } from '../auth/access.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { FIELDS as CONTACT_FIELDS } from '../contacts/contacts.service.js';
import { DEAL } from '../deals/deals.kind.js';
import { FIELDS as DEAL_FIELDS } from '../deals/deals.service.js';
import { LEAD } from '../leads/leads.kind.js';
import { FIELDS as LEAD_FIELDS } from '../leads/leads.service.js';
import type { FieldRules } from '../records/field-rules.js';
import type { RecordKind, RecordTable } from '../records/record-store.js';
import type { Db } from '../../db/database.js';
import { validateCriterion, type Criterion, type FieldCatalog, type FieldInfo } from '../records/criteria.js';
import { recordCatalog } from '../records/criteria-catalog.js';
import { fieldColumns } from '../../db/columns.js';
import type { PgTable } from 'drizzle-orm/pg-core';

export type WorkflowCriterion = Criterion;
export type TriggerType = WorkflowTriggerInput['type'];
export type ActionType = WorkflowActionInput['type'];
export type TimeUnit = 'HOURS' | 'DAYS';

export interface WorkflowTriggerSpec {
  readonly type: TriggerType;
  readonly field?: string;
  readonly value?: unknown;
  readonly offset?: number;
  readonly unit?: TimeUnit;
  readonly threshold?: number;
}

export interface ActionDelaySpec {
  readonly amount: number;
  readonly unit: TimeUnit;
  readonly relativeTo?: string;
}

export interface WorkflowActionSpec {
  readonly type: ActionType;
  readonly delay?: ActionDelaySpec;
  readonly userIds?: string[];
  readonly message?: string;
  readonly templateId?: string;
  readonly recipient?: 'RECORD' | 'OWNER';
  readonly fields?: Record<string, unknown>;
  readonly subject?: string;
  readonly dueInDays?: number;
  readonly tags?: string[];
  readonly ownerId?: string;
  readonly url?: string;
}

export interface ModuleSpec {
  readonly module: CrmModule;
  readonly graphql: WorkflowModule;
  readonly kind: RecordKind<RecordTable>;
  /** Every field criteria may test (the table's columns). */
  readonly fields: ReadonlySet<string>;
  /** Fields holding a date or time, for DATE_FIELD triggers and delays relative to a date. */
  readonly dateFields: ReadonlySet<string>;
  /** Fields UPDATE_FIELDS may set, validated as an edit would be. */
  readonly editable: FieldRules;
  /** The name merge fields use: {{lead.firstName}}. */
  readonly mergeName: string;
}

function moduleSpec(graphql: WorkflowModule, kind: RecordKind<RecordTable>, editable: FieldRules, mergeName: string): ModuleSpec {
  const columns = fieldColumns(kind.table as PgTable);
  const fields = new Set(Object.keys(columns).filter((field) => field !== 'organizationId'));
  const dateFields = new Set(Object.entries(columns).flatMap(([field, column]) => (column.dataType === 'date' || column.columnType === 'PgDateString' ? [field] : [])));
  return { module: kind.module, graphql, kind, fields, dateFields, editable, mergeName };
}

export const MODULES: Readonly<Record<WorkflowModule, ModuleSpec>> = {
  LEADS: moduleSpec('LEADS', LEAD as unknown as RecordKind<RecordTable>, LEAD_FIELDS, 'lead'),
  CONTACTS: moduleSpec('CONTACTS', CONTACT as unknown as RecordKind<RecordTable>, CONTACT_FIELDS, 'contact'),
  ACCOUNTS: moduleSpec('ACCOUNTS', ACCOUNT as unknown as RecordKind<RecordTable>, ACCOUNT_FIELDS, 'account'),
  DEALS: moduleSpec('DEALS', DEAL as unknown as RecordKind<RecordTable>, DEAL_FIELDS, 'deal'),
  ACTIVITIES: moduleSpec('ACTIVITIES', ACTIVITY as unknown as RecordKind<RecordTable>, ACTIVITY_FIELDS, 'activity'),
};

export function moduleOf(module: string): ModuleSpec {
  const spec = Object.values(MODULES).find((candidate) => candidate.module === module);
  if (!spec) throw new Error(`no workflow module ${module}`);
  return spec;
}

export const UNIT_MS: Record<TimeUnit, number> = { HOURS: 3_600_000, DAYS: 86_400_000 };

/** A date column's value as an instant: a calendar date counts from midnight UTC. */
export function instantOf(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value !== '') {
    const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    return Number.isNaN(time) ? null : new Date(time);
  }
  return null;
}

const MAX_OFFSET = 3650;

function dateField(spec: ModuleSpec, field: string | null | undefined, path: string): string {
  if (!field) throw badInput(path, 'A date field is required');
  if (!spec.dateFields.has(field)) throw badInput(path, `"${field}" is not a date field of ${spec.module} (one of: ${[...spec.dateFields].join(', ')})`);
  return field;
}

/**
 * What workflow criteria may test: the scoring language's catalog of the module (standard and
 * custom fields), plus the record's score where it has one (score triggers and criteria).
 */
export function workflowCatalog(db: Db, organizationId: string, spec: ModuleSpec): Promise<FieldCatalog> {
  const score = getTableColumns(spec.kind.table)['score'];
  const extra: [string, FieldInfo][] = score ? [['score', { type: 'number', column: score }]] : [];
  return recordCatalog(db, organizationId, spec.module, spec.kind.table, extra);
}

export function parseTrigger(spec: ModuleSpec, input: WorkflowTriggerInput, catalog: FieldCatalog): WorkflowTriggerSpec {
  switch (input.type) {
    case 'ON_CREATE':
    case 'ON_EDIT':
    case 'ON_CREATE_OR_EDIT':
      return { type: input.type };
    case 'FIELD_UPDATED': {
      if (!input.field || !(spec.fields.has(input.field) || catalog.has(input.field))) throw badInput('trigger.field', `Unknown field "${input.field ?? ''}"`);
      return { type: input.type, field: input.field, ...(input.value !== undefined && input.value !== null ? { value: input.value } : {}) };
    }
    case 'DATE_FIELD': {
      const field = dateField(spec, input.field, 'trigger.field');
      const offset = input.offset ?? 0;
      if (!Number.isInteger(offset) || Math.abs(offset) > MAX_OFFSET) throw badInput('trigger.offset', `offset must be a whole number between -${MAX_OFFSET} and ${MAX_OFFSET}`);
      return { type: input.type, field, offset, unit: input.unit ?? 'DAYS' };
    }
    case 'SCORE_ABOVE': {
      if (input.threshold === null || input.threshold === undefined || !Number.isFinite(input.threshold)) throw badInput('trigger.threshold', 'A threshold is required');
      return { type: input.type, field: 'score', threshold: input.threshold };
    }
  }
}

function parseAction(spec: ModuleSpec, input: WorkflowActionInput, path: string): WorkflowActionSpec {
  let delay: ActionDelaySpec | undefined;
  if (input.delay) {
    const { amount, unit, relativeTo } = input.delay;
    if (!Number.isInteger(amount) || Math.abs(amount) > MAX_OFFSET) throw badInput(`${path}.delay.amount`, `amount must be a whole number between -${MAX_OFFSET} and ${MAX_OFFSET}`);
    if (!relativeTo && amount <= 0) throw badInput(`${path}.delay.amount`, 'A delay after the trigger must be positive');
    delay = { amount, unit, ...(relativeTo ? { relativeTo: dateField(spec, relativeTo, `${path}.delay.relativeTo`) } : {}) };
  }
  const base = { type: input.type, ...(delay ? { delay } : {}) };
  switch (input.type) {
    case 'NOTIFY':
      return { ...base, message: requiredText(`${path}.message`, input.message ?? '', 1000), ...(input.userIds && input.userIds.length > 0 ? { userIds: [...new Set(input.userIds)] } : {}) };
    case 'SEND_EMAIL':
      if (!input.templateId) throw badInput(`${path}.templateId`, 'SEND_EMAIL needs a templateId');
      if (spec.module === 'accounts' && input.recipient !== 'OWNER') throw badInput(`${path}.recipient`, 'Accounts have no email address: send to OWNER');
      return { ...base, templateId: input.templateId, recipient: input.recipient ?? 'RECORD' };
    case 'UPDATE_FIELDS': {
      const fields = input.fields;
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
        throw badInput(`${path}.fields`, 'UPDATE_FIELDS needs an object of field names to values');
      }
      for (const [field, value] of Object.entries(fields)) {
        const rule = spec.editable[field];
        if (!rule) throw badInput(`${path}.fields`, `"${field}" cannot be set by a workflow (one of: ${Object.keys(spec.editable).join(', ')})`);
        rule(field, value, { country: '' });
        const reserved = Object.values(STANDARD_PICKLISTS).find((list) => list.columns.some((column) => column.module === spec.module && column.field === field))?.reserved ?? [];
        if (typeof value === 'string' && reserved.includes(value)) throw badInput(`${path}.fields`, `"${value}" is set by Pulse itself, not by a workflow`);
      }
      return { ...base, fields: { ...(fields as Record<string, unknown>) } };
    }
    case 'CREATE_TASK': {
      const dueInDays = input.dueInDays ?? 1;
      if (!Number.isInteger(dueInDays) || dueInDays < 0 || dueInDays > MAX_OFFSET) throw badInput(`${path}.dueInDays`, 'dueInDays must be a whole number of days');
      return { ...base, subject: requiredText(`${path}.subject`, input.subject ?? '', 255), dueInDays };
    }
    case 'ADD_TAGS': {
      const tags = tagList(`${path}.tags`, [...(input.tags ?? [])]);
      if (tags.length === 0) throw badInput(`${path}.tags`, 'ADD_TAGS needs tags');
      return { ...base, tags };
    }
    case 'ASSIGN_OWNER':
      if (!input.ownerId) throw badInput(`${path}.ownerId`, 'ASSIGN_OWNER needs an ownerId');
      return { ...base, ownerId: input.ownerId };
    case 'CALL_WEBHOOK': {
      const url = optionalText(`${path}.url`, input.url ?? null, 2000);
      if (!url || !/^https?:\/\/[^\s]+$/i.test(url)) throw badInput(`${path}.url`, 'CALL_WEBHOOK needs an http(s) url');
      return { ...base, url };
    }
  }
}

export function parseActions(spec: ModuleSpec, input: readonly WorkflowActionInput[]): WorkflowActionSpec[] {
  if (input.length === 0) throw badInput('actions', 'A rule needs at least one action');
  if (input.length > 20) throw badInput('actions', 'A rule may have at most 20 actions');
  return input.map((action, index) => parseAction(spec, action, `actions[${index}]`));
}

/** Criteria in the one language scoring, assignment and territories use (`src/modules/records/criteria.ts`). */
export function parseRuleCriteria(catalog: FieldCatalog, input: CreateWorkflowRuleInput['criteria']): WorkflowCriterion[] {
  const criteria = input ?? [];
  if (criteria.length > 50) throw badInput('criteria', 'A rule may have at most 50 criteria');
  return criteria.map((criterion, index) => validateCriterion(catalog, criterion, `criteria[${index}]`));
}
