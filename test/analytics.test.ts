import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed, type PipelineRef } from './factories/pipelines.factory.js';
import { createActivity, createDeal, createLead } from './factories/records.factory.js';
import { createProfile, createRole, inviteInto, modulesExcept, setSharing, topRoleId } from './factories/access.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

interface Org {
  readonly admin: SignedInUser;
  readonly pipeline: PipelineRef;
}

async function newOrg(): Promise<Org> {
  const admin = await signUpOrganization(server().client);
  return { admin, pipeline: await defaultPipeline(admin.client) };
}

const PIPELINE = `query($params: AnalyticsParams) { pipelineByStage(params: $params) { stageName stageKind probability count totalAmount weightedAmount } }`;

const stageRow = (rows: { stageName: string }[], name: string) => rows.find((row) => row.stageName === name);

describe('pipeline by stage', () => {
  it("keeps a rep's numbers to what the rep may read when deals are PRIVATE, and hides a field the profile hides", async () => {
    const { admin, pipeline } = await newOrg();
    const qualification = stageNamed(pipeline, 'Qualification');
    const rep = await inviteInto(admin, { roleId: await createRole(admin, 'Rep', await topRoleId(admin)) });
    await createDeal(admin.client, { amount: '100.00', stageId: qualification.id });
    await createDeal(rep.client, { amount: '7.00', stageId: qualification.id });
    await setSharing(admin, 'DEALS', 'PRIVATE');
    expect(stageRow((await rep.client.ok(PIPELINE)).pipelineByStage, 'Qualification')).toMatchObject({ count: 1, totalAmount: '7.00' });
    expect(stageRow((await admin.client.ok(PIPELINE)).pipelineByStage, 'Qualification')).toMatchObject({ count: 2, totalAmount: '107.00' });

    const hidesAmount = await createProfile(admin, { modules: modulesExcept('DEALS', []), fieldAccess: [{ module: 'DEALS', field: 'amount', access: 'HIDDEN' }] });
    const masked = await inviteInto(admin, { profileId: hidesAmount });
    await masked.client.fails('BAD_USER_INPUT', `mutation($input: CreateReportInput!) { createReport(input: $input) { id } }`, {
      input: { name: 'Amounts', module: 'DEALS', groupBy: [{ field: 'stage' }], aggregates: [{ function: 'SUM', field: 'amount' }] },
    });
  });

  it('sums amounts exactly per stage and counts only what the caller may read', async () => {
    const { admin, pipeline } = await newOrg();
    const qualification = stageNamed(pipeline, 'Qualification');
    const negotiation = stageNamed(pipeline, 'Negotiation/Review');
    await createDeal(admin.client, { amount: '0.10', stageId: qualification.id });
    await createDeal(admin.client, { amount: '0.20', stageId: qualification.id });
    await createDeal(admin.client, { amount: '1000.05', stageId: negotiation.id });
    // Another organisation's deals in stages of the same names never count.
    const other = await newOrg();
    await createDeal(other.admin.client, { amount: '999.99', stageId: stageNamed(other.pipeline, 'Qualification').id });

    const { pipelineByStage } = await admin.client.ok(PIPELINE);
    expect(pipelineByStage).toHaveLength(8);
    expect(stageRow(pipelineByStage, 'Qualification')).toEqual({ stageName: 'Qualification', stageKind: 'OPEN', probability: 10, count: 2, totalAmount: '0.30', weightedAmount: '0.03' });
    // 1000.05 x 90% = 900.045, rounded half away from zero in numeric.
    expect(stageRow(pipelineByStage, 'Negotiation/Review')).toMatchObject({ count: 1, totalAmount: '1000.05', weightedAmount: '900.05' });
    expect(stageRow(pipelineByStage, 'Closed Won')).toMatchObject({ count: 0, totalAmount: '0.00' });

    const theirs = await other.admin.client.ok(PIPELINE);
    expect(stageRow(theirs.pipelineByStage, 'Qualification')).toMatchObject({ count: 1, totalAmount: '999.99' });
  });

  it('filters by owner and closing dates, and refuses a pipeline of another organisation', async () => {
    const { admin, pipeline } = await newOrg();
    const rep = await inviteMember(admin);
    const stage = stageNamed(pipeline, 'Needs Analysis');
    await createDeal(admin.client, { amount: '10.00', stageId: stage.id, closingDate: '2026-03-10' });
    await createDeal(admin.client, { amount: '20.00', stageId: stage.id, closingDate: '2026-04-10', ownerId: rep.userId });
    const byOwner = await admin.client.ok(PIPELINE, { params: { ownerIds: [rep.userId] } });
    expect(stageRow(byOwner.pipelineByStage, 'Needs Analysis')).toMatchObject({ count: 1, totalAmount: '20.00' });
    const byDate = await admin.client.ok(PIPELINE, { params: { pipelineId: pipeline.id, from: '2026-03-01', to: '2026-03-31' } });
    expect(stageRow(byDate.pipelineByStage, 'Needs Analysis')).toMatchObject({ count: 1, totalAmount: '10.00' });
    const other = await newOrg();
    const foreign = await other.admin.client.ok(PIPELINE, { params: { pipelineId: pipeline.id } });
    expect(foreign.pipelineByStage).toEqual([]);
    await admin.client.fails('BAD_USER_INPUT', PIPELINE, { params: { from: '2026-05-01', to: '2026-04-01' } });
  });
});

