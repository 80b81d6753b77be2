import { and, count, eq, notExists } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAccounts } from '../src/demo/demo-accounts.js';
import { loadDemo, DEMO_ORGANIZATION, DEMO_SIZES, type DemoDeps } from '../src/demo/demo.js';
import { accounts } from '../src/modules/accounts/accounts.table.js';
import { activities } from '../src/modules/activities/activities.table.js';
import { contacts } from '../src/modules/contacts/contacts.table.js';
import { deals } from '../src/modules/deals/deals.table.js';
import { leads } from '../src/modules/leads/leads.table.js';
import { notes } from '../src/modules/notes/notes.table.js';
import { organizations } from '../src/modules/organizations/organizations.table.js';
import { stages } from '../src/modules/pipelines/pipelines.table.js';
import { timelineEntries } from '../src/modules/timeline/timeline.table.js';
import { users } from '../src/modules/users/users.table.js';
import { Random } from '../src/demo/random.js';
import { createLogger } from '../src/shared/logger.js';
import { ACCOUNT_TYPES, INDUSTRIES, LEAD_SOURCES, LEAD_STATUSES } from '../src/shared/picklists.js';
import { money, normaliseEmail, normalisePhone, picklistValue } from '../src/shared/validation.js';
import type { GraphQLClient } from './helpers/graphql-client.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { role } organization { id name } } }`;
const TOTAL_DEALS = DEMO_SIZES.standardDeals + DEMO_SIZES.renewalDeals;

let signIn: { email: string; password: string };
let loadMilliseconds = 0;
let admin: GraphQLClient;
let organizationId = '';

const deps = (): DemoDeps => ({ db: server().testDatabase.database.db, config: server().config, logger: createLogger('silent') });

/** Row counts of every table the demo fills, for comparing before and after a second load. */
async function rowCounts(): Promise<Record<string, number>> {
  const db = deps().db;
  const tables = { organizations, users, accounts, contacts, leads, deals, activities, notes, timelineEntries };
  const result: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) {
    const [row] = await db.select({ n: count() }).from(table);
    result[name] = row?.n ?? 0;
  }
  return result;
}

/** Every value is what the API's own validation would have stored for it. */
const unchangedBy = <T>(value: T | null, normalise: (value: T) => T): boolean => value === null || normalise(value) === value;

beforeAll(async () => {
  const started = performance.now();
  signIn = await loadDemo(deps());
  loadMilliseconds = performance.now() - started;
  const { logIn } = await server().client.ok(LOG_IN, { input: signIn });
  admin = server().client.as(logIn.token);
  organizationId = logIn.organization.id;
});

