import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_REPORT_JOB } from '../src/modules/reports/report-schedules.service.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline, stageNamed } from './factories/pipelines.factory.js';
import { createDeal, createLead } from './factories/records.factory.js';
import { SmtpSink } from './helpers/smtp-sink.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const sink = new SmtpSink();
const received = sink.received;
let pulse: TestServer;

beforeAll(async () => {
  const smtpUrl = await sink.start();
  pulse = await startTestServer({ SMTP_URL: smtpUrl, JOB_WORKERS: 'false' });
});

afterAll(async () => {
  await pulse.server.stop();
  await pulse.testDatabase.drop();
  await sink.close();
});

const CREATE = `mutation($input: CreateDashboardInput!) { createDashboard(input: $input) { id name version components { id title chart reportId builtIn { analytic params } } } }`;
const DASHBOARD = `query($id: ID!) { dashboard(id: $id) { name components { title chart data { columns { key type } rows truncated } } } }`;

async function createReport(user: SignedInUser, input: Record<string, unknown>): Promise<string> {
  const data = await user.client.ok(`mutation($input: CreateReportInput!) { createReport(input: $input) { id } }`, { input: { name: 'R', module: 'DEALS', ...input } });
  return data.createReport.id;
}

async function seeded(): Promise<{ admin: SignedInUser; byStage: string; byOwner: string; dashboardId: string }> {
  const admin = await signUpOrganization(pulse.client);
  const pipeline = await defaultPipeline(admin.client);
  await createDeal(admin.client, { amount: '0.10', stageId: stageNamed(pipeline, 'Qualification').id });
  await createDeal(admin.client, { amount: '0.20', stageId: stageNamed(pipeline, 'Needs Analysis').id });
  await createLead(admin.client, { leadSource: 'Web' });
  await createLead(admin.client, { leadSource: 'Partner' });
  const byStage = await createReport(admin, { groupBy: [{ field: 'stage' }], aggregates: [{ function: 'SUM', field: 'amount' }] });
  const byOwner = await createReport(admin, { groupBy: [{ field: 'owner' }], aggregates: [{ function: 'COUNT' }] });
  const pipelineParams = { pipelineId: pipeline.id };
  const { createDashboard } = await admin.client.ok(CREATE, {
    input: {
      name: 'Sales <weekly>',
      components: [
        { title: 'Funnel', chart: 'FUNNEL', builtIn: { analytic: 'PIPELINE_BY_STAGE', params: pipelineParams } },
        { title: 'Pipeline bars', chart: 'BAR', builtIn: { analytic: 'PIPELINE_BY_STAGE', params: pipelineParams } },
        { title: 'Pipeline table', chart: 'TABLE', builtIn: { analytic: 'PIPELINE_BY_STAGE', params: pipelineParams } },
        { title: 'Lead sources', chart: 'PIE', builtIn: { analytic: 'LEADS_BY_SOURCE' } },
        { title: 'Amount by stage', chart: 'BAR', reportId: byStage },
        { title: 'Amount by stage, again', chart: 'LINE', reportId: byStage },
        { title: 'Deals per owner', chart: 'KPI', reportId: byOwner },
      ],
    },
  });
  return { admin, byStage, byOwner, dashboardId: createDashboard.id };
}