describe('sales forecast and quotas', () => {
  const FORECAST = `query($params: AnalyticsParams) { salesForecast(params: $params) {
    periodStart ownerId owner { id } expected committed bestCase closedWon quota attainment } }`;

  it('computes expected, committed, best case and won per owner and in total, with quota attainment', async () => {
    const { admin, pipeline } = await newOrg();
    const rep = await inviteMember(admin);
    const qualification = stageNamed(pipeline, 'Qualification'); // 10%
    const negotiation = stageNamed(pipeline, 'Negotiation/Review'); // 90%
    const won = stageNamed(pipeline, 'Closed Won');
    await createDeal(admin.client, { amount: '100.10', stageId: qualification.id, closingDate: '2026-01-05' });
    await createDeal(admin.client, { amount: '200.20', stageId: negotiation.id, closingDate: '2026-01-20' });
    const closed = await createDeal(admin.client, { amount: '0.10', stageId: qualification.id, closingDate: '2026-01-31' });
    await admin.client.ok(MOVE, { input: { id: closed.id, expectedVersion: closed.version, stageId: won.id } });
    await createDeal(admin.client, { amount: '0.20', stageId: won.id, closingDate: '2026-02-01', ownerId: rep.userId });

    await admin.client.ok(`mutation($input: SetQuotaInput!) { setQuota(input: $input) { periodStart amount } }`, {
      input: { userId: admin.userId, period: 'MONTH', periodStart: '2026-01-17', amount: '1.00' },
    });
    const { salesForecast } = await admin.client.ok(FORECAST, { params: { from: '2026-01-01', to: '2026-03-31' } });
    const january = salesForecast.filter((row: { periodStart: string }) => row.periodStart === '2026-01-01');
    // Per owner first, then the total (ownerId null).
    expect(january).toEqual([
      {
        periodStart: '2026-01-01',
        ownerId: admin.userId,
        owner: { id: admin.userId },
        // 10.01 + 180.18 + 0.10
        expected: '190.29',
        committed: '200.30',
        bestCase: '300.40',
        closedWon: '0.10',
        quota: '1.00',
        attainment: '10.00',
      },
      { periodStart: '2026-01-01', ownerId: null, owner: null, expected: '190.29', committed: '200.30', bestCase: '300.40', closedWon: '0.10', quota: '1.00', attainment: '10.00' },
    ]);
    const februaryTotal = salesForecast.find((row: { periodStart: string; ownerId: string | null }) => row.periodStart === '2026-02-01' && row.ownerId === null);
    expect(februaryTotal).toMatchObject({ closedWon: '0.20', quota: null, attainment: null });

    // A higher commit threshold leaves the 90% deal out of committed.
    await admin.client.ok(`mutation { updateForecastSettings(input: {commitProbability: 95}) { commitProbability } }`);
    const raised = await admin.client.ok(FORECAST, { params: { from: '2026-01-01', to: '2026-01-31', ownerIds: [admin.userId] } });
    expect(raised.salesForecast.map((row: { committed: string }) => row.committed)).toEqual(['0.10', '0.10']);

    const quarterly = await admin.client.ok(FORECAST, { params: { period: 'QUARTER', from: '2026-01-01', to: '2026-03-31' } });
    expect(quarterly.salesForecast.find((row: { ownerId: string | null }) => row.ownerId === null)).toMatchObject({ periodStart: '2026-01-01', closedWon: '0.30' });

    const { quotas } = await admin.client.ok(`{ quotas { userId period periodStart amount user { id } } }`);
    expect(quotas).toEqual([{ userId: admin.userId, period: 'MONTH', periodStart: '2026-01-01', amount: '1.00', user: { id: admin.userId } }]);
    await rep.client.fails('FORBIDDEN', `mutation { setQuota(input: {userId: "${rep.userId}", period: MONTH, periodStart: "2026-01-01", amount: "5.00"}) { amount } }`);
  });
});

