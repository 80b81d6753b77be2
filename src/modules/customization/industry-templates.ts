import type { FieldType } from './field-types.js';
import type { CustomizableModule, PicklistName } from './standard-fields.js';

/**
 * Industry starter templates, after the seed documents' list of industries whose users rename
 * tabs and add fields (B2B, services, real estate, healthcare, durable goods, insurance,
 * advertising). Data only; `templates.service.ts` applies them.
 */

export type IndustryTemplate = 'B2B' | 'SERVICES' | 'REAL_ESTATE' | 'HEALTHCARE' | 'DURABLE_GOODS' | 'INSURANCE' | 'ADVERTISING';

interface TemplateField {
  readonly module: CustomizableModule;
  readonly apiName: string;
  readonly label: string;
  readonly type: FieldType;
  readonly options?: readonly string[];
  readonly unique?: boolean;
  readonly lookupModule?: CustomizableModule;
}

type Stage = { readonly name: string; readonly probability: number; readonly kind: 'OPEN' | 'WON' | 'LOST' };

export interface TemplateDefinition {
  readonly labels: Partial<Record<CustomizableModule, { readonly singular: string; readonly plural: string }>>;
  readonly picklists: Partial<Record<PicklistName, readonly string[]>>;
  /** Activity types the industry works with, each with its kind (a viewing is a meeting). */
  readonly activityTypes?: readonly { readonly value: string; readonly kind: 'TASK' | 'CALL' | 'MEETING' }[];
  readonly pipeline: { readonly name: string; readonly stages: readonly Stage[] };
  readonly fields: readonly TemplateField[];
}

const closing = (won: string, lost: string): Stage[] => [
  { name: won, probability: 100, kind: 'WON' },
  { name: lost, probability: 0, kind: 'LOST' },
];

