import type { SQL } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import type { CreateAccountInput, CreateActivityInput, CreateContactInput, CreateDealInput, CreateLeadInput } from '../../generated/graphql.js';
import { DateScalar, DateTimeScalar } from '../../server/scalars.js';
import { badInput } from '../../shared/errors.js';
import type { CrmModule } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { ACCOUNT } from '../accounts/accounts.kind.js';
import { accountValues, insertImportedAccounts } from '../accounts/accounts.service.js';
import { ACTIVITY } from '../activities/activities.kind.js';
import { activityValues, insertActivity } from '../activities/activities.service.js';
import { CONTACT } from '../contacts/contacts.kind.js';
import { contactValues, insertImportedContacts } from '../contacts/contacts.service.js';
import { DEAL } from '../deals/deals.kind.js';
import { dealValues, insertDeal } from '../deals/deals.service.js';
import { LEAD } from '../leads/leads.kind.js';
import { insertImportedLeads, leadValues } from '../leads/leads.service.js';
import type { AfterWritesQueue, CreatedRecord, RecordKind, RecordTable } from '../records/record-store.js';
import type { ModuleConfig } from '../customization/module-config.js';
import { syncManyCustomFieldValues } from '../customization/record-validation.js';

/**
 * What an import needs of each module: its importable fields (with the header names other tools
 * export them under), how a CSV cell becomes an API input value (the same coercion GraphQL applies
 * to the API's arguments), the module's own create validation (the function its create mutation
 * calls, not a copy) and how validated rows are written.
 */

export type ImportModuleName = 'leads' | 'contacts' | 'accounts' | 'deals' | 'activities';
export const IMPORT_MODULES: readonly ImportModuleName[] = ['leads', 'contacts', 'accounts', 'deals', 'activities'];

type FieldType = 'text' | 'int' | 'tags' | 'address' | 'date' | 'datetime' | { readonly enum: readonly string[] };

export interface ImportField {
  readonly name: string;
  readonly type: FieldType;
  /** Header names, most specific first (an earlier synonym wins a column over a later one). */
  readonly synonyms: readonly string[];
}

/** A validated row: the API input its cells make and the column values of a new record. */
export interface ImportedRow {
  readonly input: Record<string, unknown>;
  readonly values: Record<string, unknown>;
}

export interface ImportModule {
  readonly module: ImportModuleName & CrmModule;
  readonly kind: RecordKind<RecordTable>;
  readonly fields: readonly ImportField[];
  /** Fields a duplicate may be matched by; the first is the default. */
  readonly matchFields: readonly string[];
  /** The module's create validation: normalised column values, or a DomainError naming the field. */
  validate(viewer: Viewer, input: Record<string, unknown>): Record<string, unknown>;
  /**
   * Writes validated rows (their custom values too); returns the new records' ids in order, and
   * whether `follow` (writes reading the new rows as `created`) went in the records' statement; if
   * not, the caller writes what it stands for itself. A module that writes a batch in one
   * statement may hand its after-write hooks to `afterWrites` and return before its insert is
   * done (`insertRecords`); the others run theirs before they return.
   */
  insert(
    tx: Db,
    viewer: Viewer,
    rows: readonly ImportedRow[],
    timelineData: Record<string, unknown>,
    config: ModuleConfig,
    follow: readonly SQL[],
    afterWrites?: AfterWritesQueue,
  ): Promise<{ ids: string[]; followed: boolean }>;
}

// The field's own name is the last resort: "title" must not beat Outlook's "Job Title".
const field = (name: string, type: FieldType, ...synonyms: string[]): ImportField => ({ name, type, synonyms: [...synonyms, name] });

const PERSON: readonly ImportField[] = [
  field('firstName', 'text', 'first name', 'given name', 'firstname', 'fname', 'forename'),
  field('lastName', 'text', 'last name', 'family name', 'surname', 'lastname', 'lname'),
  field('email', 'text', 'email', 'email address', 'e-mail address', 'e-mail 1 - value', 'e-mail', 'primary email', 'work email', 'email 1', 'mail'),
  field('phone', 'text', 'phone', 'business phone', 'phone number', 'phone 1 - value', 'work phone', 'telephone', 'tel', 'primary phone'),
  field('mobile', 'text', 'mobile', 'mobile phone', 'mobile number', 'cell', 'cell phone', 'mobile phone number'),
  field('title', 'text', 'job title', 'title', 'position', 'organization title', 'designation', 'role'),
  field('description', 'text', 'description', 'notes', 'note', 'comments'),
  field('tags', 'tags', 'tags', 'tag', 'labels', 'groups'),
];