describe('quotas', () => {
  it('are set by profiles with the REPORTS setting (Administrators have it), whatever the role', async () => {
    const { admin } = await newOrg();
    const SET = `mutation($input: SetQuotaInput!) { setQuota(input: $input) { userId amount } }`;
    const manager = await inviteMember(admin, 'MANAGER');
    const analyst = await inviteInto(admin, { profileId: await createProfile(admin, { modules: modulesExcept('DEALS', []), settings: ['REPORTS'] }) });
    const input = (amount: string) => ({ userId: manager.userId, period: 'MONTH', periodStart: '2026-03-01', amount });
    // A manager with the Standard profile: the title grants nothing.
    const refused = await manager.client.fails('FORBIDDEN', SET, { input: input('5.00') });
    expect(refused.message).toBe('Only users whose profile manages reports set quotas');
    // A sales rep by title whose profile manages reports may.
    expect((await analyst.client.ok(SET, { input: input('6.00') })).setQuota).toEqual({ userId: manager.userId, amount: '6.00' });
    expect((await admin.client.ok(SET, { input: input('7.00') })).setQuota.amount).toBe('7.00');
  });
});

describe('leads, deals, activities, signals and engagement', () => {
  it('counts leads by source and status and their conversion rate', async () => {
    const { admin } = await newOrg();
    const web = [await createLead(admin.client, { leadSource: 'Web' }), await createLead(admin.client, { leadSource: 'Web' }), await createLead(admin.client, { leadSource: 'Web' })];
    await createLead(admin.client, { leadSource: 'Partner', status: 'Contacted' });
    await admin.client.ok(`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { contact { id } } }`, { input: { id: web[0]?.id } });
    const data = await admin.client.ok(`{
      leadsBySource { key count }
      leadsByStatus { key count }
      bySource: leadConversion(params: {groupBy: SOURCE}) { key leads converted conversionRate }
      byOwner: leadConversion(params: {groupBy: OWNER}) { key leads converted conversionRate }
    }`);
    expect(data.leadsBySource).toEqual([{ key: 'Web', count: 3 }, { key: 'Partner', count: 1 }]);
    expect(data.leadsByStatus).toEqual(expect.arrayContaining([{ key: 'Converted', count: 1 }, { key: 'Contacted', count: 1 }, { key: 'Not Contacted', count: 2 }]));
    expect(data.bySource).toEqual([
      { key: 'Web', leads: 3, converted: 1, conversionRate: '33.33' },
      { key: 'Partner', leads: 1, converted: 0, conversionRate: '0.00' },
    ]);
    expect(data.byOwner).toEqual([{ key: admin.userId, leads: 4, converted: 1, conversionRate: '25.00' }]);
  });

  it('gives win rate, average deal size, sales cycle, time in stage, slipping deals and deals closing this month', async () => {
    const { admin, pipeline } = await newOrg();
    const qualification = stageNamed(pipeline, 'Qualification');
    const needs = stageNamed(pipeline, 'Needs Analysis');
    const won = stageNamed(pipeline, 'Closed Won');
    const lost = stageNamed(pipeline, 'Closed Lost');
    const a = await createDeal(admin.client, { amount: '0.10', stageId: qualification.id });
    const b = await createDeal(admin.client, { amount: '0.25', stageId: qualification.id });
    const c = await createDeal(admin.client, { amount: '7.00', stageId: qualification.id });
    const moved = await admin.client.ok(MOVE, { input: { id: a.id, expectedVersion: a.version, stageId: needs.id } });
    await admin.client.ok(MOVE, { input: { id: a.id, expectedVersion: moved.moveDeal.version, stageId: won.id } });
    await admin.client.ok(MOVE, { input: { id: b.id, expectedVersion: b.version, stageId: won.id } });
    await admin.client.ok(MOVE, { input: { id: c.id, expectedVersion: c.version, stageId: lost.id } });
    const today = new Date().toISOString().slice(0, 10);
    const slipping = await createDeal(admin.client, { amount: '5.00', stageId: needs.id, closingDate: '2020-01-15' });
    const thisMonth = await createDeal(admin.client, { amount: '6.00', stageId: needs.id, closingDate: today });

    const data = await admin.client.ok(`{
      dealMetrics { won lost winRate wonAmount averageDealSize averageSalesCycleDays }
      timeInStage { stageName transitions averageDays }
      slippingDeals { dealId name amount closingDate daysOverdue deal { id } }
      dealsClosingThisMonth { dealId amount }
    }`);
    expect(data.dealMetrics).toMatchObject({ won: 2, lost: 1, winRate: '66.67', wonAmount: '0.35', averageDealSize: '0.18' });
    expect(Number(data.dealMetrics.averageSalesCycleDays)).toBeLessThan(1);
    expect(data.timeInStage).toEqual([
      { stageName: 'Qualification', transitions: 3, averageDays: expect.any(String) },
      { stageName: 'Needs Analysis', transitions: 1, averageDays: expect.any(String) },
    ]);
    expect(data.slippingDeals).toHaveLength(1);
    expect(data.slippingDeals[0]).toMatchObject({ dealId: slipping.id, amount: '5.00', closingDate: '2020-01-15', deal: { id: slipping.id } });
    expect(data.slippingDeals[0].daysOverdue).toBeGreaterThan(365);
    expect(data.dealsClosingThisMonth).toEqual([{ dealId: thisMonth.id, amount: '6.00' }]);
  });

  it('counts activities by owner and type, overdue tasks, signals by day and kind, and engagement colours', async () => {
    const { admin } = await newOrg();
    const rep = await inviteMember(admin);
    await createActivity(admin.client, { type: 'TASK', dueAt: '2020-01-01T09:00:00.000Z' });
    await createActivity(admin.client, { type: 'TASK', status: 'COMPLETED', dueAt: '2020-01-01T09:00:00.000Z' });
    await createActivity(rep.client, { type: 'CALL' });
    const hot = await createLead(admin.client);
    await createLead(admin.client);
    await admin.client.ok(`mutation { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: "${hot.id}", occurredAt: "2026-02-03T10:00:00.000Z"}) { id } }`);
    await admin.client.ok(`mutation { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: "${hot.id}"}) { id } }`);

    const data = await admin.client.ok(`{
      activitiesByOwner { ownerId owner { id } type count completed }
      overdueTasks { ownerId count oldestDueAt }
      signalCounts(params: {from: "2026-02-01", to: "2026-02-28"}) { day kind count }
      engagementDistribution { level count }
      contacts: engagementDistribution(params: {module: CONTACTS}) { level count }
    }`);
    expect(data.activitiesByOwner).toEqual(
      expect.arrayContaining([
        { ownerId: admin.userId, owner: { id: admin.userId }, type: 'TASK', count: 2, completed: 1 },
        { ownerId: rep.userId, owner: { id: rep.userId }, type: 'CALL', count: 1, completed: 0 },
      ]),
    );
    expect(data.activitiesByOwner).toHaveLength(2);
    expect(data.overdueTasks).toEqual([{ ownerId: admin.userId, count: 1, oldestDueAt: '2020-01-01T09:00:00.000Z' }]);
    expect(data.signalCounts).toEqual([{ day: '2026-02-03', kind: 'WEBSITE_VISIT', count: 1 }]);
    expect(data.engagementDistribution).toEqual([
      { level: 'HOT', count: 1 },
      { level: 'WARM', count: 0 },
      { level: 'COOLING', count: 0 },
      { level: 'COLD', count: 1 },
    ]);
    expect(data.contacts.map((row: { count: number }) => row.count)).toEqual([0, 0, 0, 0]);

    // The generic form returns the same numbers with column metadata (dashboards and CSV use it).
    const generic = await admin.client.ok(`{ analytic(name: OVERDUE_TASKS) { columns { key type } rows } }`);
    expect(generic.analytic.columns).toEqual([
      { key: 'ownerId', type: 'ID' },
      { key: 'count', type: 'INTEGER' },
      { key: 'oldestDueAt', type: 'DATETIME' },
    ]);
    expect(generic.analytic.rows).toEqual([{ ownerId: admin.userId, count: 1, oldestDueAt: '2020-01-01T09:00:00.000Z' }]);
  });

  it('needs a token', async () => {
    await server().client.fails('UNAUTHENTICATED', PIPELINE);
  });
});
