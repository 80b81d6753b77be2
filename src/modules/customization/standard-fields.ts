import { ACCOUNT_TYPES, ACTIVITY_STATUS_KINDS, ACTIVITY_TYPE_KINDS, INDUSTRIES, LEAD_SOURCES, LEAD_STATUSES } from '../../shared/picklists.js';

/**
 * What Pulse itself defines on each customisable module: the standard fields with their labels
 * and types (for `moduleMetadata`), and the standard picklists an organisation may edit.
 */

export type CustomizableModule = 'leads' | 'contacts' | 'accounts' | 'deals' | 'activities';
export const CUSTOMIZABLE_MODULES: readonly CustomizableModule[] = ['leads', 'contacts', 'accounts', 'deals', 'activities'];

export type PicklistName = 'LEAD_SOURCE' | 'LEAD_STATUS' | 'INDUSTRY' | 'ACCOUNT_TYPE' | 'ACTIVITY_TYPE' | 'ACTIVITY_STATUS';

/**
 * A picklist whose every value has a kind Pulse acts on: an activity type is a task, a call or a
 * meeting (due dates, meeting times, call details, overdue tasks), an activity status one of the
 * built-in statuses (completed and cancelled activities are done). The record stores both: the
 * value in the picklist's column, its kind in `field`.
 */
interface PicklistKinds {
  /** The record column holding the kind of the value ('type', 'status'). */
  readonly field: string;
  readonly kinds: readonly string[];
  /** The kind of each built-in value. */
  readonly ofDefault: Readonly<Record<string, string>>;
}

interface PicklistDefinition {
  readonly defaults: readonly string[];
  readonly kinds?: PicklistKinds;
  /** Values the system relies on: they cannot be renamed or retired. */
  readonly system: readonly string[];
  /** Values only the system writes (a lead becomes Converted only by conversion). */
  readonly reserved: readonly string[];
  /** Where the picklist's values are stored, for renames. */
  readonly columns: readonly { readonly module: CustomizableModule; readonly field: string }[];
}

export const STANDARD_PICKLISTS: Readonly<Record<PicklistName, PicklistDefinition>> = {
  LEAD_SOURCE: {
    defaults: LEAD_SOURCES,
    system: [],
    reserved: [],
    columns: [
      { module: 'leads', field: 'leadSource' },
      { module: 'contacts', field: 'leadSource' },
      { module: 'deals', field: 'leadSource' },
    ],
  },
  LEAD_STATUS: { defaults: LEAD_STATUSES, system: ['Not Contacted', 'Converted'], reserved: ['Converted'], columns: [{ module: 'leads', field: 'status' }] },
  INDUSTRY: {
    defaults: INDUSTRIES,
    system: [],
    reserved: [],
    columns: [
      { module: 'leads', field: 'industry' },
      { module: 'accounts', field: 'industry' },
    ],
  },
  ACCOUNT_TYPE: { defaults: ACCOUNT_TYPES, system: [], reserved: [], columns: [{ module: 'accounts', field: 'accountType' }] },
  ACTIVITY_TYPE: {
    defaults: Object.keys(ACTIVITY_TYPE_KINDS),
    kinds: { field: 'type', kinds: ['TASK', 'CALL', 'MEETING'], ofDefault: ACTIVITY_TYPE_KINDS },
    system: [],
    reserved: [],
    columns: [{ module: 'activities', field: 'typeValue' }],
  },
  ACTIVITY_STATUS: {
    defaults: Object.keys(ACTIVITY_STATUS_KINDS),
    kinds: { field: 'status', kinds: ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'DEFERRED', 'COMPLETED', 'CANCELLED'], ofDefault: ACTIVITY_STATUS_KINDS },
    system: [],
    reserved: [],
    columns: [{ module: 'activities', field: 'statusValue' }],
  },
};

export const PICKLIST_NAMES = Object.keys(STANDARD_PICKLISTS) as PicklistName[];

