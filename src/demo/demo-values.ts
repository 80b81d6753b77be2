import { newRowId } from '../db/row-id.js';
import type { Role } from '../modules/auth/viewer.js';
import type { StageRow } from '../modules/pipelines/pipelines.table.js';
import type { TimelineRecordType } from '../modules/timeline/timeline.service.js';
import { timelineEntries } from '../modules/timeline/timeline.table.js';
import { money, normaliseEmail, normalisePhone } from '../shared/validation.js';
import { CITIES, COMPANY_KINDS, COMPANY_WORDS, STREETS, TAGS, type City } from './demo-names.js';
import type { Random } from './random.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface DemoUser {
  readonly id: string;
  readonly role: Role;
}

/** What every generator needs: the tenant, its team and stages, "now", and the shared generator. */
export interface DemoContext {
  readonly organizationId: string;
  readonly adminId: string;
  /** Users who own records: the managers and sales reps. */
  readonly sellers: readonly DemoUser[];
  readonly standardStages: readonly StageRow[];
  readonly renewalStages: readonly StageRow[];
  readonly now: Date;
  readonly random: Random;
  /** Emails already given to a lead or contact: the API refuses duplicates between them. */
  readonly takenEmails: Set<string>;
}

/** A created record as activities, notes and the timeline see it. */
export interface RecordRef {
  readonly type: TimelineRecordType;
  readonly id: string;
  readonly ownerId: string;
  readonly createdAt: Date;
  /** How a person would name it in a subject line. */
  readonly label: string;
}

export type NewTimelineEntry = typeof timelineEntries.$inferInsert;

export function timelineEntry(
  context: DemoContext,
  record: Pick<RecordRef, 'type' | 'id'>,
  entry: { kind: string; actorId: string; at: Date; summary: string; data?: Record<string, unknown> },
): NewTimelineEntry {
  return {
    organizationId: context.organizationId,
    id: newRowId(),
    recordType: record.type,
    recordId: record.id,
    kind: entry.kind,
    actorId: entry.actorId,
    at: entry.at,
    summary: entry.summary,
    data: entry.data ?? {},
  };
}

export const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY);

/** The later of two dates (keeps a child record from predating its parent). */
export const latest = (a: Date, b: Date): Date => (a > b ? a : b);
export const earliest = (a: Date, b: Date): Date => (a < b ? a : b);

/** A time on a weekday afternoon in UTC (morning in the Americas), on a quarter hour. */
export function workingTime(random: Random, day: Date): Date {
  const date = new Date(day);
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) date.setUTCDate(date.getUTCDate() + (weekday === 6 ? 2 : 1));
  date.setUTCHours(random.int(14, 21), random.pick([0, 15, 30, 45]), 0, 0);
  return date;
}

/** A random moment between two dates. */
export const between = (random: Random, from: Date, to: Date): Date =>
  new Date(from.getTime() + Math.floor(random.next() * Math.max(0, to.getTime() - from.getTime())));

export const isoDate = (date: Date): string => date.toISOString().slice(0, 10);

/** A whole amount of `step`s between `min` and `max`, sometimes with cents, as the API's exact decimal string. */
export function amount(random: Random, min: number, max: number, step: number): string {
  const units = random.int(Math.ceil(min / step), Math.floor(max / step)) * step;
  const cents = random.chance(0.15) ? random.int(1, 99) : 0;
  return money('amount', `${units}.${String(cents).padStart(2, '0')}`);
}

/** A number in a range reserved for fiction, so a demo never dials a real person; E.164 as the API stores it. */
export const phone = (random: Random, city: City): string =>
  normalisePhone('phone', `${city.phonePrefix}${city.phonePrefix.startsWith('+1') ? '01' : '0'}${String(random.int(0, 99)).padStart(2, '0')}`, 'US');

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '');

/** `.example` is reserved (RFC 2606), so demo emails and websites never reach a real company. */
export const companyDomain = (company: string): string => `${slug(company)}.example`;

/** A unique, lower-case work email for a person at `domain`. */
export function personEmail(context: DemoContext, firstName: string, lastName: string, domain: string): string {
  const base = context.random.chance(0.7) ? `${slug(firstName)}.${slug(lastName)}` : `${slug(firstName).charAt(0)}${slug(lastName)}`;
  let candidate = `${base}@${domain}`;
  for (let n = 2; context.takenEmails.has(candidate); n++) candidate = `${base}${n}@${domain}`;
  context.takenEmails.add(candidate);
  return normaliseEmail('email', candidate);
}

export interface DemoAddress {
  readonly street: string;
  readonly city: string;
  readonly state: string;
  readonly postalCode: string;
  readonly country: string;
}

export function address(random: Random, city: City = random.pick(CITIES)): DemoAddress {
  return { street: `${random.int(10, 2999)} ${random.pick(STREETS)}`, city: city.city, state: city.state, postalCode: city.postalCode, country: city.country };
}

export const cityOf = (value: DemoAddress): City => CITIES.find((city) => city.city === value.city) ?? (CITIES[0] as City);

/** Reps own most records, the manager some. */
export const pickOwner = (context: DemoContext): string =>
  context.random.weighted(context.sellers.map((user) => [user.id, user.role === 'SALES_REP' ? 3 : 1] as const));

/** Who typed the record in: usually its owner, sometimes the administrator (imports, hand-overs). */
export const pickCreator = (context: DemoContext, ownerId: string): string => (context.random.chance(0.8) ? ownerId : context.adminId);

export interface DemoCompany {
  readonly name: string;
  readonly industry: string;
}

/** An invented company name not in `taken`, with the industry its name suggests. */
export function company(random: Random, taken: Set<string>): DemoCompany {
  for (;;) {
    const [kind, industry] = random.pick(COMPANY_KINDS);
    const name = `${random.pick(COMPANY_WORDS)} ${kind}`;
    if (taken.has(name)) continue;
    taken.add(name);
    return { name, industry };
  }
}

export const tags = (random: Random, probability: number): string[] => (random.chance(probability) ? random.sample(TAGS, random.int(1, 2)) : []);
