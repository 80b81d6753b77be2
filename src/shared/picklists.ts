/**
 * Zoho CRM's standard picklist values. Values are stored as their display text so that an
 * organisation can later edit its own lists without a schema change.
 */
export const LEAD_SOURCES = [
  'Advertisement',
  'Cold Call',
  'Employee Referral',
  'External Referral',
  'Online Store',
  'Partner',
  'Public Relations',
  'Sales Email Alias',
  'Seminar Partner',
  'Internal Seminar',
  'Trade Show',
  'Web Download',
  'Web Research',
  'Web',
  'Email',
  'Referral',
  'Chat',
  'Twitter',
  'Facebook',
  'LinkedIn',
  'Instagram',
  'Import',
  'Other',
] as const;

export const LEAD_STATUSES = [
  'Not Contacted',
  'Attempted to Contact',
  'Contacted',
  'Contact in Future',
  'Pre-Qualified',
  'Not Qualified',
  'Junk Lead',
  'Lost Lead',
  'Converted',
] as const;

export const DEFAULT_LEAD_STATUS = 'Not Contacted';
export const CONVERTED_LEAD_STATUS = 'Converted';

export const INDUSTRIES = [
  'Agriculture',
  'Advertising',
  'Banking',
  'Communications',
  'Construction',
  'Consulting',
  'Durable Goods',
  'Education',
  'Energy',
  'Engineering',
  'Financial Services',
  'Government',
  'Healthcare',
  'Hospitality',
  'Insurance',
  'Legal',
  'Manufacturing',
  'Media',
  'Non-Profit',
  'Real Estate',
  'Retail',
  'Services',
  'Software',
  'Technology',
  'Telecommunications',
  'Transportation',
  'Other',
] as const;

export const ACCOUNT_TYPES = [
  'Analyst',
  'Competitor',
  'Customer',
  'Distributor',
  'Integrator',
  'Investor',
  'Other',
  'Partner',
  'Press',
  'Prospect',
  'Reseller',
  'Supplier',
  'Vendor',
] as const;

/** Zoho's activity modules as the built-in activity types, each with the kind Pulse acts on. */
export const ACTIVITY_TYPE_KINDS: Readonly<Record<string, string>> = { Task: 'TASK', Call: 'CALL', Meeting: 'MEETING' };

/** The built-in activity statuses, each with its kind (the ActivityStatus enum value). */
export const ACTIVITY_STATUS_KINDS: Readonly<Record<string, string>> = {
  'Not Started': 'NOT_STARTED',
  'In Progress': 'IN_PROGRESS',
  Waiting: 'WAITING',
  Deferred: 'DEFERRED',
  Completed: 'COMPLETED',
  Cancelled: 'CANCELLED',
};
