import { createProfile, inviteInto, modulesExcept } from './factories/access.factory.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../src/jobs/job-queue.js';
import { defineJobs } from '../src/jobs/job-definitions.js';
import { SCHEDULED_REPORT_JOB } from '../src/modules/reports/report-schedules.service.js';
import { createLogger } from '../src/shared/logger.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline, stageNamed, type PipelineRef } from './factories/pipelines.factory.js';
import { createActivity, createDeal } from './factories/records.factory.js';
import { usesPostgres } from './helpers/test-database.js';
import { SmtpSink } from './helpers/smtp-sink.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const sink = new SmtpSink();
const received = sink.received;
let pulse: TestServer;

beforeAll(async () => {
  const smtpUrl = await sink.start();
  // No background worker: the tests run due jobs themselves.
  pulse = await startTestServer({ SMTP_URL: smtpUrl, JOB_WORKERS: 'false' });
});

afterAll(async () => {
  await pulse.server.stop();
  await pulse.testDatabase.drop();
  await sink.close();
});

interface Org {
  readonly admin: SignedInUser;
  readonly pipeline: PipelineRef;
}

async function newOrg(): Promise<Org> {
  const admin = await signUpOrganization(pulse.client);
  return { admin, pipeline: await defaultPipeline(admin.client) };
}

const CREATE = `mutation($input: CreateReportInput!) { createReport(input: $input) { id name module version visibility groupBy { field bucket } aggregates { function field } } }`;
const RUN = `query($id: ID!, $overrides: ReportRunOverrides) { runReport(id: $id, overrides: $overrides) { columns { key label type } rows truncated } }`;

async function createReport(user: SignedInUser, input: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const data = await user.client.ok(CREATE, { input: { name: 'Report', module: 'DEALS', ...input } });
  return data.createReport;
}

async function run(user: SignedInUser, id: string, overrides?: Record<string, unknown>) {
  const data = await user.client.ok(RUN, { id, overrides });
  return data.runReport as { columns: { key: string; type: string }[]; rows: Record<string, unknown>[]; truncated: boolean };
}

