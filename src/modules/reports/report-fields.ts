import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { accounts } from '../accounts/accounts.table.js';
import { activities } from '../activities/activities.table.js';
import type { CrmModule } from '../auth/access.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import { stages } from '../pipelines/pipelines.table.js';
import type { ColumnType } from './report-definition.js';
import type { FieldType } from '../customization/field-types.js';

/** One reportable field: the API name clients use, the SQL it reads and its type. */
export interface ReportField {
  readonly apiName: string;
  readonly label: string;
  readonly type: ColumnType;
  readonly expression: SQL;
}

/** A module reports can be written on: the table (scoped by `readScope`), its joins, its fields. */
export interface ReportSource {
  readonly module: ReportModule;
  readonly crmModule: CrmModule;
  readonly table: PgTable & { readonly organizationId: PgColumn; readonly deletedAt: PgColumn; readonly ownerId: PgColumn };
  /** FROM clause: the table plus left joins on unique keys, which PostgreSQL drops when unused. */
  readonly from: SQL;
  readonly fields: ReadonlyMap<string, ReportField>;
}

export type ReportModule = 'DEALS' | 'LEADS' | 'CONTACTS' | 'ACCOUNTS' | 'ACTIVITIES';

const field = (apiName: string, label: string, type: ColumnType, column: PgColumn | SQL): ReportField => ({
  apiName,
  label,
  type,
  expression: sql`${column}`,
});

/** Fields every record module has. */
function recordFields(table: { id: PgColumn; ownerId: PgColumn; createdAt: PgColumn; updatedAt: PgColumn }): ReportField[] {
  return [
    field('id', 'Id', 'ID', table.id),
    field('ownerId', 'Owner id', 'ID', table.ownerId),
    field('owner', 'Owner', 'STRING', sql.raw('report_owner.name')),
    field('createdAt', 'Created at', 'DATETIME', table.createdAt),
    field('updatedAt', 'Updated at', 'DATETIME', table.updatedAt),
  ];
}

const ownerJoin = (table: { organizationId: PgColumn; ownerId: PgColumn }): SQL =>
  sql`left join users report_owner on report_owner.organization_id = ${table.organizationId} and report_owner.id = ${table.ownerId}`;

const byName = (fields: ReportField[]): ReadonlyMap<string, ReportField> => new Map(fields.map((f) => [f.apiName, f]));

const SOURCES: Record<ReportModule, ReportSource> = {
  DEALS: {
    module: 'DEALS',
    crmModule: 'deals',
    table: deals,
    from: sql`${deals} ${ownerJoin(deals)} left join ${stages} on ${stages.organizationId} = ${deals.organizationId} and ${stages.id} = ${deals.stageId}`,
    fields: byName([
      ...recordFields(deals),
      field('name', 'Deal name', 'STRING', deals.name),
      field('amount', 'Amount', 'DECIMAL', deals.amount),
      field('currency', 'Currency', 'STRING', deals.currency),
      field('closingDate', 'Closing date', 'DATE', deals.closingDate),
      field('closedAt', 'Closed at', 'DATETIME', deals.closedAt),
      field('probability', 'Probability', 'INTEGER', deals.probability),
      field('leadSource', 'Lead source', 'STRING', deals.leadSource),
      field('pipelineId', 'Pipeline id', 'ID', deals.pipelineId),
      field('stageId', 'Stage id', 'ID', deals.stageId),
      field('stage', 'Stage', 'STRING', stages.name),
      field('stageKind', 'Stage kind', 'STRING', stages.kind),
      field('accountId', 'Account id', 'ID', deals.accountId),
      field('contactId', 'Contact id', 'ID', deals.contactId),
      field('nextStep', 'Next step', 'STRING', deals.nextStep),
    ]),
  },
  LEADS: {
    module: 'LEADS',
    crmModule: 'leads',
    table: leads,
    from: sql`${leads} ${ownerJoin(leads)}`,
    fields: byName([
      ...recordFields(leads),
      field('firstName', 'First name', 'STRING', leads.firstName),
      field('lastName', 'Last name', 'STRING', leads.lastName),
      field('email', 'Email', 'STRING', leads.email),
      field('company', 'Company', 'STRING', leads.company),
      field('title', 'Title', 'STRING', leads.title),
      field('industry', 'Industry', 'STRING', leads.industry),
      field('annualRevenue', 'Annual revenue', 'DECIMAL', leads.annualRevenue),
      field('employees', 'Employees', 'INTEGER', leads.employees),
      field('leadSource', 'Lead source', 'STRING', leads.leadSource),
      field('status', 'Status', 'STRING', leads.status),
      field('city', 'City', 'STRING', leads.city),
      field('country', 'Country', 'STRING', leads.country),
      field('lastActivityAt', 'Last activity at', 'DATETIME', leads.lastActivityAt),
      field('convertedAt', 'Converted at', 'DATETIME', leads.convertedAt),
    ]),
  },
  CONTACTS: {
    module: 'CONTACTS',
    crmModule: 'contacts',
    table: contacts,
    from: sql`${contacts} ${ownerJoin(contacts)}`,
    fields: byName([
      ...recordFields(contacts),
      field('firstName', 'First name', 'STRING', contacts.firstName),
      field('lastName', 'Last name', 'STRING', contacts.lastName),
      field('email', 'Email', 'STRING', contacts.email),
      field('title', 'Title', 'STRING', contacts.title),
      field('department', 'Department', 'STRING', contacts.department),
      field('leadSource', 'Lead source', 'STRING', contacts.leadSource),
      field('city', 'City', 'STRING', contacts.city),
      field('country', 'Country', 'STRING', contacts.country),
      field('accountId', 'Account id', 'ID', contacts.accountId),
      field('lastActivityAt', 'Last activity at', 'DATETIME', contacts.lastActivityAt),
    ]),
  },
  ACCOUNTS: {
    module: 'ACCOUNTS',
    crmModule: 'accounts',
    table: accounts,
    from: sql`${accounts} ${ownerJoin(accounts)}`,
    fields: byName([
      ...recordFields(accounts),
      field('name', 'Account name', 'STRING', accounts.name),
      field('industry', 'Industry', 'STRING', accounts.industry),
      field('accountType', 'Account type', 'STRING', accounts.accountType),
      field('annualRevenue', 'Annual revenue', 'DECIMAL', accounts.annualRevenue),
      field('employees', 'Employees', 'INTEGER', accounts.employees),
      field('city', 'City', 'STRING', accounts.city),
      field('country', 'Country', 'STRING', accounts.country),
    ]),
  },
  ACTIVITIES: {
    module: 'ACTIVITIES',
    crmModule: 'activities',
    table: activities,
    from: sql`${activities} ${ownerJoin(activities)}`,
    fields: byName([
      ...recordFields(activities),
      field('type', 'Kind', 'STRING', activities.type),
      field('typeValue', 'Activity type', 'STRING', activities.typeValue),
      field('subject', 'Subject', 'STRING', activities.subject),
      field('status', 'Status kind', 'STRING', activities.status),
      field('statusValue', 'Status', 'STRING', activities.statusValue),
      field('priority', 'Priority', 'STRING', activities.priority),
      field('dueAt', 'Due at', 'DATETIME', activities.dueAt),
      field('startAt', 'Starts at', 'DATETIME', activities.startAt),
      field('completedAt', 'Completed at', 'DATETIME', activities.completedAt),
      field('callDurationSeconds', 'Call duration (s)', 'INTEGER', activities.callDurationSeconds),
      field('dealId', 'Deal id', 'ID', activities.dealId),
    ]),
  },
};

