import { and, count, eq, sql } from 'drizzle-orm';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/database.js';
import { accounts } from '../src/modules/accounts/accounts.table.js';
import { activities } from '../src/modules/activities/activities.table.js';
import { signUp } from '../src/modules/auth/auth.service.js';
import { contacts } from '../src/modules/contacts/contacts.table.js';
import { deals } from '../src/modules/deals/deals.table.js';
import { organizations } from '../src/modules/organizations/organizations.table.js';
import { insertUser } from '../src/modules/users/users.service.js';
import { users } from '../src/modules/users/users.table.js';

export const BENCH_ORGANIZATION_NAME = 'Bench Org';
export const BENCH_ADMIN = { name: 'Bench Admin', email: 'bench-admin@bench.pulse.test', password: 'bench-password-not-secret' } as const;

export interface OrganizationShape {
  readonly users: number;
  readonly accounts: number;
  readonly contacts: number;
  readonly deals: number;
  readonly activities: number;
}

/** The organisation; BENCH_SCALE shrinks it for a quick trial run of the benchmark itself. */
export function organizationShape(scale = 1): OrganizationShape {
  const of = (n: number) => Math.max(1, Math.round(n * scale));
  return { users: 20, accounts: of(10_000), contacts: of(50_000), deals: of(100_000), activities: of(200_000) };
}

export interface BenchOrganization {
  readonly organizationId: string;
  readonly shape: OrganizationShape;
  /** True when this run generated the rows (false: they were already there). */
  readonly generated: boolean;
  readonly generateSeconds: number;
}

async function countOf(db: Db, table: typeof accounts | typeof contacts | typeof deals | typeof activities, organizationId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(table).where(eq(table.organizationId, organizationId));
  return row?.n ?? 0;
}

async function matchesShape(db: Db, organizationId: string, shape: OrganizationShape): Promise<boolean> {
  const [userCount] = await db.select({ n: count() }).from(users).where(eq(users.organizationId, organizationId));
  return (
    (userCount?.n ?? 0) === shape.users &&
    (await countOf(db, accounts, organizationId)) === shape.accounts &&
    (await countOf(db, contacts, organizationId)) === shape.contacts &&
    (await countOf(db, deals, organizationId)) === shape.deals &&
    (await countOf(db, activities, organizationId)) === shape.activities
  );
}

/**
 * The rows, generated in SQL: numbered temp tables give every generated row valid tenant keys
 * (owner and creator are users of the org, stages come from its default pipeline, a deal's
 * account is its contact's account). Spread over about two years of created_at.
 */
