import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasConcurrentConnections, rowsOf } from '../src/db/database.js';
import { DELIVER_EMAILS_JOB } from '../src/modules/emails/email-delivery.js';
import { SCHEDULED_REPORT_JOB } from '../src/modules/reports/report-schedules.service.js';
import { ACTION_JOB } from '../src/modules/workflows/workflow-runs.js';
import { WEBHOOK_JOB } from '../src/modules/workflows/workflow-webhooks.js';
import { leadsCsv, uploadImport } from './factories/imports.factory.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createLead } from './factories/records.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { createRule, notificationsOf, runsOf } from './factories/workflows.factory.js';
import { TRACKED_RUNS } from '../src/jobs/job-definitions.js';
import { sweepStalledRuns } from '../src/jobs/stalled-runs.js';
import { setLastRunState } from './helpers/job-state.js';
import { useTestServer } from './helpers/test-server.js';

// Jobs run only when a test says so (runDue), so each test knows which handler wrote what.
const server = useTestServer({ JOB_WORKERS: 'false' });
const jobs = () => server().server.deps.jobs;
/** The owner's handle: the test's own bookkeeping (probes, policy swaps), never the app's work. */
const owner = () => server().testDatabase.database.db;
const HOUR = 3600 * 1000;

/**
 * A probe on every tenant table: each written row records who wrote it (`current_user`), the
 * organisation set for the transaction and the row's own organisation. Its own table has no
 * organization_id, so the policies leave it alone; pulse_app may add to it.
 */
const PROBE = [
  `create table job_tenancy_probe (tbl text not null, op text not null, role text not null, tenant text, row_org text)`,
  `grant insert on job_tenancy_probe to pulse_app`,
  `create function job_tenancy_record() returns trigger language plpgsql as $$
   declare written jsonb;
   begin
     if tg_op = 'DELETE' then written := to_jsonb(old); else written := to_jsonb(new); end if;
     insert into job_tenancy_probe values (tg_table_name, tg_op, current_user, nullif(current_setting('pulse.organization_id', true), ''),
       coalesce(written->>'organization_id', written->>'id'));
     return null;
   end $$`,
  `do $$ declare target record; begin
     for target in select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
       where c.relkind in ('r', 'p') and not c.relispartition and (c.relname = 'organizations'
         or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped))
     loop
       execute format('create trigger job_tenancy_probe after insert or update or delete on public.%I for each row execute function job_tenancy_record()', target.relname);
     end loop;
   end $$`,
];

interface Write {
  tbl: string;
  op: string;
  role: string;
  tenant: string | null;
  row_org: string | null;
}

/** Answers every workflow webhook with 204. */
const hookServer = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(204).end());
});

beforeAll(async () => {
  for (const statement of PROBE) await owner().execute(sql.raw(statement));
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => hookServer.close(resolve));
});

/** Runs the due jobs of `name` and returns every row they wrote. */
async function writesOf(name: string): Promise<Write[]> {
  await owner().execute(sql`delete from job_tenancy_probe`);
  expect(await jobs().runDue(name)).toBeGreaterThanOrEqual(1);
  return rowsOf<Write>(await owner().execute(sql`select * from job_tenancy_probe`));
}

/** The handler wrote `tables` for `organizationId`, and every row it wrote as pulse_app with that row's organisation set. */
function expectUnderPolicy(writes: Write[], organizationId: string, tables: string[]): void {
  expect([...new Set(writes.filter((write) => write.row_org === organizationId).map((write) => write.tbl))]).toEqual(expect.arrayContaining(tables));
  expect(writes.filter((write) => write.role !== 'pulse_app' || write.tenant === null || write.tenant !== write.row_org)).toEqual([]);
}

/** Runs `work` with `table`'s policy admitting no row, then puts the real policy back. */
async function withDenyAll(table: string, work: () => Promise<void>): Promise<void> {
  await owner().execute(sql.raw(`alter policy tenant_isolation on ${table} using (false) with check (false)`));
  try {
    await work();
  } finally {
    await owner().execute(sql.raw(`drop policy tenant_isolation on ${table}`));
    await owner().execute(sql.raw(`select pulse_apply_tenant_isolation()`));
  }
}

const SCORING_RULE = `mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { lastRun { id status } } }`;
const scoresOf = async (admin: SignedInUser): Promise<number[]> =>
  (await admin.client.ok<{ leads: { nodes: { score: number }[] } }>(`{ leads(first: 50) { nodes { score } } }`)).leads.nodes.map((lead) => lead.score);

async function startRescore(admin: SignedInUser): Promise<string> {
  for (let i = 0; i < 3; i += 1) await createLead(admin.client, { title: 'VP Sales' });
  const { createScoringRule } = await admin.client.ok(SCORING_RULE, {
    input: { module: 'LEADS', name: unique('VPs'), fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'VP', points: 30 }] },
  });
  expect(createScoringRule.lastRun.status).toBe('RUNNING');
  return createScoringRule.lastRun.id as string;
}