describe('the demo organisation', () => {
  it('loads in well under 30 seconds, and loading it again changes nothing', async () => {
    expect(loadMilliseconds).toBeLessThan(30_000);
    const before = await rowCounts();
    expect(await loadDemo(deps())).toEqual(signIn);
    expect(await rowCounts()).toEqual(before);
    expect(before['organizations']).toBe(1);
  });

  it('signs the administrator in and shows every module at its demo size', async () => {
    const { logIn } = await server().client.ok(LOG_IN, { input: signIn });
    expect(logIn.user.role).toBe('ADMIN');
    expect(logIn.organization.name).toBe(DEMO_ORGANIZATION);
    const data = await admin.ok(`{
      accounts { totalCount } contacts { totalCount } leads { totalCount } deals { totalCount }
      activities { totalCount } overdue: activities(filter: { overdue: true }) { totalCount }
      pipelines { name isDefault stages { name } } users { role }
    }`);
    expect({
      accounts: data.accounts.totalCount,
      contacts: data.contacts.totalCount,
      leads: data.leads.totalCount,
      deals: data.deals.totalCount,
      activities: data.activities.totalCount,
      users: data.users.length,
    }).toEqual({ accounts: 50, contacts: 200, leads: 500, deals: 300, activities: 1000, users: 5 });
    expect(data.overdue.totalCount).toBeGreaterThan(10);
    expect(data.pipelines.map((p: { name: string; isDefault: boolean }) => [p.name, p.isDefault])).toEqual([
      ['Standard', true],
      ['Renewals', false],
    ]);
    expect(new Set(data.users.map((u: { role: string }) => u.role))).toEqual(new Set(['ADMIN', 'MANAGER', 'SALES_REP']));
  });

  it('lets the rest of the team sign in with the demo password', async () => {
    const { logIn } = await server().client.ok(LOG_IN, { input: { email: 'tomas.reyes@demo.pulse.local', password: signIn.password } });
    expect(logIn.user.role).toBe('SALES_REP');
    expect(logIn.organization.id).toBe(organizationId);
  });

  it('lists deals with their account, stage and owner, at the probability of their stage', async () => {
    const { deals: page } = await admin.ok(`{
      deals(first: 100) { totalCount nodes { amount probability account { name } contact { lastName } stage { name probability } owner { name } } }
    }`);
    expect(page.totalCount).toBe(TOTAL_DEALS);
    expect(page.nodes).toHaveLength(100);
    for (const deal of page.nodes) {
      expect(deal.account.name).toBeTruthy();
      expect(deal.stage.name).toBeTruthy();
      expect(deal.owner.name).toBeTruthy();
      expect(deal.probability).toBe(deal.stage.probability);
      expect(deal.amount).toMatch(/^\d+\.\d{2}$/);
    }
  });

  it('fills every stage of both pipelines', async () => {
    const db = deps().db;
    const perStage = await db
      .select({ stage: stages.name, deals: count(deals.id) })
      .from(stages)
      .leftJoin(deals, and(eq(deals.organizationId, stages.organizationId), eq(deals.stageId, stages.id)))
      .where(eq(stages.organizationId, organizationId))
      .groupBy(stages.id, stages.name);
    expect(perStage).toHaveLength(14);
    for (const { stage, deals: n } of perStage) expect(n, stage).toBeGreaterThan(0);
  });

  it('shows a board with distinct card order and each deal\'s stage history', async () => {
    const { pipelines } = await admin.ok(`{ pipelines { id } }`);
    for (const pipeline of pipelines as { id: string }[]) {
      const { dealsBoard } = await admin.ok(`query($p: ID!) { dealsBoard(pipelineId: $p, perStage: 200) { columns { count deals { nodes { boardRank stageHistory { toStage { id } } stage { id } } } } } }`, { p: pipeline.id });
      for (const column of dealsBoard.columns as { count: number; deals: { nodes: { boardRank: string; stageHistory: { toStage: { id: string } }[]; stage: { id: string } }[] } }[]) {
        const ranks = column.deals.nodes.map((deal) => deal.boardRank);
        expect(new Set(ranks).size).toBe(ranks.length);
        for (const deal of column.deals.nodes) expect(deal.stageHistory.at(-1)?.toStage.id).toBe(deal.stage.id);
      }
    }
  });

  it('stores only values the API would accept', async () => {
    const db = deps().db;
    const phoneOk = (value: string | null) => unchangedBy(value, (v) => normalisePhone('phone', v, 'US'));
    const emailOk = (value: string | null) => unchangedBy(value, (v) => normaliseEmail('email', v));
    const moneyOk = (value: string | null) => unchangedBy(value, (v) => money('amount', v)) && (value === null || /\.\d{2}$/.test(value));
    const settable = LEAD_STATUSES.filter((status) => status !== 'Converted');

    const leadRows = await db.select().from(leads).where(eq(leads.organizationId, organizationId));
    for (const lead of leadRows) {
      expect(emailOk(lead.email) && phoneOk(lead.phone) && phoneOk(lead.mobile) && moneyOk(lead.annualRevenue), lead.id).toBe(true);
      expect(picklistValue('status', lead.status, settable)).toBe(lead.status);
      expect(unchangedBy(lead.industry, (v) => picklistValue('industry', v, INDUSTRIES))).toBe(true);
    }
    expect(new Set(leadRows.map((lead) => lead.leadSource))).toEqual(new Set(LEAD_SOURCES));
    expect(new Set(leadRows.map((lead) => lead.status))).toEqual(new Set(settable));

    const contactRows = await db.select().from(contacts).where(eq(contacts.organizationId, organizationId));
    for (const contact of contactRows) {
      expect(emailOk(contact.email) && phoneOk(contact.phone) && phoneOk(contact.mobile), contact.id).toBe(true);
      expect(contact.accountId).not.toBeNull();
    }
    // Leads and contacts never share an email: the API refuses such a duplicate.
    const emails = [...leadRows, ...contactRows].flatMap((row) => (row.email ? [row.email] : []));
    expect(new Set(emails).size).toBe(emails.length);

    const accountRows = await db.select().from(accounts).where(eq(accounts.organizationId, organizationId));
    for (const account of accountRows) {
      expect(phoneOk(account.phone) && moneyOk(account.annualRevenue), account.id).toBe(true);
      expect(picklistValue('accountType', account.accountType ?? '', ACCOUNT_TYPES)).toBe(account.accountType);
    }
    const dealRows = await db.select().from(deals).where(eq(deals.organizationId, organizationId));
    for (const deal of dealRows) expect(moneyOk(deal.amount), deal.id).toBe(true);
  });

  it('gives activities valid shapes and varied states', async () => {
    const rows = await deps().db.select().from(activities).where(eq(activities.organizationId, organizationId));
    for (const activity of rows) {
      const related = [activity.leadId, activity.contactId, activity.accountId, activity.dealId].filter((id) => id !== null);
      expect(related).toHaveLength(1);
      if (activity.type === 'MEETING') expect(activity.startAt && activity.endAt && activity.startAt < activity.endAt, activity.id).toBe(true);
      if (activity.type === 'TASK') expect(activity.dueAt, activity.id).not.toBeNull();
      if (activity.type !== 'CALL') expect([activity.callDirection, activity.callDurationSeconds]).toEqual([null, null]);
      expect(activity.completedAt !== null, activity.id).toBe(['COMPLETED', 'CANCELLED'].includes(activity.status));
    }
    expect(new Set(rows.map((a) => a.type))).toEqual(new Set(['TASK', 'CALL', 'MEETING']));
    expect(new Set(rows.map((a) => a.status)).size).toBe(6);
    expect(rows.some((a) => a.type === 'CALL' && a.callDurationSeconds !== null && a.callDirection !== null)).toBe(true);
  });

  it('gives every lead, contact, account and deal a CREATED entry on its timeline', async () => {
    const db = deps().db;
    for (const table of [leads, contacts, accounts, deals] as const) {
      const created = db
        .select({ id: timelineEntries.id })
        .from(timelineEntries)
        .where(and(eq(timelineEntries.organizationId, table.organizationId), eq(timelineEntries.recordId, table.id), eq(timelineEntries.kind, 'CREATED')));
      const [missing] = await db
        .select({ n: count() })
        .from(table)
        .where(and(eq(table.organizationId, organizationId), notExists(created)));
      expect(missing?.n).toBe(0);
    }
    const { deals: page } = await admin.ok(`{ deals(first: 20) { nodes { timeline(first: 100) { nodes { kind actor { id } } } } } }`);
    for (const deal of page.nodes) {
      expect(deal.timeline.nodes.map((entry: { kind: string }) => entry.kind)).toContain('CREATED');
      for (const entry of deal.timeline.nodes) expect(entry.actor?.id).toBeTruthy();
    }
  });

  it('generates the same names from the same seed', () => {
    const names = () => {
      const context = { organizationId: 'o', adminId: 'a', sellers: [{ id: 'u', role: 'SALES_REP' as const }], standardStages: [], renewalStages: [] };
      const book = generateAccounts({ ...context, now: new Date(0), random: new Random(7), takenEmails: new Set() }, new Set(), 5, 10);
      return [...book.accounts.map((a) => a.name), ...book.contacts.map((c) => c.email)];
    };
    expect(names()).toEqual(names());
    expect(new Set(names()).size).toBe(15);
  });
});