export interface StandardField {
  readonly apiName: string;
  readonly label: string;
  /** A custom field type name, so clients render standard and custom fields alike. */
  readonly type: string;
  /** Required by Pulse itself (cannot be hidden). */
  readonly required?: boolean;
  /** Filled by Pulse (owner, timestamps): cannot be hidden or made required. */
  readonly system?: boolean;
  readonly picklist?: PicklistName;
  /** The fixed values of an enum field (activity type, status...). */
  readonly options?: readonly string[];
}

const ADDRESS: StandardField[] = [
  { apiName: 'street', label: 'Street', type: 'TEXT' },
  { apiName: 'city', label: 'City', type: 'TEXT' },
  { apiName: 'state', label: 'State', type: 'TEXT' },
  { apiName: 'postalCode', label: 'Postal Code', type: 'TEXT' },
  { apiName: 'country', label: 'Country', type: 'TEXT' },
];

const SYSTEM: StandardField[] = [
  { apiName: 'ownerId', label: 'Owner', type: 'LOOKUP', system: true },
  { apiName: 'tags', label: 'Tags', type: 'MULTI_PICKLIST' },
  { apiName: 'createdAt', label: 'Created Time', type: 'DATETIME', system: true },
  { apiName: 'updatedAt', label: 'Modified Time', type: 'DATETIME', system: true },
];