/** A rule whose one action (a notification) comes due an hour after a lead is created; returns the rule id. */
async function scheduleAction(admin: SignedInUser): Promise<string> {
  const rule = await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'NOTIFY', message: 'An hour on', delay: { amount: 1, unit: 'HOURS' } }] });
  await createLead(admin.client);
  await jobs().advanceTime(HOUR + 1000);
  return rule.id;
}

async function exportArchive(admin: SignedInUser): Promise<Buffer> {
  const { id } = (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
  await jobs().runDue('exports.organization');
  const verified = (await admin.client.ok(`mutation($id: ID!) { verifyExport(id: $id) { downloadUrl } }`, { id })).verifyExport;
  const url = new URL(verified.downloadUrl);
  return Buffer.from(await (await fetch(`${server().url}${url.pathname}${url.search}`)).arrayBuffer());
}

describe('job handlers run under row-level security', () => {
  it('a scheduled workflow action reads through the policy: with none admitted it finds nothing and does nothing', async () => {
    const admin = await signUpOrganization(server().client);
    const ruleId = await scheduleAction(admin);
    // The action's job is sent by the promoter (which marks the row through the policy too), then run with none admitted.
    await jobs().runSweeps();
    await withDenyAll('workflow_run_actions', async () => {
      expect(await jobs().runDue(ACTION_JOB)).toBeGreaterThanOrEqual(1);
    });
    expect((await runsOf(admin.client, { ruleId }))[0]?.actions[0]?.status).toBe('SCHEDULED');
    expect((await notificationsOf(admin.client)).totalCount).toBe(0);
  });

  it('a scheduled workflow action writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const ruleId = await scheduleAction(admin);
    expectUnderPolicy(await writesOf(ACTION_JOB), admin.organizationId, ['workflow_run_actions', 'workflow_runs', 'notifications']);
    expect((await runsOf(admin.client, { ruleId }))[0]).toMatchObject({ status: 'COMPLETED' });
  });

  it('a rescore reads its run through the policy: with none admitted no score moves', async () => {
    const admin = await signUpOrganization(server().client);
    await startRescore(admin);
    await withDenyAll('scoring_runs', async () => {
      expect(await jobs().runDue('scoring.rescore')).toBeGreaterThanOrEqual(1);
    });
    expect(await scoresOf(admin)).toEqual([0, 0, 0]);
  });

  it('a rescore writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const runId = await startRescore(admin);
    expectUnderPolicy(await writesOf('scoring.rescore'), admin.organizationId, ['scoring_runs', 'leads']);
    expect((await admin.client.ok(`{ scoringRun(id: "${runId}") { status } }`)).scoringRun.status).toBe('DONE');
    expect(await scoresOf(admin)).toEqual([30, 30, 30]);
  });

  it('a tenant handle works alongside its own open transaction where the owner\'s does (imports read their file once on PostgreSQL)', async () => {
    const { database } = server().testDatabase;
    const admin = await signUpOrganization(server().client);
    expect(hasConcurrentConnections(database.forOrganization(admin.organizationId))).toBe(hasConcurrentConnections(database.db));
    expect(hasConcurrentConnections(database.db)).toBe(database.kind === 'postgres');
  });

  it('an import commit writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv([{ last: 'Imported', email: uniqueEmail('imported') }]));
    await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    expectUnderPolicy(await writesOf('imports.commit'), admin.organizationId, ['imports', 'leads']);
    expect((await admin.client.ok(`{ leads { totalCount } }`)).leads.totalCount).toBe(1);
  });

  it('an export writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    await createLead(admin.client);
    await admin.client.ok(`mutation { exportOrganization { id } }`);
    expectUnderPolicy(await writesOf('exports.organization'), admin.organizationId, ['organization_exports', 'organization_export_chunks']);
  });

  it('a restore writes as the organisation restored into', async () => {
    const source = await signUpOrganization(server().client);
    await createLead(source.client, { lastName: 'Restored' });
    const archive = await exportArchive(source);
    const target = await signUpOrganization(server().client);
    const started = await fetch(`${server().url}/restores`, { method: 'POST', headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/zip' }, body: archive });
    expect(started.status).toBe(201);
    const writes = await writesOf('exports.restore');
    expectUnderPolicy(writes, target.organizationId, ['organization_restores', 'leads', 'users']);
    expect(writes.filter((write) => write.row_org === source.organizationId)).toEqual([]);
    expect((await target.client.ok(`{ leads { nodes { lastName } } }`)).leads.nodes).toEqual([{ lastName: 'Restored' }]);
  });

  it('a scheduled deletion deletes as its organisation, and its cascade stays within it', async () => {
    const name = unique('Leaving');
    const admin = await signUpOrganization(server().client, { organizationName: name });
    await createLead(admin.client);
    await admin.client.ok(`mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) }`, { input: { confirmName: name, withoutExport: true, inDays: 1 } });
    await jobs().advanceTime(2 * 24 * HOUR);
    const writes = await writesOf('organizations.delete');
    const organizationId = admin.organizationId;
    // The handler's one statement: the organisation's row, deleted as pulse_app for that organisation.
    expect(writes.filter((write) => write.tbl === 'organizations')).toEqual([{ tbl: 'organizations', op: 'DELETE', role: 'pulse_app', tenant: organizationId, row_org: organizationId }]);
    // The cascade it set off removed that organisation's rows and no other's. (Foreign-key actions
    // run as the tables' owner; whose name their rows' triggers then see differs between versions.)
    expect(writes.filter((write) => write.op !== 'DELETE' || write.tenant !== organizationId || write.row_org !== organizationId)).toEqual([]);
    expect([...new Set(writes.map((write) => write.tbl))]).toEqual(expect.arrayContaining(['users', 'leads', 'events']));
    const left = rowsOf<{ n: number }>(await owner().execute(sql`select count(*)::int as n from users where organization_id = ${admin.organizationId}`));
    expect(left[0]?.n).toBe(0);
  });

  it('an email delivery job writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    const { sendEmail } = await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { id } }`, { input: { leadId: lead.id, subject: 'Later', text: 'x' } });
    // As a process that died between commit and SMTP leaves it.
    await owner().execute(sql`update email_messages set status = 'QUEUED', sent_at = null where id = ${sendEmail.id}`);
    await jobs().advanceTime(61_000);
    expectUnderPolicy(await writesOf(DELIVER_EMAILS_JOB), admin.organizationId, ['email_messages']);
  });

  it('a workflow webhook delivery writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const url = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    const rule = await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'CALL_WEBHOOK', url }] });
    await createLead(admin.client);
    expectUnderPolicy(await writesOf(WEBHOOK_JOB), admin.organizationId, ['workflow_webhook_attempts', 'workflow_run_actions']);
    expect((await runsOf(admin.client, { ruleId: rule.id }))[0]?.actions[0]?.status).toBe('DONE');
  });

  it('a scheduled report writes its delivery and next occurrence as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const { createReport: report } = await admin.client.ok(`mutation($input: CreateReportInput!) { createReport(input: $input) { id } }`, { input: { name: 'Daily', module: 'DEALS', columns: ['name'] } });
    const { createReportSchedule: schedule } = await admin.client.ok(`mutation($input: CreateReportScheduleInput!) { createReportSchedule(input: $input) { nextRunAt } }`, {
      input: { reportId: report.id, cron: '0 8 * * *', timeZone: 'UTC', recipients: [uniqueEmail('boss')], format: 'CSV' },
    });
    await jobs().advanceTime(new Date(schedule.nextRunAt).getTime() - Date.now() + 1000);
    expectUnderPolicy(await writesOf(SCHEDULED_REPORT_JOB), admin.organizationId, ['report_deliveries', 'report_schedules']);
  });

  it('a subscription change at the period\'s end writes as its organisation', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { seats } }`, { input: { plan: 'PROFESSIONAL', seats: 12, effective: 'PERIOD_END' } });
    await jobs().advanceTime(31 * 24 * HOUR);
    expectUnderPolicy(await writesOf('organizations.apply-subscription'), admin.organizationId, ['organizations']);
    expect((await admin.client.ok(`{ organization { seats } }`)).organization.seats).toBe(12);
  });

  it('the stalled-run sweep reads across organisations but fails each run as its own organisation', async () => {
    const first = await signUpOrganization(server().client);
    const second = await signUpOrganization(server().client);
    await jobs().runDue('exports.organization', 'imports.commit');
    const { id: exportId } = (await first.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
    const { body } = await uploadImport(server().url, second, 'leads', leadsCsv([{ last: 'Hung', email: uniqueEmail('hung') }]));
    await second.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    await owner().execute(sql`update organization_exports set status = 'RUNNING' where id = ${exportId}`);
    await owner().execute(sql`update imports set status = 'RUNNING' where id = ${body.id}`);
    await setLastRunState(owner(), 'exports.organization', 'exportId', exportId, 'failed');
    await setLastRunState(owner(), 'imports.commit', 'importId', body.id, 'failed');
    await owner().execute(sql`delete from job_tenancy_probe`);
    expect(await sweepStalledRuns(server().server.deps.database, TRACKED_RUNS, server().server.deps.logger)).toBeGreaterThanOrEqual(2);
    const writes = rowsOf<Write>(await owner().execute(sql`select * from job_tenancy_probe`));
    expectUnderPolicy(writes, first.organizationId, ['organization_exports']);
    expectUnderPolicy(writes, second.organizationId, ['imports', 'import_errors', 'events']);
  });
});
