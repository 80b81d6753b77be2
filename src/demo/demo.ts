import { asc, eq } from 'drizzle-orm';
import type { PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { accounts } from '../modules/accounts/accounts.table.js';
import { activities } from '../modules/activities/activities.table.js';
import { signUp } from '../modules/auth/auth.service.js';
import { hashPassword } from '../modules/auth/passwords.js';
import { contacts } from '../modules/contacts/contacts.table.js';
import { deals } from '../modules/deals/deals.table.js';
import { dealStageHistory } from '../modules/deals/stage-history.table.js';
import { leads } from '../modules/leads/leads.table.js';
import { notes } from '../modules/notes/notes.table.js';
import { insertPipeline } from '../modules/pipelines/pipelines.service.js';
import { stages } from '../modules/pipelines/pipelines.table.js';
import { timelineEntries } from '../modules/timeline/timeline.table.js';
import { insertUser } from '../modules/users/users.service.js';
import { loginIdentities } from '../modules/users/users.table.js';
import { DomainError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { generateAccounts } from './demo-accounts.js';
import { generateActivities } from './demo-activities.js';
import { generateDeals } from './demo-deals.js';
import { generateLeads } from './demo-leads.js';
import { DEMO_TEAM, RENEWAL_STAGES } from './demo-names.js';
import type { DemoContext, DemoUser } from './demo-values.js';
import { Random } from './random.js';

export const DEMO_EMAIL = 'admin@demo.pulse.local';
export const DEMO_PASSWORD = 'pulse-demo-2026';
export const DEMO_ORGANIZATION = 'Zylker Demo';

/** How much the demo organisation holds. */
export const DEMO_SIZES = {
  users: 1 + DEMO_TEAM.length,
  accounts: 50,
  contacts: 200,
  leads: 500,
  standardDeals: 220,
  renewalDeals: 80,
  activities: 1000,
  notes: 150,
} as const;

/** Same seed, same organisation: names and figures in docs and screenshots stay valid. */
const SEED = 20_260_101;

/** Rows per INSERT: few round trips, far below PostgreSQL's 65,535 parameters per statement. */
const BATCH_SIZE = 200;

export interface DemoDeps {
  readonly db: Db;
  readonly config: Config;
  readonly logger: Logger;
}

export interface DemoSignIn {
  readonly email: string;
  readonly password: string;
}

async function insertInBatches<T extends PgTable>(tx: Db, table: T, rows: readonly PgInsertValue<T>[]): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH_SIZE) {
    await tx.insert(table).values(rows.slice(start, start + BATCH_SIZE));
  }
}

async function demoExists(db: Db): Promise<boolean> {
  const found = await db.select({ email: loginIdentities.email }).from(loginIdentities).where(eq(loginIdentities.email, DEMO_EMAIL));
  return found.length > 0;
}

/** Generates and inserts everything after sign-up, in the caller's transaction; returns what it inserted. */
async function fillOrganization(tx: Db, organizationId: string, adminId: string): Promise<Record<string, number>> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const team: DemoUser[] = [];
  for (const member of DEMO_TEAM) {
    const user = await insertUser(tx, { organizationId, ...member, passwordHash });
    team.push({ id: user.id, role: member.role });
  }
  const renewals = await insertPipeline(tx, organizationId, 'Renewals', RENEWAL_STAGES, false);
  const stageRows = await tx.select().from(stages).where(eq(stages.organizationId, organizationId)).orderBy(asc(stages.position));
  const context: DemoContext = {
    organizationId,
    adminId,
    sellers: team,
    standardStages: stageRows.filter((stage) => stage.pipelineId !== renewals.id),
    renewalStages: stageRows.filter((stage) => stage.pipelineId === renewals.id),
    now: new Date(),
    random: new Random(SEED),
    takenEmails: new Set(),
  };
  const takenCompanies = new Set<string>();
  const book = generateAccounts(context, takenCompanies, DEMO_SIZES.accounts, DEMO_SIZES.contacts);
  const pipeline = generateLeads(context, takenCompanies, DEMO_SIZES.leads, 200);
  const sales = generateDeals(context, book.accountRefs, DEMO_SIZES.standardDeals, DEMO_SIZES.renewalDeals);
  // Nobody has logged a call with a lead they never contacted or wrote off.
  const workedLeads = pipeline.leadRefs.filter((lead) => lead.status !== 'Not Contacted' && lead.status !== 'Junk Lead');
  const work = generateActivities(
    context,
    { LEAD: workedLeads, CONTACT: book.contactRefs, ACCOUNT: book.accountRefs, DEAL: sales.dealRefs },
    DEMO_SIZES.activities,
    DEMO_SIZES.notes,
  );
  const timeline = [...book.timeline, ...pipeline.timeline, ...sales.timeline, ...work.timeline];
  await insertInBatches(tx, accounts, book.accounts);
  await insertInBatches(tx, contacts, book.contacts);
  await insertInBatches(tx, leads, pipeline.leads);
  await insertInBatches(tx, deals, sales.deals);
  await insertInBatches(tx, dealStageHistory, sales.stageHistory);
  await insertInBatches(tx, activities, work.activities);
  await insertInBatches(tx, notes, work.notes);
  await insertInBatches(tx, timelineEntries, timeline);
  return {
    users: 1 + team.length,
    accounts: book.accounts.length,
    contacts: book.contacts.length,
    leads: pipeline.leads.length,
    deals: sales.deals.length,
    activities: work.activities.length,
    notes: work.notes.length,
    timelineEntries: timeline.length,
  };
}

/**
 * Loads the sample organisation "Zylker Demo" (Zoho's "explore with sample data") and returns
 * how to sign in to it. Does nothing when it is already there, so `npm run demo` can restart on
 * the same data folder.
 */
export async function loadDemo(deps: DemoDeps): Promise<DemoSignIn> {
  const signIn: DemoSignIn = { email: DEMO_EMAIL, password: DEMO_PASSWORD };
  if (await demoExists(deps.db)) {
    deps.logger.info('demo organisation already loaded', { email: DEMO_EMAIL });
    return signIn;
  }
  const started = performance.now();
  try {
    // signUp's own transaction becomes a savepoint of this one: a crash half-way leaves no admin
    // behind, so the existence check above never mistakes a partial load for a finished one.
    const counts = await deps.db.transaction(async (tx) => {
      const { user, organization } = await signUp(
        { db: tx, config: deps.config },
        { organizationName: DEMO_ORGANIZATION, name: 'Jordan Avery', email: DEMO_EMAIL, password: DEMO_PASSWORD },
      );
      return fillOrganization(tx, organization.id, user.id);
    });
    deps.logger.info('demo organisation loaded', { ...counts, milliseconds: Math.round(performance.now() - started) });
  } catch (error) {
    // Another process loading the demo at the same moment won the race for the email: same result.
    if (error instanceof DomainError && error.code === 'CONFLICT' && (await demoExists(deps.db))) return signIn;
    throw error;
  }
  return signIn;
}