const ADDRESS: readonly ImportField[] = [
  field('street', 'address', 'street', 'business street', 'address 1 - street', 'mailing street', 'street address', 'address', 'address line 1'),
  field('city', 'address', 'city', 'business city', 'address 1 - city', 'mailing city', 'town'),
  field('state', 'address', 'state', 'state/province', 'state/region', 'business state', 'address 1 - region', 'mailing state', 'province', 'region'),
  field('postalCode', 'address', 'postal code', 'zip', 'zip code', 'zip/postal code', 'business postal code', 'address 1 - postal code', 'mailing zip', 'postcode'),
  field('country', 'address', 'country', 'country/region', 'business country/region', 'address 1 - country', 'mailing country', 'country code', 'cc'),
];

const LEAD_SOURCE = field('leadSource', 'text', 'lead source', 'source', 'original source');
const INDUSTRY = field('industry', 'text', 'industry');
const REVENUE = field('annualRevenue', 'text', 'annual revenue', 'revenue');
const EMPLOYEES = field('employees', 'int', 'no. of employees', 'no of employees', 'number of employees', 'employees', 'employee count');
const WEBSITE = field('website', 'text', 'website', 'web page', 'website url', 'website 1 - value', 'web site', 'homepage');

type BulkInsert = (
  tx: Db,
  viewer: Viewer,
  valuesList: readonly Record<string, unknown>[],
  timelineData: Record<string, unknown>,
  follow: readonly SQL[],
  afterWrites?: AfterWritesQueue,
) => Promise<CreatedRecord[]>;

/**
 * Modules whose imports write rows in one statement per batch: the records, then their custom
 * values' typed copy in a few statements more (what a single create does with syncCustomFieldValues).
 */
const bulkInsert =
  (insert: BulkInsert): ImportModule['insert'] =>
  async (tx, viewer, rows, timelineData, config, follow, afterWrites) => {
    const created = await insert(
      tx,
      viewer,
      rows.map((row) => row.values),
      timelineData,
      follow,
      afterWrites,
    );
    await syncManyCustomFieldValues(
      tx,
      viewer,
      config,
      created.map((record) => ({ recordId: record.id, before: {}, after: record.customFields })),
    );
    return { ids: created.map((record) => record.id), followed: true };
  };