export const TEMPLATES: Readonly<Record<IndustryTemplate, TemplateDefinition>> = {
  B2B: {
    labels: {},
    picklists: { LEAD_SOURCE: ['Webinar', 'Trade Show'] },
    pipeline: {
      name: 'B2B Sales',
      stages: [
        { name: 'Qualification', probability: 10, kind: 'OPEN' },
        { name: 'Needs Analysis', probability: 25, kind: 'OPEN' },
        { name: 'Proposal', probability: 60, kind: 'OPEN' },
        { name: 'Negotiation', probability: 80, kind: 'OPEN' },
        ...closing('Closed Won', 'Closed Lost'),
      ],
    },
    fields: [
      { module: 'leads', apiName: 'budget', label: 'Budget', type: 'CURRENCY' },
      { module: 'leads', apiName: 'decisionMaker', label: 'Decision Maker', type: 'BOOLEAN' },
      { module: 'leads', apiName: 'purchaseTimeline', label: 'Purchase Timeline', type: 'PICKLIST', options: ['This Quarter', 'Next Quarter', 'This Year', 'Later'] },
      { module: 'deals', apiName: 'competitor', label: 'Main Competitor', type: 'TEXT' },
    ],
  },
  SERVICES: {
    labels: { deals: { singular: 'Matter', plural: 'Matters' }, accounts: { singular: 'Client', plural: 'Clients' } },
    picklists: { LEAD_SOURCE: ['Referral'] },
    activityTypes: [{ value: 'Court Hearing', kind: 'MEETING' }, { value: 'Filing Deadline', kind: 'TASK' }],
    pipeline: {
      name: 'Engagements',
      stages: [
        { name: 'Intake', probability: 10, kind: 'OPEN' },
        { name: 'Conflict Check', probability: 30, kind: 'OPEN' },
        { name: 'Proposal', probability: 60, kind: 'OPEN' },
        ...closing('Engaged', 'Declined'),
      ],
    },
    fields: [
      { module: 'deals', apiName: 'practiceArea', label: 'Practice Area', type: 'PICKLIST', options: ['Corporate', 'Litigation', 'Tax', 'Advisory', 'Other'] },
      { module: 'deals', apiName: 'billingType', label: 'Billing Type', type: 'PICKLIST', options: ['Hourly', 'Fixed Fee', 'Retainer'] },
      { module: 'deals', apiName: 'hourlyRate', label: 'Hourly Rate', type: 'CURRENCY' },
      { module: 'deals', apiName: 'matterNumber', label: 'Matter Number', type: 'TEXT', unique: true },
    ],
  },
  REAL_ESTATE: {
    labels: { deals: { singular: 'Property', plural: 'Properties' } },
    picklists: { LEAD_SOURCE: ['Open House', 'Property Portal', 'Signboard'] },
    activityTypes: [{ value: 'Property Viewing', kind: 'MEETING' }, { value: 'Site Visit', kind: 'MEETING' }],
    pipeline: {
      name: 'Property Sales',
      stages: [
        { name: 'Listing', probability: 10, kind: 'OPEN' },
        { name: 'Viewing', probability: 30, kind: 'OPEN' },
        { name: 'Offer', probability: 60, kind: 'OPEN' },
        { name: 'Under Contract', probability: 90, kind: 'OPEN' },
        ...closing('Sold', 'Withdrawn'),
      ],
    },
    fields: [
      { module: 'deals', apiName: 'propertyType', label: 'Property Type', type: 'PICKLIST', options: ['House', 'Apartment', 'Land', 'Commercial'] },
      { module: 'deals', apiName: 'bedrooms', label: 'Bedrooms', type: 'INTEGER' },
      { module: 'deals', apiName: 'floorArea', label: 'Floor Area (m²)', type: 'DECIMAL' },
      { module: 'deals', apiName: 'listingUrl', label: 'Listing', type: 'URL' },
      { module: 'deals', apiName: 'listingNumber', label: 'Listing Number', type: 'TEXT', unique: true },
      { module: 'leads', apiName: 'budget', label: 'Budget', type: 'CURRENCY' },
      { module: 'leads', apiName: 'preferredArea', label: 'Preferred Area', type: 'TEXT' },
    ],
  },
  HEALTHCARE: {
    labels: { contacts: { singular: 'Patient', plural: 'Patients' } },
    picklists: { LEAD_SOURCE: ['Physician Referral'] },
    activityTypes: [{ value: 'Appointment', kind: 'MEETING' }, { value: 'Follow-up Call', kind: 'CALL' }],
    pipeline: {
      name: 'Care Plans',
      stages: [
        { name: 'Referral', probability: 10, kind: 'OPEN' },
        { name: 'Consultation', probability: 40, kind: 'OPEN' },
        { name: 'Treatment Plan', probability: 70, kind: 'OPEN' },
        ...closing('Accepted', 'Declined'),
      ],
    },
    fields: [
      { module: 'contacts', apiName: 'dateOfBirth', label: 'Date of Birth', type: 'DATE' },
      { module: 'contacts', apiName: 'patientNumber', label: 'Patient Number', type: 'TEXT', unique: true },
      { module: 'contacts', apiName: 'insuranceProvider', label: 'Insurance Provider', type: 'TEXT' },
      { module: 'contacts', apiName: 'preferredChannel', label: 'Preferred Channel', type: 'PICKLIST', options: ['Phone', 'Email', 'SMS'] },
    ],
  },
  DURABLE_GOODS: {
    labels: {},
    picklists: { LEAD_SOURCE: ['Dealer'] },
    pipeline: {
      name: 'Equipment Sales',
      stages: [
        { name: 'Inquiry', probability: 10, kind: 'OPEN' },
        { name: 'Demo', probability: 40, kind: 'OPEN' },
        { name: 'Quote', probability: 70, kind: 'OPEN' },
        ...closing('Ordered', 'Lost'),
      ],
    },
    fields: [
      { module: 'deals', apiName: 'productModel', label: 'Product Model', type: 'TEXT' },
      { module: 'deals', apiName: 'serialNumber', label: 'Serial Number', type: 'TEXT', unique: true },
      { module: 'deals', apiName: 'installationDate', label: 'Installation Date', type: 'DATE' },
      { module: 'deals', apiName: 'warrantyEnds', label: 'Warranty Ends', type: 'DATE' },
      { module: 'accounts', apiName: 'installedUnits', label: 'Installed Units', type: 'INTEGER' },
    ],
  },
  INSURANCE: {
    labels: { deals: { singular: 'Policy', plural: 'Policies' } },
    picklists: { LEAD_SOURCE: ['Broker'] },
    pipeline: {
      name: 'Policies',
      stages: [
        { name: 'Quote Requested', probability: 10, kind: 'OPEN' },
        { name: 'Underwriting', probability: 40, kind: 'OPEN' },
        { name: 'Offer', probability: 70, kind: 'OPEN' },
        ...closing('Bound', 'Declined'),
      ],
    },
    fields: [
      { module: 'deals', apiName: 'policyType', label: 'Policy Type', type: 'PICKLIST', options: ['Life', 'Health', 'Auto', 'Home', 'Business'] },
      { module: 'deals', apiName: 'policyNumber', label: 'Policy Number', type: 'TEXT', unique: true },
      { module: 'deals', apiName: 'premium', label: 'Annual Premium', type: 'CURRENCY' },
      { module: 'deals', apiName: 'coverage', label: 'Coverage Amount', type: 'CURRENCY' },
      { module: 'deals', apiName: 'renewalDate', label: 'Renewal Date', type: 'DATE' },
    ],
  },
  ADVERTISING: {
    labels: { deals: { singular: 'Campaign', plural: 'Campaigns' } },
    picklists: { LEAD_SOURCE: ['Agency'] },
    pipeline: {
      name: 'Media Sales',
      stages: [
        { name: 'Brief', probability: 10, kind: 'OPEN' },
        { name: 'Proposal', probability: 40, kind: 'OPEN' },
        { name: 'Insertion Order', probability: 80, kind: 'OPEN' },
        ...closing('Booked', 'Lost'),
      ],
    },
    fields: [
      { module: 'deals', apiName: 'channels', label: 'Channels', type: 'MULTI_PICKLIST', options: ['Print', 'Radio', 'TV', 'Online', 'Outdoor'] },
      { module: 'deals', apiName: 'flightStart', label: 'Flight Start', type: 'DATE' },
      { module: 'deals', apiName: 'flightEnd', label: 'Flight End', type: 'DATE' },
      { module: 'deals', apiName: 'impressions', label: 'Impressions', type: 'INTEGER' },
    ],
  },
};