describe('dashboards', () => {
  it('resolves every component in one request, sharing equal queries, with bounded statements', async () => {
    const { admin, dashboardId } = await seeded();
    let data: Record<string, any> = {};
    const { statements } = await pulse.countStatements(async () => {
      data = await admin.client.ok(DASHBOARD, { id: dashboardId });
    });
    const components = data['dashboard'].components;
    expect(components).toHaveLength(7);
    const funnel = components[0].data.rows;
    expect(funnel.find((row: { stageName: string }) => row.stageName === 'Qualification')).toMatchObject({ count: 1, totalAmount: '0.10' });
    expect(components[1].data).toEqual(components[0].data);
    expect(components[3].data.rows).toEqual([{ key: 'Partner', count: 1 }, { key: 'Web', count: 1 }]);
    expect(components[4].data.rows).toEqual([
      { stage: 'Needs Analysis', sum_amount: '0.20' },
      { stage: 'Qualification', sum_amount: '0.10' },
    ]);
    expect(components[6].data.rows).toEqual([{ owner: 'Ada Admin', count: 2 }]);
    // Authentication, the dashboard, its reports in one batch, and one statement per distinct
    // source (pipeline, lead sources, two reports): three equal pipeline tiles share one query.
    const pipelineQueries = statements.filter((s) => s.includes('from "stages" left join ('));
    expect(pipelineQueries).toHaveLength(1);
    expect(statements.filter((s) => s.includes('from "reports"'))).toHaveLength(1);
    expect(statements.length).toBeLessThanOrEqual(8);
  });

  it('lists, updates and deletes dashboards, and keeps them to who may see them', async () => {
    const { admin, byStage, dashboardId } = await seeded();
    const rep = await inviteMember(admin);
    expect((await rep.client.ok(`{ dashboards { id } }`)).dashboards).toEqual([]);
    await rep.client.fails('NOT_FOUND', DASHBOARD, { id: dashboardId });
    const UPDATE = `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { name version visibility components { title } } }`;
    const { updateDashboard } = await admin.client.ok(UPDATE, {
      input: { id: dashboardId, expectedVersion: 1, name: 'Renamed', visibility: 'SHARED', components: [{ title: 'Only one', chart: 'TABLE', reportId: byStage }] },
    });
    expect(updateDashboard).toEqual({ name: 'Renamed', version: 2, visibility: 'SHARED', components: [{ title: 'Only one' }] });
    expect((await rep.client.ok(`{ dashboards { id } }`)).dashboards).toEqual([{ id: dashboardId }]);
    await rep.client.fails('FORBIDDEN', `mutation { deleteDashboard(id: "${dashboardId}") }`);
    await admin.client.fails('CONFLICT', UPDATE, { input: { id: dashboardId, expectedVersion: 1, name: 'stale' } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', components: [{ title: 'both', chart: 'BAR', reportId: byStage, builtIn: { analytic: 'LEADS_BY_SOURCE' } }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'x', components: [{ title: 'bad', chart: 'BAR', builtIn: { analytic: 'SALES_FORECAST', params: { timeZone: 'Nowhere/Land' } } }] } });
    const other = await signUpOrganization(pulse.client);
    await other.client.fails('NOT_FOUND', CREATE, { input: { name: 'x', components: [{ title: 'theirs', chart: 'BAR', reportId: byStage }] } });
    await other.client.fails('NOT_FOUND', DASHBOARD, { id: dashboardId });
    expect(await admin.client.ok(`mutation { deleteDashboard(id: "${dashboardId}") }`)).toEqual({ deleteDashboard: true });
    await admin.client.fails('NOT_FOUND', DASHBOARD, { id: dashboardId });
  });

  it('names an unknown report in a component NOT_FOUND with the field, as every module reports an unknown reference', async () => {
    const { admin, byStage, dashboardId } = await seeded();
    const outsider = await signUpOrganization(pulse.client);
    const theirs = await createReport(outsider, { groupBy: [{ field: 'stage' }], aggregates: [{ function: 'COUNT' }] });
    const unknown = '00000000-0000-4000-8000-000000000000';
    // Another organisation's report is as unknown as one that never existed.
    for (const reportId of [unknown, theirs]) {
      const components = [
        { title: 'Mine', chart: 'BAR', reportId: byStage },
        { title: 'Lead sources', chart: 'PIE', builtIn: { analytic: 'LEADS_BY_SOURCE' } },
        { title: 'Unknown', chart: 'BAR', reportId },
      ];
      const error = await admin.client.fails('NOT_FOUND', CREATE, { input: { name: 'x', components } });
      expect(error.extensions?.['field']).toBe('components[2].reportId');
      expect(error.message).toBe('components[2].reportId: Report not found');
    }
    // The same on update.
    const update = await admin.client.fails('NOT_FOUND', `mutation($input: UpdateDashboardInput!) { updateDashboard(input: $input) { id } }`, {
      input: { id: dashboardId, expectedVersion: 1, components: [{ title: 'Theirs', chart: 'BAR', reportId: theirs }] },
    });
    expect(update.extensions?.['field']).toBe('components[0].reportId');
  });

  it('renders as SVG and PNG over HTTP with the Bearer token', async () => {
    const { admin, dashboardId } = await seeded();
    const get = (path: string, token: string | null) => fetch(`${pulse.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get(`/export/dashboards/${dashboardId}.png`, null)).status).toBe(401);
    const other = await signUpOrganization(pulse.client);
    expect((await get(`/export/dashboards/${dashboardId}.svg`, other.token)).status).toBe(404);

    const svg = await get(`/export/dashboards/${dashboardId}.svg`, admin.token);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    const text = await svg.text();
    expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text).toContain('Sales &lt;weekly&gt;');
    expect(text).toContain('Lead sources');
    expect(text).toContain('Qualification: 1<'); // the funnel draws deal counts
    expect(text).toContain('<path'); // the pie
    expect(text).toContain('<polyline'); // the line

    const png = await get(`/export/dashboards/${dashboardId}.png`, admin.token);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Width 1008 px in the IHDR chunk: two 480 px tiles and three 16 px gaps.
    expect(bytes.readUInt32BE(16)).toBe(1008);
  });

  it('emails a scheduled dashboard as a PNG', async () => {
    const { admin, dashboardId } = await seeded();
    const recipient = `dash-${dashboardId.slice(0, 8)}@example.com`;
    const { createReportSchedule } = await admin.client.ok(
      `mutation($input: CreateReportScheduleInput!) { createReportSchedule(input: $input) { id nextRunAt format } }`,
      { input: { dashboardId, cron: '30 7 * * MON', timeZone: 'America/New_York', recipients: [recipient] } },
    );
    expect(createReportSchedule.format).toBe('PNG');
    const jobs = pulse.server.deps.jobs;
    await jobs.advanceTime(new Date(createReportSchedule.nextRunAt).getTime() - Date.now() + 1000);
    expect(await jobs.runDue(SCHEDULED_REPORT_JOB)).toBe(1);
    const mail = received.find((m) => m.to.includes(recipient));
    expect(mail?.raw).toContain('Content-Type: image/png');
    expect(mail?.raw).toContain('cid:dashboard@pulse');
    const { reportDeliveries } = await admin.client.ok(`query($id: ID) { reportDeliveries(scheduleId: $id) { status } }`, { id: createReportSchedule.id });
    expect(reportDeliveries).toEqual([{ status: 'SENT' }]);
  });
});