async function generateRows(tx: Db, organizationId: string, shape: OrganizationShape): Promise<void> {
  const org = sql`${organizationId}::uuid`;
  const run = (statement: ReturnType<typeof sql>) => tx.execute(statement);

  await run(sql`create temp table bench_users on commit drop as
    select (row_number() over (order by created_at, id) - 1)::int as n, id from users where organization_id = ${org}`);
  await run(sql`create temp table bench_stages on commit drop as
    select (row_number() over (order by s.position) - 1)::int as n, s.id, s.pipeline_id, s.probability
    from stages s join pipelines p on p.organization_id = s.organization_id and p.id = s.pipeline_id
    where p.organization_id = ${org} and p.is_default`);

  await run(sql`insert into accounts (organization_id, id, name, website, phone, industry, account_type, annual_revenue, employees,
      city, country, owner_id, created_by_id, created_at, updated_at)
    select ${org}, gen_random_uuid(), 'Account ' || g, 'https://account-' || g || '.example.com',
      '+1 415 555 ' || lpad((g % 10000)::text, 4, '0'),
      (array['Banking','Software','Retail','Healthcare','Manufacturing','Media','Energy','Education'])[1 + g % 8],
      (array['Customer','Prospect','Partner','Reseller'])[1 + g % 4],
      ((g * 7919) % 50000000)::numeric(18,2), 1 + (g * 31) % 5000,
      (array['Berlin','Paris','London','New York','Tokyo','Lisbon'])[1 + g % 6], 'US',
      u.id, u.id, date_trunc('second', now()) - make_interval(mins => g * 90), date_trunc('second', now()) - make_interval(mins => g * 90)
    from generate_series(1, ${shape.accounts}::int) g join bench_users u on u.n = g % ${shape.users}::int`);
  await run(sql`create temp table bench_accounts on commit drop as
    select (row_number() over (order by id) - 1)::int as n, id from accounts where organization_id = ${org}`);
  await run(sql`analyze bench_accounts`);

  await run(sql`insert into contacts (organization_id, id, first_name, last_name, email, phone, title, account_id, lead_source,
      city, country, owner_id, created_by_id, created_at, updated_at)
    select ${org}, gen_random_uuid(), (array['Ada','Grace','Alan','Edsger','Barbara','Donald','Frances','Ken'])[1 + g % 8],
      'Contact ' || g, 'contact' || g || '@example.com', '+1 212 555 ' || lpad((g % 10000)::text, 4, '0'),
      (array['CEO','CTO','Buyer','Engineer','Director'])[1 + g % 5], a.id,
      (array['Web','Partner','Trade Show','Cold Call','Referral'])[1 + g % 5],
      (array['Berlin','Paris','London','New York','Tokyo','Lisbon'])[1 + g % 6], 'US',
      u.id, u.id, date_trunc('second', now()) - make_interval(mins => g * 18), date_trunc('second', now()) - make_interval(mins => g * 18)
    from generate_series(1, ${shape.contacts}::int) g
      join bench_accounts a on a.n = g % ${shape.accounts}::int
      join bench_users u on u.n = (g * 3) % ${shape.users}::int`);
  await run(sql`create temp table bench_contacts on commit drop as
    select (row_number() over (order by id) - 1)::int as n, id, account_id from contacts where organization_id = ${org}`);
  await run(sql`analyze bench_contacts`);

  // One deal in ten has no contact, so the nested query meets null relations too.
  await run(sql`insert into deals (organization_id, id, name, amount, currency, closing_date, pipeline_id, stage_id, probability,
      account_id, contact_id, lead_source, next_step, owner_id, created_by_id, created_at, updated_at)
    select ${org}, gen_random_uuid(), 'Deal ' || g, (1000 + (g * 7919) % 500000)::numeric(18,2), 'USD',
      date '2026-01-01' + (g % 730), s.pipeline_id, s.id, s.probability,
      c.account_id, case when g % 10 = 0 then null else c.id end,
      (array['Web','Partner','Trade Show','Cold Call','Referral'])[1 + g % 5], 'Follow up',
      u.id, u.id, date_trunc('second', now()) - make_interval(secs => g * 540), date_trunc('second', now()) - make_interval(secs => g * 540)
    from generate_series(1, ${shape.deals}::int) g
      join bench_contacts c on c.n = g % ${shape.contacts}::int
      join bench_stages s on s.n = g % (select count(*) from bench_stages)::int
      join bench_users u on u.n = (g * 7) % ${shape.users}::int`);
  await run(sql`create temp table bench_deals on commit drop as
    select (row_number() over (order by id) - 1)::int as n, id from deals where organization_id = ${org}`);
  await run(sql`analyze bench_deals`);

  // A quarter each about a deal, a contact, an account, or nothing.
  await run(sql`insert into activities (organization_id, id, deal_id, contact_id, account_id, type, subject, status, priority,
      due_at, start_at, end_at, completed_at, call_direction, call_duration_seconds, owner_id, created_by_id, created_at, updated_at)
    select ${org}, gen_random_uuid(),
      case when g % 4 = 0 then d.id end, case when g % 4 = 1 then c.id end, case when g % 4 = 2 then a.id end,
      t.type, initcap(lower(t.type)) || ' ' || g, st.status, (array['HIGH','NORMAL','LOW'])[1 + g % 3],
      case when t.type = 'TASK' then ts + interval '3 days' end,
      case when t.type = 'MEETING' then ts + interval '2 days' end,
      case when t.type = 'MEETING' then ts + interval '2 days 1 hour' end,
      case when st.status = 'COMPLETED' then ts + interval '4 days' end,
      case when t.type = 'CALL' then (array['INBOUND','OUTBOUND'])[1 + g % 2] end,
      case when t.type = 'CALL' then 60 + g % 1800 end,
      u.id, u.id, ts, ts
    from generate_series(1, ${shape.activities}::int) g
      cross join lateral (select date_trunc('second', now()) - make_interval(secs => g * 270) as ts) time
      cross join lateral (select (array['TASK','CALL','MEETING'])[1 + g % 3] as type) t
      cross join lateral (select (array['NOT_STARTED','IN_PROGRESS','COMPLETED'])[1 + (g / 3) % 3] as status) st
      join bench_deals d on d.n = g % ${shape.deals}::int
      join bench_contacts c on c.n = g % ${shape.contacts}::int
      join bench_accounts a on a.n = g % ${shape.accounts}::int
      join bench_users u on u.n = (g * 11) % ${shape.users}::int`);
}

async function createOrganization(db: Db, config: Config, shape: OrganizationShape): Promise<string> {
  // One transaction: an interrupted generation leaves nothing behind, so the marker is all-or-nothing.
  return db.transaction(async (tx) => {
    const deps = { db: tx as Db, config };
    const admin = await signUp(deps, {
      organizationName: BENCH_ORGANIZATION_NAME,
      name: BENCH_ADMIN.name,
      email: BENCH_ADMIN.email,
      password: BENCH_ADMIN.password,
    });
    const organizationId = admin.organization.id;
    for (let i = 1; i < shape.users; i += 1) {
      await insertUser(tx as Db, {
        organizationId,
        name: `Bench User ${String(i).padStart(2, '0')}`,
        email: `bench-user-${i}@bench.pulse.test`,
        role: i % 5 === 0 ? 'MANAGER' : 'SALES_REP',
        passwordHash: null,
      });
    }
    await generateRows(tx as Db, organizationId, shape);
    return organizationId;
  });
}

/** Finds the generated organisation, or (re)creates it when missing or of another shape. */
export async function ensureOrganization(
  db: Db,
  config: Config,
  shape: OrganizationShape,
  log: (line: string) => void,
): Promise<BenchOrganization> {
  const existing = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.name, BENCH_ORGANIZATION_NAME));
  for (const { id } of existing) {
    if (existing.length === 1 && (await matchesShape(db, id, shape))) {
      return { organizationId: id, shape, generated: false, generateSeconds: 0 };
    }
  }
  for (const { id } of existing) {
    log(`removing an earlier '${BENCH_ORGANIZATION_NAME}' of another shape (${id})`);
    // Every tenant table cascades from organizations.
    await db.delete(organizations).where(and(eq(organizations.id, id), eq(organizations.name, BENCH_ORGANIZATION_NAME)));
  }
  log(
    `generating '${BENCH_ORGANIZATION_NAME}': ${shape.users} users, ${shape.accounts} accounts, ${shape.contacts} contacts, ` +
      `${shape.deals} deals, ${shape.activities} activities (once; later runs reuse it)`,
  );
  const started = performance.now();
  const organizationId = await createOrganization(db, config, shape);
  await db.execute(sql`analyze`);
  const generateSeconds = (performance.now() - started) / 1000;
  log(`generated in ${generateSeconds.toFixed(1)} s`);
  return { organizationId, shape, generated: true, generateSeconds };
}