/** The standard fields a report on `module` may use; `customReportFields` adds the organisation's own. */
export function reportSource(module: ReportModule): ReportSource {
  return SOURCES[module];
}

/** How a custom field's stored JSON value reads as a report column. */
const CUSTOM_TYPES: Record<FieldType, { type: ColumnType; cast: string }> = {
  TEXT: { type: 'STRING', cast: '' },
  TEXTAREA: { type: 'STRING', cast: '' },
  EMAIL: { type: 'STRING', cast: '' },
  PHONE: { type: 'STRING', cast: '' },
  URL: { type: 'STRING', cast: '' },
  PICKLIST: { type: 'STRING', cast: '' },
  LOOKUP: { type: 'ID', cast: '' },
  MULTI_PICKLIST: { type: 'STRING', cast: '' },
  INTEGER: { type: 'INTEGER', cast: '::bigint' },
  DECIMAL: { type: 'DECIMAL', cast: '::numeric' },
  CURRENCY: { type: 'DECIMAL', cast: '::numeric' },
  PERCENT: { type: 'DECIMAL', cast: '::numeric' },
  BOOLEAN: { type: 'BOOLEAN', cast: '::boolean' },
  DATE: { type: 'DATE', cast: '::date' },
  DATETIME: { type: 'DATETIME', cast: '::timestamptz' },
};

const SAFE_API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,59}$/;

/**
 * The organisation's active custom fields of `module` as report fields named
 * `customFields.<apiName>`, read from the record's own `custom_fields` JSON (no join). The API
 * name is written into the SQL as a literal, not a parameter, so that the same expression in the
 * SELECT and the GROUP BY is recognised as one; custom-field API names are validated letters,
 * digits and underscores, checked again here.
 */
export function customReportFields(module: ReportModule, definitions: readonly { apiName: string; label: string; type: FieldType; active?: boolean }[]): ReportField[] {
  const column = getTableColumns(SOURCES[module].table)['customFields'];
  if (!column) return [];
  return definitions.flatMap((definition) => {
    if (definition.active === false || !SAFE_API_NAME.test(definition.apiName)) return [];
    const { type, cast } = CUSTOM_TYPES[definition.type];
    const key = sql.raw(`'${definition.apiName}'`);
    const expression =
      definition.type === 'MULTI_PICKLIST'
        ? sql`array_to_string(array(select jsonb_array_elements_text(case when jsonb_typeof(${column} -> ${key}) = 'array' then ${column} -> ${key} else '[]'::jsonb end)), ', ')`
        : sql`((${column} ->> ${key})${sql.raw(cast)})`;
    return [{ apiName: `customFields.${definition.apiName}`, label: definition.label, type, expression }];
  });
}

export const REPORT_MODULES = Object.keys(SOURCES) as ReportModule[];