export const STANDARD_FIELDS: Readonly<Record<CustomizableModule, readonly StandardField[]>> = {
  leads: [
    { apiName: 'firstName', label: 'First Name', type: 'TEXT' },
    { apiName: 'lastName', label: 'Last Name', type: 'TEXT', required: true },
    { apiName: 'email', label: 'Email', type: 'EMAIL' },
    { apiName: 'phone', label: 'Phone', type: 'PHONE' },
    { apiName: 'mobile', label: 'Mobile', type: 'PHONE' },
    { apiName: 'company', label: 'Company', type: 'TEXT' },
    { apiName: 'title', label: 'Title', type: 'TEXT' },
    { apiName: 'industry', label: 'Industry', type: 'PICKLIST', picklist: 'INDUSTRY' },
    { apiName: 'annualRevenue', label: 'Annual Revenue', type: 'CURRENCY' },
    { apiName: 'employees', label: 'No. of Employees', type: 'INTEGER' },
    { apiName: 'website', label: 'Website', type: 'URL' },
    { apiName: 'leadSource', label: 'Lead Source', type: 'PICKLIST', picklist: 'LEAD_SOURCE' },
    { apiName: 'status', label: 'Lead Status', type: 'PICKLIST', picklist: 'LEAD_STATUS', required: true },
    ...ADDRESS,
    { apiName: 'description', label: 'Description', type: 'TEXTAREA' },
    ...SYSTEM,
  ],
  contacts: [
    { apiName: 'firstName', label: 'First Name', type: 'TEXT' },
    { apiName: 'lastName', label: 'Last Name', type: 'TEXT', required: true },
    { apiName: 'email', label: 'Email', type: 'EMAIL' },
    { apiName: 'phone', label: 'Phone', type: 'PHONE' },
    { apiName: 'mobile', label: 'Mobile', type: 'PHONE' },
    { apiName: 'title', label: 'Title', type: 'TEXT' },
    { apiName: 'department', label: 'Department', type: 'TEXT' },
    { apiName: 'accountId', label: 'Account Name', type: 'LOOKUP' },
    { apiName: 'leadSource', label: 'Lead Source', type: 'PICKLIST', picklist: 'LEAD_SOURCE' },
    ...ADDRESS,
    { apiName: 'description', label: 'Description', type: 'TEXTAREA' },
    ...SYSTEM,
  ],
  accounts: [
    { apiName: 'name', label: 'Account Name', type: 'TEXT', required: true },
    { apiName: 'website', label: 'Website', type: 'URL' },
    { apiName: 'phone', label: 'Phone', type: 'PHONE' },
    { apiName: 'industry', label: 'Industry', type: 'PICKLIST', picklist: 'INDUSTRY' },
    { apiName: 'accountType', label: 'Account Type', type: 'PICKLIST', picklist: 'ACCOUNT_TYPE' },
    { apiName: 'annualRevenue', label: 'Annual Revenue', type: 'CURRENCY' },
    { apiName: 'employees', label: 'Employees', type: 'INTEGER' },
    ...ADDRESS,
    { apiName: 'description', label: 'Description', type: 'TEXTAREA' },
    ...SYSTEM,
  ],
  deals: [
    { apiName: 'name', label: 'Deal Name', type: 'TEXT', required: true },
    { apiName: 'amount', label: 'Amount', type: 'CURRENCY' },
    { apiName: 'currency', label: 'Currency', type: 'TEXT', system: true },
    { apiName: 'closingDate', label: 'Closing Date', type: 'DATE' },
    { apiName: 'pipelineId', label: 'Pipeline', type: 'LOOKUP', system: true },
    { apiName: 'stageId', label: 'Stage', type: 'LOOKUP', system: true },
    { apiName: 'probability', label: 'Probability (%)', type: 'PERCENT', system: true },
    { apiName: 'accountId', label: 'Account Name', type: 'LOOKUP' },
    { apiName: 'contactId', label: 'Contact Name', type: 'LOOKUP' },
    { apiName: 'leadSource', label: 'Lead Source', type: 'PICKLIST', picklist: 'LEAD_SOURCE' },
    { apiName: 'nextStep', label: 'Next Step', type: 'TEXT' },
    { apiName: 'description', label: 'Description', type: 'TEXTAREA' },
    ...SYSTEM,
  ],
  activities: [
    { apiName: 'typeValue', label: 'Activity Type', type: 'PICKLIST', required: true, picklist: 'ACTIVITY_TYPE' },
    { apiName: 'type', label: 'Activity Kind', type: 'PICKLIST', system: true, options: ['TASK', 'CALL', 'MEETING'] },
    { apiName: 'subject', label: 'Subject', type: 'TEXT', required: true },
    { apiName: 'statusValue', label: 'Status', type: 'PICKLIST', system: true, picklist: 'ACTIVITY_STATUS' },
    { apiName: 'status', label: 'Status Kind', type: 'PICKLIST', system: true, options: ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'DEFERRED', 'COMPLETED', 'CANCELLED'] },
    { apiName: 'priority', label: 'Priority', type: 'PICKLIST', system: true, options: ['HIGH', 'NORMAL', 'LOW'] },
    { apiName: 'dueAt', label: 'Due Date', type: 'DATETIME' },
    { apiName: 'startAt', label: 'From', type: 'DATETIME' },
    { apiName: 'endAt', label: 'To', type: 'DATETIME' },
    { apiName: 'location', label: 'Location', type: 'TEXT' },
    { apiName: 'callDirection', label: 'Call Type', type: 'PICKLIST', options: ['INBOUND', 'OUTBOUND'] },
    { apiName: 'callDurationSeconds', label: 'Call Duration (seconds)', type: 'INTEGER' },
    { apiName: 'description', label: 'Description', type: 'TEXTAREA' },
    ...SYSTEM,
  ],
};

export const DEFAULT_LABELS: Readonly<Record<CustomizableModule, { singular: string; plural: string }>> = {
  leads: { singular: 'Lead', plural: 'Leads' },
  contacts: { singular: 'Contact', plural: 'Contacts' },
  accounts: { singular: 'Account', plural: 'Accounts' },
  deals: { singular: 'Deal', plural: 'Deals' },
  activities: { singular: 'Activity', plural: 'Activities' },
};

export const standardField = (module: CustomizableModule, apiName: string): StandardField | undefined =>
  STANDARD_FIELDS[module].find((field) => field.apiName === apiName);
