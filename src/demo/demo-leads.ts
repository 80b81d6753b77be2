import { newRowId } from '../db/row-id.js';
import type { leads } from '../modules/leads/leads.table.js';
import { LEAD_SOURCES, LEAD_STATUSES } from '../shared/picklists.js';
import { FIRST_NAMES, LAST_NAMES, TITLES } from './demo-names.js';
import {
  addDays,
  address,
  amount,
  between,
  cityOf,
  company,
  companyDomain,
  personEmail,
  phone,
  pickCreator,
  pickOwner,
  tags,
  timelineEntry,
  type DemoCompany,
  type DemoContext,
  type NewTimelineEntry,
  type RecordRef,
} from './demo-values.js';

export type NewLead = typeof leads.$inferInsert;

export interface LeadRef extends RecordRef {
  readonly status: (typeof LEAD_STATUSES)[number];
}

export interface DemoLeads {
  readonly leads: NewLead[];
  readonly leadRefs: LeadRef[];
  readonly timeline: NewTimelineEntry[];
}

/** Converted is left out: only `convertLead` may set it, and it needs the contact it became. */
const STATUS_WEIGHTS: ReadonlyArray<readonly [(typeof LEAD_STATUSES)[number], number]> = [
  ['Not Contacted', 20],
  ['Attempted to Contact', 15],
  ['Contacted', 18],
  ['Contact in Future', 8],
  ['Pre-Qualified', 12],
  ['Not Qualified', 9],
  ['Junk Lead', 5],
  ['Lost Lead', 6],
];

/** Inbound web and events bring most leads; every source of the picklist still appears. */
const HEAVY_SOURCES: ReadonlySet<string> = new Set(['Web', 'Web Download', 'Advertisement', 'Trade Show', 'Cold Call', 'LinkedIn', 'Employee Referral']);
const SOURCE_WEIGHTS = LEAD_SOURCES.map((source) => [source, HEAVY_SOURCES.has(source) ? 5 : 1] as const);

/** `count` leads from `companyCount` companies that are not accounts yet, several people per company now and then. */
export function generateLeads(context: DemoContext, takenCompanies: Set<string>, count: number, companyCount: number): DemoLeads {
  const { random, organizationId, now } = context;
  const companies: DemoCompany[] = Array.from({ length: companyCount }, () => company(random, takenCompanies));
  const result: DemoLeads = { leads: [], leadRefs: [], timeline: [] };
  for (let i = 0; i < count; i++) {
    const firm = random.pick(companies);
    const firstName = random.pick(FIRST_NAMES);
    const givenName = random.chance(0.95) ? firstName : null;
    const lastName = random.pick(LAST_NAMES);
    const place = address(random);
    const status = random.weighted(STATUS_WEIGHTS);
    const ownerId = pickOwner(context);
    const createdById = pickCreator(context, ownerId);
    const createdAt = between(random, addDays(now, -180), addDays(now, -1));
    const id = newRowId();
    const rich = random.chance(0.6);
    result.leads.push({
      organizationId,
      id,
      firstName: givenName,
      lastName,
      email: random.chance(0.92) ? personEmail(context, firstName, lastName, companyDomain(firm.name)) : null,
      phone: random.chance(0.8) ? phone(random, cityOf(place)) : null,
      mobile: random.chance(0.3) ? phone(random, cityOf(place)) : null,
      company: firm.name,
      title: random.chance(0.85) ? random.pick(TITLES) : null,
      industry: random.chance(0.9) ? firm.industry : null,
      annualRevenue: rich ? amount(random, 250_000, 80_000_000, 25_000) : null,
      employees: rich ? random.int(5, 3_000) : null,
      website: random.chance(0.6) ? `www.${companyDomain(firm.name)}` : null,
      leadSource: random.weighted(SOURCE_WEIGHTS),
      status,
      ...(random.chance(0.7) ? place : {}),
      description: status === 'Contact in Future' ? 'Asked us to get back in touch next quarter.' : null,
      ownerId,
      createdById,
      createdAt,
      updatedAt: createdAt,
      tags: tags(random, 0.2),
    });
    result.leadRefs.push({ type: 'LEAD', id, ownerId, createdAt, label: `${givenName ?? ''} ${lastName} (${firm.name})`.trim(), status });
    result.timeline.push(timelineEntry(context, { type: 'LEAD', id }, { kind: 'CREATED', actorId: createdById, at: createdAt, summary: 'Lead created' }));
  }
  return result;
}
