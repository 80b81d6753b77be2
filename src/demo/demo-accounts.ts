import { newRowId } from '../db/row-id.js';
import type { accounts } from '../modules/accounts/accounts.table.js';
import type { contacts } from '../modules/contacts/contacts.table.js';
import { ACCOUNT_TYPES, LEAD_SOURCES } from '../shared/picklists.js';
import { ACCOUNT_DESCRIPTIONS, DEPARTMENTS, FIRST_NAMES, LAST_NAMES, TITLES } from './demo-names.js';
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
  type DemoAddress,
  type DemoContext,
  type NewTimelineEntry,
  type RecordRef,
} from './demo-values.js';

export type NewAccount = typeof accounts.$inferInsert;
export type NewContact = typeof contacts.$inferInsert;

export interface AccountRef extends RecordRef {
  readonly accountType: (typeof ACCOUNT_TYPES)[number];
  readonly contacts: RecordRef[];
}

export interface DemoAccounts {
  readonly accounts: NewAccount[];
  readonly contacts: NewContact[];
  readonly accountRefs: AccountRef[];
  readonly contactRefs: RecordRef[];
  readonly timeline: NewTimelineEntry[];
}

/** Mostly customers and prospects, as in a sales team's real book. */
const ACCOUNT_TYPE_WEIGHTS: ReadonlyArray<readonly [(typeof ACCOUNT_TYPES)[number], number]> = [
  ['Customer', 20],
  ['Prospect', 14],
  ['Partner', 4],
  ['Reseller', 3],
  ['Vendor', 2],
  ['Distributor', 2],
  ['Integrator', 1],
  ['Investor', 1],
  ['Analyst', 1],
  ['Press', 1],
  ['Competitor', 1],
];

/** `accountCount` companies, each with at least one of the `contactCount` contacts (Zoho copies the account's address to them). */
export function generateAccounts(context: DemoContext, takenCompanies: Set<string>, accountCount: number, contactCount: number): DemoAccounts {
  const { random, organizationId, now } = context;
  const result: DemoAccounts = { accounts: [], contacts: [], accountRefs: [], contactRefs: [], timeline: [] };
  const addresses: DemoAddress[] = [];
  for (let i = 0; i < accountCount; i++) {
    const { name, industry } = company(random, takenCompanies);
    const ownerId = pickOwner(context);
    const createdById = pickCreator(context, ownerId);
    const createdAt = between(random, addDays(now, -400), addDays(now, -200));
    const accountType = random.weighted(ACCOUNT_TYPE_WEIGHTS);
    const place = address(random);
    const id = newRowId();
    addresses.push(place);
    result.accounts.push({
      organizationId,
      id,
      name,
      website: `www.${companyDomain(name)}`,
      phone: phone(random, cityOf(place)),
      industry,
      accountType,
      annualRevenue: amount(random, 500_000, 250_000_000, 50_000),
      employees: random.weighted([[random.int(5, 50), 3], [random.int(51, 500), 4], [random.int(501, 10_000), 2]]),
      ...place,
      description: random.pick(ACCOUNT_DESCRIPTIONS),
      ownerId,
      createdById,
      createdAt,
      updatedAt: createdAt,
      tags: tags(random, 0.25),
    });
    result.accountRefs.push({ type: 'ACCOUNT', id, ownerId, createdAt, label: name, accountType, contacts: [] });
    result.timeline.push(timelineEntry(context, { type: 'ACCOUNT', id }, { kind: 'CREATED', actorId: createdById, at: createdAt, summary: 'Account created' }));
  }
  for (let i = 0; i < contactCount; i++) {
    // The first pass gives every account a contact; the rest land anywhere.
    const index = i < accountCount ? i : random.int(0, accountCount - 1);
    const account = result.accountRefs[index];
    const place = addresses[index];
    if (!account || !place) throw new Error('contact without an account');
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const ownerId = random.chance(0.8) ? account.ownerId : pickOwner(context);
    const createdById = pickCreator(context, ownerId);
    const createdAt = between(random, addDays(account.createdAt, 1), addDays(now, -1));
    const id = newRowId();
    result.contacts.push({
      organizationId,
      id,
      firstName,
      lastName,
      email: personEmail(context, firstName, lastName, companyDomain(account.label)),
      phone: phone(random, cityOf(place)),
      mobile: random.chance(0.5) ? phone(random, cityOf(place)) : null,
      title: random.pick(TITLES),
      department: random.pick(DEPARTMENTS),
      accountId: account.id,
      leadSource: random.chance(0.8) ? random.pick(LEAD_SOURCES) : null,
      ...place,
      ownerId,
      createdById,
      createdAt,
      updatedAt: createdAt,
      tags: tags(random, 0.15),
    });
    const ref: RecordRef = { type: 'CONTACT', id, ownerId, createdAt, label: `${firstName} ${lastName}` };
    account.contacts.push(ref);
    result.contactRefs.push(ref);
    result.timeline.push(timelineEntry(context, ref, { kind: 'CREATED', actorId: createdById, at: createdAt, summary: 'Contact created' }));
  }
  return result;
}