export const IMPORT_MODULE: Readonly<Record<ImportModuleName, ImportModule>> = {
  leads: {
    module: 'leads',
    kind: LEAD as unknown as RecordKind<RecordTable>,
    fields: [
      ...PERSON,
      field('company', 'text', 'company', 'company name', 'organization name', 'organization', 'account name', 'employer'),
      INDUSTRY,
      REVENUE,
      EMPLOYEES,
      WEBSITE,
      LEAD_SOURCE,
      field('status', 'text', 'lead status', 'status'),
      ...ADDRESS,
    ],
    matchFields: ['email', 'phone', 'mobile'],
    validate: (viewer, input) => leadValues(viewer, input as CreateLeadInput),
    insert: bulkInsert(insertImportedLeads),
  },
  contacts: {
    module: 'contacts',
    kind: CONTACT as unknown as RecordKind<RecordTable>,
    fields: [...PERSON, field('department', 'text', 'department'), LEAD_SOURCE, ...ADDRESS],
    matchFields: ['email', 'phone', 'mobile'],
    validate: (viewer, input) => contactValues(viewer, input as CreateContactInput),
    insert: bulkInsert(insertImportedContacts),
  },
  accounts: {
    module: 'accounts',
    kind: ACCOUNT as unknown as RecordKind<RecordTable>,
    fields: [
      field('name', 'text', 'account name', 'company', 'company name', 'organization name', 'organization', 'name'),
      WEBSITE,
      field('phone', 'text', 'phone', 'business phone', 'phone number', 'main phone'),
      INDUSTRY,
      field('accountType', 'text', 'account type', 'type'),
      REVENUE,
      EMPLOYEES,
      field('description', 'text', 'description', 'notes'),
      field('tags', 'tags', 'tags', 'tag'),
      ...ADDRESS,
    ],
    matchFields: ['name', 'website', 'phone'],
    validate: (viewer, input) => accountValues(viewer, input as CreateAccountInput),
    insert: bulkInsert(insertImportedAccounts),
  },
  deals: {
    module: 'deals',
    kind: DEAL as unknown as RecordKind<RecordTable>,
    fields: [
      field('name', 'text', 'deal name', 'opportunity name', 'deal', 'name'),
      field('amount', 'text', 'amount', 'deal amount', 'value'),
      field('currency', 'text', 'currency', 'currency code'),
      field('closingDate', 'date', 'closing date', 'close date', 'expected close date'),
      field('probability', 'int', 'probability', 'probability (%)'),
      LEAD_SOURCE,
      field('nextStep', 'text', 'next step'),
      field('description', 'text', 'description'),
      field('tags', 'tags', 'tags', 'tag'),
    ],
    matchFields: ['name'],
    validate: (viewer, input) => dealValues(viewer, input as CreateDealInput),
    insert: async (tx, viewer, rows, timelineData) => {
      const created: string[] = [];
      for (const row of rows) created.push((await insertDeal(tx, viewer, row.input as CreateDealInput, timelineData, undefined, 'import')).id);
      return { ids: created, followed: false };
    },
  },
  activities: {
    module: 'activities',
    kind: ACTIVITY as unknown as RecordKind<RecordTable>,
    fields: [
      field('type', { enum: ['TASK', 'CALL', 'MEETING'] }, 'type', 'activity type'),
      field('subject', 'text', 'subject', 'title'),
      field('description', 'text', 'description', 'notes'),
      field('status', { enum: ['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'WAITING', 'DEFERRED', 'CANCELLED'] }, 'status'),
      field('priority', { enum: ['HIGH', 'NORMAL', 'LOW'] }, 'priority'),
      field('dueAt', 'datetime', 'due date', 'due', 'due at'),
      field('startAt', 'datetime', 'start', 'start time', 'start date', 'start at'),
      field('endAt', 'datetime', 'end', 'end time', 'end date', 'end at'),
      field('location', 'text', 'location'),
      field('tags', 'tags', 'tags', 'tag'),
    ],
    matchFields: ['subject'],
    validate: (viewer, input) => {
      if (typeof input['type'] !== 'string') throw badInput('type', 'type is required (TASK, CALL or MEETING)');
      return activityValues(viewer, input as CreateActivityInput);
    },
    insert: async (tx, viewer, rows) => {
      const created: string[] = [];
      for (const row of rows) created.push((await insertActivity(tx, viewer, row.input as CreateActivityInput, 'import')).id);
      return { ids: created, followed: false };
    },
  },
};

export function importModule(name: string): ImportModule {
  if (!(IMPORT_MODULES as readonly string[]).includes(name)) throw badInput('module', `module must be one of: ${IMPORT_MODULES.join(', ')}`);
  return IMPORT_MODULE[name as ImportModuleName];
}

/** Same parsing as the API's scalars: a bad cell is a BAD_USER_INPUT naming the field. */
function scalar(fieldName: string, parse: (value: unknown) => unknown, raw: string): unknown {
  try {
    return parse(raw);
  } catch (error) {
    throw badInput(fieldName, `${fieldName}: ${error instanceof Error ? error.message : 'invalid value'}`);
  }
}

/** Tags (and multi-picklist values) as other tools write them: separated by commas or semicolons, often quoted. */
export const splitList = (raw: string): string[] =>
  raw
    .split(/[,;]/)
    .map((tag) => tag.trim().replace(/^"+|"+$/g, '').trim())
    .filter((tag) => tag !== '');

/**
 * One cell as the API input value of `field`: what GraphQL's argument coercion does for an API
 * client. An empty cell is left out (the field is not set).
 */
export function cellValue(importField: ImportField, raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  const type = importField.type;
  if (typeof type === 'object') {
    const wanted = text.toUpperCase().replace(/[\s-]+/g, '_');
    if (!type.enum.includes(wanted)) throw badInput(importField.name, `${importField.name} must be one of: ${type.enum.join(', ')}`);
    return wanted;
  }
  switch (type) {
    case 'text':
    case 'address':
      return raw;
    case 'int':
      if (!/^-?\d+$/.test(text.replace(/[\s,]/g, ''))) throw badInput(importField.name, `${importField.name} must be a whole number`);
      return Number(text.replace(/[\s,]/g, ''));
    case 'tags':
      return splitList(text);
    case 'date':
      return scalar(importField.name, (value) => DateScalar.parseValue(value), text);
    case 'datetime':
      return scalar(importField.name, (value) => DateTimeScalar.parseValue(value), text);
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}