describe('custom reports', () => {
  it('reports on custom fields like standard ones: group, aggregate, filter', async () => {
    const { admin, pipeline } = await newOrg();
    const stage = stageNamed(pipeline, 'Qualification');
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'budget', label: 'Budget', type: 'CURRENCY' });
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'renewal', label: 'Renewal', type: 'DATE' });
    await createDeal(admin.client, { stageId: stage.id, customFields: { segment: 'Enterprise', budget: '0.10', renewal: '2027-01-05' } });
    await createDeal(admin.client, { stageId: stage.id, customFields: { segment: 'Enterprise', budget: '0.20', renewal: '2027-03-01' } });
    await createDeal(admin.client, { stageId: stage.id, customFields: { segment: 'SMB', budget: '7.00', renewal: '2027-01-20' } });
    await createDeal(admin.client, { stageId: stage.id });

    const { reportFields } = await admin.client.ok(`{ reportFields(module: DEALS) { apiName type } }`);
    expect(reportFields).toEqual(expect.arrayContaining([{ apiName: 'customFields.segment', type: 'STRING' }, { apiName: 'customFields.budget', type: 'DECIMAL' }, { apiName: 'customFields.renewal', type: 'DATE' }]));
    const report = await createReport(admin, {
      groupBy: [{ field: 'customFields.segment' }],
      aggregates: [{ function: 'COUNT' }, { function: 'SUM', field: 'customFields.budget' }],
      filters: [{ field: 'customFields.renewal', operator: 'BETWEEN', values: ['2027-01-01', '2027-01-31'] }],
    });
    const result = await run(admin, report.id);
    expect(result.rows.map((row) => Object.values(row))).toEqual(
      expect.arrayContaining([
        ['Enterprise', 1, '0.10'],
        ['SMB', 1, '7.00'],
      ]),
    );
    expect(result.rows).toHaveLength(2);
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', groupBy: [{ field: 'customFields.nope' }], aggregates: [{ function: 'COUNT' }] } });
    // Another organisation has no such field.
    const other = await newOrg();
    await other.admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', groupBy: [{ field: 'customFields.segment' }], aggregates: [{ function: 'COUNT' }] } });
  });

  it('groups by two fields with date buckets and aggregates money exactly', async () => {
    const { admin, pipeline } = await newOrg();
    const qualification = stageNamed(pipeline, 'Qualification');
    const needs = stageNamed(pipeline, 'Needs Analysis');
    await createDeal(admin.client, { amount: '0.10', stageId: qualification.id, closingDate: '2026-01-03' });
    await createDeal(admin.client, { amount: '0.20', stageId: qualification.id, closingDate: '2026-01-30' });
    await createDeal(admin.client, { amount: '5.00', stageId: qualification.id, closingDate: '2026-02-14' });
    await createDeal(admin.client, { amount: '1.01', stageId: needs.id, closingDate: '2026-01-10' });
    const other = await newOrg();
    await createDeal(other.admin.client, { amount: '100.00', stageId: stageNamed(other.pipeline, 'Qualification').id, closingDate: '2026-01-03' });

    const report = await createReport(admin, {
      groupBy: [{ field: 'stage' }, { field: 'closingDate', bucket: 'MONTH' }],
      aggregates: [{ function: 'COUNT' }, { function: 'SUM', field: 'amount' }, { function: 'AVG', field: 'amount' }, { function: 'MAX', field: 'closingDate' }],
      orderBy: [{ column: 'stage', direction: 'DESC' }, { column: 'closingDate_month' }],
    });
    const result = await run(admin, report.id);
    expect(result.columns).toEqual([
      { key: 'stage', label: 'Stage', type: 'STRING' },
      { key: 'closingDate_month', label: 'Closing date (month)', type: 'DATE' },
      { key: 'count', label: 'Count', type: 'INTEGER' },
      { key: 'sum_amount', label: 'Sum of Amount', type: 'DECIMAL' },
      { key: 'avg_amount', label: 'Avg of Amount', type: 'DECIMAL' },
      { key: 'max_closingDate', label: 'Max of Closing date', type: 'DATE' },
    ]);
    expect(result.rows).toEqual([
      { stage: 'Qualification', closingDate_month: '2026-01-01', count: 2, sum_amount: '0.30', avg_amount: '0.15', max_closingDate: '2026-01-30' },
      { stage: 'Qualification', closingDate_month: '2026-02-01', count: 1, sum_amount: '5.00', avg_amount: '5.00', max_closingDate: '2026-02-14' },
      { stage: 'Needs Analysis', closingDate_month: '2026-01-01', count: 1, sum_amount: '1.01', avg_amount: '1.01', max_closingDate: '2026-01-10' },
    ]);
    expect(result.truncated).toBe(false);

    const buckets = async (bucket: string) => {
      const byBucket = await createReport(admin, { groupBy: [{ field: 'closingDate', bucket }], aggregates: [{ function: 'SUM', field: 'amount' }] });
      return (await run(admin, byBucket.id)).rows;
    };
    expect(await buckets('QUARTER')).toEqual([{ closingDate_quarter: '2026-01-01', sum_amount: '6.31' }]);
    expect(await buckets('YEAR')).toEqual([{ closingDate_year: '2026-01-01', sum_amount: '6.31' }]);
    // 2026-01-03 is a Saturday: its week starts on Monday 2025-12-29.
    expect((await buckets('WEEK'))[0]).toEqual({ closingDate_week: '2025-12-29', sum_amount: '0.10' });
    expect(await buckets('DAY')).toHaveLength(4);
  });

  it('cuts date buckets of timestamps in the report time zone', async () => {
    const { admin } = await newOrg();
    await createActivity(admin.client, { type: 'TASK', dueAt: '2026-03-31T23:30:00.000Z' });
    const input = { module: 'ACTIVITIES', groupBy: [{ field: 'dueAt', bucket: 'MONTH' }], aggregates: [{ function: 'COUNT' }] };
    const utc = await createReport(admin, input);
    const paris = await createReport(admin, { ...input, timeZone: 'Europe/Paris' });
    expect((await run(admin, utc.id)).rows).toEqual([{ dueAt_month: '2026-03-01', count: 1 }]);
    expect((await run(admin, paris.id)).rows).toEqual([{ dueAt_month: '2026-04-01', count: 1 }]);
    expect((await run(admin, utc.id, { timeZone: 'Asia/Tokyo' })).rows).toEqual([{ dueAt_month: '2026-04-01', count: 1 }]);
  });

  it('filters with every operator of the criteria language', async () => {
    const { admin, pipeline } = await newOrg();
    const stage = stageNamed(pipeline, 'Qualification');
    await createDeal(admin.client, { name: 'Alpha corp renewal', amount: '10.00', stageId: stage.id, closingDate: '2026-01-01', leadSource: 'Web' });
    await createDeal(admin.client, { name: 'Beta expansion', amount: '20.00', stageId: stage.id, closingDate: '2026-02-01', leadSource: 'Partner' });
    await createDeal(admin.client, { name: 'Gamma pilot', amount: '30.00', stageId: stage.id, leadSource: null });
    const report = await createReport(admin, { columns: ['name', 'amount'], orderBy: [{ column: 'amount' }] });
    const names = async (filters: Record<string, unknown>[]) => (await run(admin, report.id, { filters })).rows.map((row) => row['name']);
    expect(await names([{ field: 'amount', operator: 'EQUALS', value: '20.00' }])).toEqual(['Beta expansion']);
    expect(await names([{ field: 'leadSource', operator: 'NOT_EQUALS', value: 'Web' }])).toEqual(['Beta expansion', 'Gamma pilot']);
    expect(await names([{ field: 'name', operator: 'CONTAINS', value: 'CORP' }])).toEqual(['Alpha corp renewal']);
    expect(await names([{ field: 'leadSource', operator: 'IN', values: ['Web', 'Partner'] }])).toEqual(['Alpha corp renewal', 'Beta expansion']);
    expect(await names([{ field: 'leadSource', operator: 'NOT_IN', values: ['Web'] }])).toEqual(['Beta expansion', 'Gamma pilot']);
    expect(await names([{ field: 'amount', operator: 'GREATER_THAN', value: 15 }])).toEqual(['Beta expansion', 'Gamma pilot']);
    expect(await names([{ field: 'amount', operator: 'LESS_THAN', value: '15' }])).toEqual(['Alpha corp renewal']);
    expect(await names([{ field: 'closingDate', operator: 'BETWEEN', values: ['2026-01-15', '2026-02-15'] }])).toEqual(['Beta expansion']);
    expect(await names([{ field: 'closingDate', operator: 'IS_EMPTY' }])).toEqual(['Gamma pilot']);
    expect(await names([{ field: 'leadSource', operator: 'IS_NOT_EMPTY' }, { field: 'amount', operator: 'GREATER_THAN', value: '10' }])).toEqual(['Beta expansion']);
    // A value made to look like SQL is only ever a parameter.
    expect(await names([{ field: 'name', operator: 'EQUALS', value: "x' or '1'='1" }])).toEqual([]);
  });

  it('refuses unknown fields, wrong types and bad operators with BAD_USER_INPUT', async () => {
    const { admin } = await newOrg();
    const unknown = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', groupBy: [{ field: 'organizationId' }] } });
    expect(unknown.extensions?.['field']).toBe('groupBy[0].field');
    const filter = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', filters: [{ field: 'password_hash', operator: 'EQUALS', value: 1 }] } });
    expect(filter.extensions?.['field']).toBe('filters[0].field');
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', aggregates: [{ function: 'SUM', field: 'name' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', groupBy: [{ field: 'name', bucket: 'MONTH' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', groupBy: [{ field: 'stage' }, { field: 'owner' }, { field: 'currency' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', filters: [{ field: 'amount', operator: 'CONTAINS', value: '1' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', filters: [{ field: 'amount', operator: 'EQUALS', value: 'ten' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', filters: [{ field: 'closingDate', operator: 'BETWEEN', values: ['2026-01-01'] }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', filters: [{ field: 'ownerId', operator: 'EQUALS', value: 'not-a-uuid' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', orderBy: [{ column: 'nope' }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', module: 'DEALS', timeZone: 'Mars/Olympus' } });
    const saved = await createReport(admin, { columns: ['name'] });
    await admin.client.fails('BAD_USER_INPUT', RUN, { id: saved.id, overrides: { filters: [{ field: 'nope', operator: 'IS_EMPTY' }] } });
    const { reportFields } = await admin.client.ok(`{ reportFields(module: DEALS) { apiName type } }`);
    expect(reportFields).toEqual(expect.arrayContaining([{ apiName: 'amount', type: 'DECIMAL' }, { apiName: 'closingDate', type: 'DATE' }]));
  });

  it('keeps private reports to their owner, shares shared ones, and hides other organisations', async () => {
    const { admin } = await newOrg();
    const rep = await inviteMember(admin);
    const privateReport = await createReport(admin, { name: 'Mine', columns: ['name'] });
    const shared = await createReport(admin, { name: 'Ours', columns: ['name'], visibility: 'SHARED' });
    const listed = await rep.client.ok(`{ reports { id name } }`);
    expect(listed.reports).toEqual([{ id: shared.id, name: 'Ours' }]);
    await rep.client.fails('NOT_FOUND', RUN, { id: privateReport.id });
    await run(rep, shared.id);
    await rep.client.fails('FORBIDDEN', `mutation { deleteReport(id: "${shared.id}") }`);
    // A profile with the REPORTS setting manages everyone's reports.
    const manages = await createProfile(admin, { modules: modulesExcept('DEALS', []), settings: ['REPORTS'] });
    const analyst = await inviteInto(admin, { profileId: manages });
    const spare = await createReport(admin, { name: 'Spare', columns: ['name'], visibility: 'SHARED' });
    await analyst.client.ok(`mutation { deleteReport(id: "${spare.id}") }`);
    const other = await newOrg();
    await other.admin.client.fails('NOT_FOUND', RUN, { id: shared.id });

    const UPDATE = `mutation($input: UpdateReportInput!) { updateReport(input: $input) { name version columns } }`;
    const updated = await admin.client.ok(UPDATE, { input: { id: shared.id, expectedVersion: 1, name: 'Ours, renamed', columns: ['name', 'amount'] } });
    expect(updated.updateReport).toEqual({ name: 'Ours, renamed', version: 2, columns: ['name', 'amount'] });
    await admin.client.fails('CONFLICT', UPDATE, { input: { id: shared.id, expectedVersion: 1, name: 'stale' } });
    expect(await admin.client.ok(`mutation { deleteReport(id: "${shared.id}") }`)).toEqual({ deleteReport: true });
    await admin.client.fails('NOT_FOUND', RUN, { id: shared.id });
  });
});

describe('CSV download', () => {
  const download = (path: string, token: string | null) => fetch(`${pulse.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('needs the Bearer token, hides other organisations and escapes cells against formulas', async () => {
    const { admin, pipeline } = await newOrg();
    const stage = stageNamed(pipeline, 'Qualification');
    await createDeal(admin.client, { name: '=HYPERLINK("http://evil")', amount: '12.50', stageId: stage.id });
    await createDeal(admin.client, { name: '-2+3+cmd', amount: '0.05', stageId: stage.id });
    await createDeal(admin.client, { name: 'Smith, "Jr"\nsecond line', amount: '0.30', stageId: stage.id });
    await createDeal(admin.client, { name: '@SUM(A1)', amount: '1.00', stageId: stage.id });
    const report = await createReport(admin, { name: 'Export me', columns: ['name', 'amount'], orderBy: [{ column: 'amount', direction: 'DESC' }] });

    expect((await download(`/export/reports/${report.id}.csv`, null)).status).toBe(401);
    expect((await download(`/export/reports/${report.id}.csv`, 'not-a-token')).status).toBe(401);
    const other = await newOrg();
    expect((await download(`/export/reports/${report.id}.csv`, other.admin.token)).status).toBe(404);

    const response = await download(`/export/reports/${report.id}.csv`, admin.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toContain('Export_me.csv');
    expect(await response.text()).toBe(
      'Deal name,Amount\r\n' + `"'=HYPERLINK(""http://evil"")",12.50\r\n` + `'@SUM(A1),1.00\r\n` + `"Smith, ""Jr""\nsecond line",0.30\r\n` + `'-2+3+cmd,0.05\r\n`,
    );

    const analytic = await download(`/export/analytics/pipeline-by-stage.csv?pipelineId=${pipeline.id}`, admin.token);
    const lines = (await analytic.text()).trim().split('\r\n');
    expect(lines[0]).toBe('Stage id,Stage,Kind,Deals,Total amount,Weighted amount,Probability');
    // Weighted: 1.25 + 0.10 + 0.03 + 0.01 (0.005 rounded half up).
    expect(lines[1]).toBe(`${stage.id},Qualification,OPEN,4,13.85,1.39,10`);
    expect((await download('/export/analytics/no-such-thing.csv', admin.token)).status).toBe(404);
    const bad = await download('/export/analytics/pipeline-by-stage.csv?from=yesterday', admin.token);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  // 100,000 rows on PostgreSQL; fewer on the embedded database, whose inserts are far slower.
  const bulk = usesPostgres ? 100_000 : 30_000;

  it(`streams a ${bulk}-row report in cursor batches`, async () => {
    const { admin, pipeline } = await newOrg();
    const stage = stageNamed(pipeline, 'Qualification');
    await pulse.testDatabase.database.db.execute(sql`
      insert into deals (organization_id, id, owner_id, created_by_id, name, amount, currency, pipeline_id, stage_id, probability)
      select ${admin.organizationId}::uuid, gen_random_uuid(), ${admin.userId}::uuid, ${admin.userId}::uuid, 'Bulk ' || g, (g % 1000) + 0.01, 'USD',
        ${pipeline.id}::uuid, ${stage.id}::uuid, 10
      from generate_series(1, ${bulk}::int) g`);
    // The embedded database ran that in this process, blocking its event loop: let the server's
    // overdue keep-alive timers close idle sockets before the client reuses one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await createReport(admin, { columns: ['name', 'amount'] });
    let lines = 0;
    let total = 0n;
    const { statements } = await pulse.countStatements(async () => {
      const response = await download(`/export/reports/${report.id}.csv`, admin.token);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (rest + decoder.decode(value, { stream: true })).split('\r\n');
        rest = parts.pop() ?? '';
        for (const line of parts) {
          lines += 1;
          if (lines > 1) total += BigInt(line.split(',')[1]!.replace('.', ''));
        }
      }
    });
    expect(lines).toBe(bulk + 1);
    // Sum of (g % 1000) + 0.01 for g = 1..bulk (a multiple of 1000), in cents.
    expect(total).toBe(BigInt((bulk / 1000) * 499_500 * 100 + bulk));
    expect(statements.filter((statement) => statement.startsWith('fetch 1000')).length).toBeGreaterThanOrEqual(bulk / 1000);
    // The GraphQL run is capped and says so.
    const capped = await run(admin, report.id);
    expect(capped.rows).toHaveLength(10_000);
    expect(capped.truncated).toBe(true);
  }, 120_000);
});

describe('scheduled reports', () => {
  const SCHEDULE = `mutation($input: CreateReportScheduleInput!) { createReportSchedule(input: $input) { id cron timeZone recipients format nextRunAt } }`;
  const DELIVERIES = `query($id: ID) { reportDeliveries(scheduleId: $id) { occurrence status recipients rowCount error } }`;

  it('delivers each occurrence once by email, across retries and processes, and queues the next', async () => {
    const { admin, pipeline } = await newOrg();
    await createDeal(admin.client, { name: 'Scheduled deal', amount: '0.10', stageId: stageNamed(pipeline, 'Qualification').id });
    const report = await createReport(admin, { name: 'Daily deals', columns: ['name', 'amount'] });
    await admin.client.ok(`mutation { updateModuleLabels(input: { module: DEALS, singular: "Property", plural: "Properties" }) { label } }`);
    const recipient = `boss-${report.id.slice(0, 8)}@example.com`;
    const { createReportSchedule: schedule } = await admin.client.ok(SCHEDULE, {
      input: { reportId: report.id, cron: '0 8 * * *', timeZone: 'Europe/Paris', recipients: [recipient.toUpperCase()], format: 'CSV' },
    });
    expect(schedule).toMatchObject({ cron: '0 8 * * *', timeZone: 'Europe/Paris', recipients: [recipient], format: 'CSV' });
    const first = new Date(schedule.nextRunAt);
    expect(first.getTime()).toBeGreaterThan(Date.now());
    expect(first.toLocaleTimeString('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })).toBe('08:00');

    const jobs = pulse.server.deps.jobs;
    expect(await jobs.runDue(SCHEDULED_REPORT_JOB)).toBe(0);
    await jobs.advanceTime(first.getTime() - Date.now() + 1000);

    // A second process with the same job definitions, sharing the database; the same occurrence
    // sent twice (e.g. re-queued after a crash) must still be delivered once.
    const other = new JobQueue(pulse.testDatabase.database, createLogger('silent'), { work: false, pollIntervalMs: 500 });
    defineJobs(other, { forOrganization: (id) => pulse.testDatabase.database.forOrganization(id), config: pulse.config, logger: createLogger('silent') });
    await other.start();
    try {
      await other.send(SCHEDULED_REPORT_JOB, { organizationId: admin.organizationId, scheduleId: schedule.id, version: 1, occurrence: first.toISOString() });
      const ran = (await Promise.all([jobs.runDue(SCHEDULED_REPORT_JOB), other.runDue(SCHEDULED_REPORT_JOB)])).reduce((a, b) => a + b, 0);
      expect(ran).toBe(2);
      expect(await jobs.runDue(SCHEDULED_REPORT_JOB)).toBe(0);
    } finally {
      await other.stop();
    }

    const mails = received.filter((mail) => mail.to.includes(recipient));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toContain('Daily deals');
    expect(mails[0]!.raw).toContain('Daily_deals.csv');
    // The email names the module as the organisation calls it.
    expect(mails[0]!.raw).toContain('Daily deals, a report on Properties: 1 rows, attached as CSV.');
    const { reportDeliveries } = await admin.client.ok(DELIVERIES, { id: schedule.id });
    expect(reportDeliveries).toEqual([{ occurrence: first.toISOString(), status: 'SENT', recipients: [recipient], rowCount: 1, error: null }]);

    // The run queued the next occurrence, a day later.
    const { report: saved } = await admin.client.ok(`query($id: ID!) { report(id: $id) { schedules { nextRunAt } } }`, { id: report.id });
    const next = new Date(saved.schedules[0].nextRunAt);
    expect(next.getTime() - first.getTime()).toBe(24 * 3600 * 1000);
    // Queued jobs hold absolute times: move the next one from now to its time.
    await jobs.advanceTime(next.getTime() - Date.now() + 1000);
    expect(await jobs.runDue(SCHEDULED_REPORT_JOB)).toBe(1);
    expect(received.filter((mail) => mail.to.includes(recipient))).toHaveLength(2);
    const after = await admin.client.ok(DELIVERIES, { id: schedule.id });
    expect(after.reportDeliveries.map((d: { occurrence: string }) => d.occurrence)).toEqual([next.toISOString(), first.toISOString()]);

    // A deleted schedule's queued run does nothing.
    await admin.client.ok(`mutation { deleteReportSchedule(id: "${schedule.id}") }`);
    await jobs.advanceTime(2 * 24 * 3600 * 1000 + next.getTime() - Date.now());
    expect(await jobs.runDue(SCHEDULED_REPORT_JOB)).toBe(1);
    expect(received.filter((mail) => mail.to.includes(recipient))).toHaveLength(2);
  }, 60_000);

  it('sends an inline HTML table and refuses bad schedules', async () => {
    const { admin } = await newOrg();
    const report = await createReport(admin, { name: 'By stage', groupBy: [{ field: 'stage' }], aggregates: [{ function: 'COUNT' }] });
    await admin.client.fails('BAD_USER_INPUT', SCHEDULE, { input: { reportId: report.id, cron: 'every day', recipients: ['a@example.com'] } });
    await admin.client.fails('BAD_USER_INPUT', SCHEDULE, { input: { reportId: report.id, cron: '0 8 * * *', recipients: ['not-an-email'] } });
    await admin.client.fails('BAD_USER_INPUT', SCHEDULE, { input: { reportId: report.id, cron: '0 8 * * *', recipients: [] } });
    await admin.client.fails('BAD_USER_INPUT', SCHEDULE, { input: { cron: '0 8 * * *', recipients: ['a@example.com'] } });
    const recipient = `html-${report.id.slice(0, 8)}@example.com`;
    const { createReportSchedule: schedule } = await admin.client.ok(SCHEDULE, { input: { reportId: report.id, cron: '*/5 * * * *', recipients: [recipient], format: 'HTML' } });
    await pulse.server.deps.jobs.advanceTime(new Date(schedule.nextRunAt).getTime() - Date.now() + 1000);
    await pulse.server.deps.jobs.runDue(SCHEDULED_REPORT_JOB);
    const mail = received.find((m) => m.to.includes(recipient));
    expect(mail?.raw).toContain('<table');
    const other = await newOrg();
    await other.admin.client.fails('NOT_FOUND', SCHEDULE, { input: { reportId: report.id, cron: '0 8 * * *', recipients: ['a@example.com'] } });
  });
});
