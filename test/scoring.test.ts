import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { createContact, createDeal, createLead } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

// Jobs run when the test says so (runDue), never on a worker's timer.
const server = useTestServer({ PUBLIC_URL: 'http://pulse.test', JOB_WORKERS: 'off' });

const CREATE_RULE = `mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id name module lastRun { id status processed total } } }`;
const SCORE = `query($id: ID!) { lead(id: $id) { score scoreBreakdown { score rules { ruleName points criteria { kind description points field signalKind count } } } scoreHistory { previousScore score reason } } }`;

async function createRule(admin: SignedInUser, input: Record<string, unknown>): Promise<{ id: string; lastRun: { id: string; status: string; processed: number; total: number } }> {
  const { createScoringRule } = await admin.client.ok(CREATE_RULE, { input: { module: 'LEADS', name: 'Rule', ...input } });
  await server().server.deps.jobs.runDue();
  return createScoringRule;
}

const leadScore = async (admin: SignedInUser, id: string) => (await admin.client.ok(SCORE, { id })).lead;

describe('lead scoring', () => {
  it("scores a new record on what its insert stores, the columns the database fills in included, with one history entry", async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin, { name: 'Recent', fieldScores: [{ field: 'createdAt', operator: 'GREATER_THAN', value: '2020-01-01T00:00:00.000Z', points: 7 }] });
    await createRule(admin, { name: 'Tagless', fieldScores: [{ field: 'tags', operator: 'IS_EMPTY', points: 2 }] });
    const lead = await createLead(admin.client);
    const scored = await leadScore(admin, lead.id);
    expect(scored.score).toBe(9);
    expect(scored.scoreHistory).toEqual([{ previousScore: 0, score: 9, reason: 'Record created' }]);
  });

  it('explains a score rule by rule and criterion by criterion, and records its history and timeline', async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin, {
      name: 'Decision makers',
      fieldScores: [
        { field: 'title', operator: 'CONTAINS', value: 'director', points: 20 },
        { field: 'annualRevenue', operator: 'GREATER_THAN', value: 1000000, points: 15 },
        { field: 'country', operator: 'NOT_IN', values: ['France', 'Germany'], points: -10 },
      ],
    });
    await createRule(admin, { name: 'Industry', fieldScores: [{ field: 'industry', operator: 'EQUALS', value: 'Technology', points: 5 }] });
    const lead = await createLead(admin.client, { title: 'Sales Director', annualRevenue: '2500000', address: { country: 'Spain' } });
    const scored = await leadScore(admin, lead.id);
    expect(scored.score).toBe(25);
    expect(scored.scoreBreakdown).toEqual({
      score: 25,
      rules: [
        {
          ruleName: 'Decision makers',
          points: 25,
          criteria: [
            { kind: 'FIELD', description: 'title contains "director"', points: 20, field: 'title', signalKind: null, count: null },
            { kind: 'FIELD', description: 'annualRevenue greater than 1000000', points: 15, field: 'annualRevenue', signalKind: null, count: null },
            { kind: 'FIELD', description: 'country not in ["France", "Germany"]', points: -10, field: 'country', signalKind: null, count: null },
          ],
        },
      ],
    });
    const { lead: current } = await admin.client.ok(`{ lead(id: "${lead.id}") { version } }`);
    await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, {
      input: { id: lead.id, expectedVersion: current.version, industry: 'Technology', address: { country: 'France' } },
    });
    const after = await leadScore(admin, lead.id);
    expect(after.score).toBe(40);
    expect(after.scoreBreakdown.rules.map((rule: { ruleName: string; points: number }) => [rule.ruleName, rule.points])).toEqual([
      ['Decision makers', 35],
      ['Industry', 5],
    ]);
    expect(after.scoreHistory.map((change: { previousScore: number; score: number }) => [change.previousScore, change.score])).toEqual([
      [25, 40],
      [0, 25],
    ]);
    const { lead: withTimeline } = await admin.client.ok(`{ lead(id: "${lead.id}") { timeline { nodes { kind summary data } } } }`);
    const scoreEntries = withTimeline.timeline.nodes.filter((entry: { kind: string }) => entry.kind === 'SCORE_CHANGED');
    expect(scoreEntries.map((entry: { summary: string }) => entry.summary)).toEqual([expect.stringMatching(/^Score rose from 25 to 40/), 'Score rose from 0 to 25 (Record created)']);
    expect(scoreEntries[1].data).toEqual({ previousScore: 0, score: 25, reason: 'Record created' });
    expect(scoreEntries[0].data).toEqual({ previousScore: 25, score: 40, reason: expect.any(String) });
  });

  it('moves a lead\'s score the moment it opens a tracked email, capped per signal kind, and publishes the change', async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin, { name: 'Engagement', signalScores: [{ kind: 'EMAIL_OPENED', points: 7, maxPoints: 10 }] });
    const lead = await createLead(admin.client);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const changes = ws.subscribe(`subscription { scoreChanged(module: LEADS) { module recordId score previousScore reason lead { id } } }`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const { sendEmail } = await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { html } }`, {
        input: { leadId: lead.id, subject: 'Hello', text: 'Hi there' },
      });
      const pixel = /http:\/\/pulse\.test(\/t\/o\/[^"]+)/.exec(sendEmail.html)?.[1];
      expect(pixel).toBeTruthy();
      await fetch(`${server().url}${pixel}`);
      // The recorder writes opens in groups; flushing is what the 25 ms timer does.
      await server().server.deps.tracking.flush();
      expect((await leadScore(admin, lead.id)).score).toBe(7);
      const [event] = await changes.waitFor(1);
      expect(event.scoreChanged).toEqual({ module: 'LEADS', recordId: lead.id, score: 7, previousScore: 0, reason: 'EMAIL_OPENED signal', lead: { id: lead.id } });
      await fetch(`${server().url}${pixel}`);
      await server().server.deps.tracking.flush();
      const capped = await leadScore(admin, lead.id);
      expect(capped.score).toBe(10);
      expect(capped.scoreBreakdown.rules[0].criteria).toEqual([
        { kind: 'SIGNAL', description: '2 × EMAIL_OPENED at 7 (capped at 10)', points: 10, field: null, signalKind: 'EMAIL_OPENED', count: 2 },
      ]);
    } finally {
      await ws.dispose();
    }
  });

  it('takes decay off at reading time from the last interaction, and sorts and filters by the decayed score', async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin, {
      name: 'Visits',
      signalScores: [{ kind: 'WEBSITE_VISIT', points: 10 }],
      decay: { points: 3, everyDays: 7, maxPoints: 100 },
    });
    const fresh = await createLead(admin.client);
    const stale = await createLead(admin.client);
    const record = (leadId: string, occurredAt: Date) =>
      admin.client.ok(`mutation($input: RecordSalesSignalInput!) { recordSalesSignal(input: $input) { id } }`, {
        input: { kind: 'WEBSITE_VISIT', leadId, occurredAt: occurredAt.toISOString() },
      });
    const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600 * 1000 - 60_000);
    await record(fresh.id, daysAgo(1));
    await record(stale.id, daysAgo(22));
    await record(stale.id, daysAgo(22));
    const staleScore = await leadScore(admin, stale.id);
    // 2 visits = 20, less 3 per full week idle (3 weeks) = 11.
    expect(staleScore.score).toBe(11);
    expect(staleScore.scoreBreakdown.rules[0].criteria.map((c: { kind: string; points: number }) => [c.kind, c.points])).toEqual([
      ['SIGNAL', 20],
      ['DECAY', -9],
    ]);
    expect((await leadScore(admin, fresh.id)).score).toBe(10);
    const LIST = `query($filter: LeadFilter, $orderBy: LeadOrderBy, $first: Int, $after: String) { leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { nodes { id score } pageInfo { endCursor hasNextPage } } }`;
    const all = await admin.client.ok(LIST, { orderBy: { field: 'SCORE', direction: 'DESC' } });
    expect(all.leads.nodes).toEqual([
      { id: stale.id, score: 11 },
      { id: fresh.id, score: 10 },
    ]);
    // Keyset pages on the computed score agree with the single page.
    const first = await admin.client.ok(LIST, { orderBy: { field: 'SCORE', direction: 'ASC' }, first: 1 });
    const second = await admin.client.ok(LIST, { orderBy: { field: 'SCORE', direction: 'ASC' }, first: 1, after: first.leads.pageInfo.endCursor });
    expect([...first.leads.nodes, ...second.leads.nodes].map((n: { id: string }) => n.id)).toEqual([fresh.id, stale.id]);
    expect(second.leads.pageInfo.hasNextPage).toBe(false);
    const filtered = await admin.client.ok(LIST, { filter: { scoreMin: 11 } });
    expect(filtered.leads.nodes).toEqual([{ id: stale.id, score: 11 }]);
    const below = await admin.client.ok(LIST, { filter: { scoreMax: 10 } });
    expect(below.leads.nodes).toEqual([{ id: fresh.id, score: 10 }]);
  });

  it('rescores every record of the module in the background when a rule changes, with progress on the run', async () => {
    const admin = await signUpOrganization(server().client);
    const old = [];
    for (let i = 0; i < 5; i += 1) old.push(await createLead(admin.client, { title: i % 2 === 0 ? 'VP Sales' : 'Intern' }));
    const { createScoringRule } = await admin.client.ok(CREATE_RULE, {
      input: { module: 'LEADS', name: 'VPs', fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'VP', points: 30 }] },
    });
    expect(createScoringRule.lastRun).toMatchObject({ status: 'RUNNING', processed: 0, total: 5 });
    expect((await leadScore(admin, old[0]!.id)).score).toBe(0);
    await server().server.deps.jobs.runDue();
    const run = await admin.client.ok(`{ scoringRun(id: "${createScoringRule.lastRun.id}") { status processed total finishedAt } }`);
    expect(run.scoringRun).toMatchObject({ status: 'DONE', processed: 5, total: 5 });
    const scores = await Promise.all(old.map(async (lead) => (await leadScore(admin, lead.id)).score));
    expect(scores).toEqual([30, 0, 30, 0, 30]);
    expect((await leadScore(admin, old[0]!.id)).scoreHistory[0].reason).toBe('Scoring rules changed');
    // Changing the rule moves the old records again; deleting it takes the points back.
    const { updateScoringRule } = await admin.client.ok(`mutation($input: UpdateScoringRuleInput!) { updateScoringRule(input: $input) { fieldScores { points } lastRun { id } } }`, {
      input: { id: createScoringRule.id, fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'VP', points: 12 }] },
    });
    expect(updateScoringRule.fieldScores).toEqual([{ points: 12 }]);
    await server().server.deps.jobs.runDue();
    expect((await leadScore(admin, old[2]!.id)).score).toBe(12);
    await admin.client.ok(`mutation { deleteScoringRule(id: "${createScoringRule.id}") { id } }`);
    await server().server.deps.jobs.runDue();
    expect((await leadScore(admin, old[2]!.id)).score).toBe(0);
    expect((await admin.client.ok(`{ scoringRules { id } }`)).scoringRules).toEqual([]);
  });

  it('scores contacts and deals on their fields, and lets only administrators manage rules', async () => {
    const admin = await signUpOrganization(server().client);
    await createRule(admin, { module: 'CONTACTS', name: 'Buyers', fieldScores: [{ field: 'department', operator: 'EQUALS', value: 'purchasing', points: 8 }] });
    await createRule(admin, { module: 'DEALS', name: 'Big', fieldScores: [{ field: 'amount', operator: 'BETWEEN', values: [50000, 200000], points: 40 }] });
    const contact = await createContact(admin.client, { department: 'Purchasing' });
    const big = await createDeal(admin.client, { amount: '75000.00' });
    const small = await createDeal(admin.client, { amount: '500.00' });
    const data = await admin.client.ok(`{ contact(id: "${contact.id}") { score } big: deal(id: "${big.id}") { score scoreBreakdown { rules { criteria { description } } } } small: deal(id: "${small.id}") { score } deals(orderBy: {field: SCORE, direction: DESC}) { nodes { id } } }`);
    expect(data.contact.score).toBe(8);
    expect(data.big.score).toBe(40);
    expect(data.big.scoreBreakdown.rules[0].criteria[0].description).toBe('amount between 50000 and 200000');
    expect(data.small.score).toBe(0);
    expect(data.deals.nodes.map((n: { id: string }) => n.id)).toEqual([big.id, small.id]);
    const rep = await inviteMember(admin);
    await rep.client.fails('FORBIDDEN', CREATE_RULE, { input: { module: 'LEADS', name: 'x', fieldScores: [{ field: 'title', operator: 'IS_EMPTY', points: 1 }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { module: 'LEADS', name: 'x', fieldScores: [{ field: 'nope', operator: 'IS_EMPTY', points: 1 }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { module: 'LEADS', name: 'x', fieldScores: [{ field: 'title', operator: 'GREATER_THAN', value: 3, points: 1 }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { module: 'DEALS', name: 'x', signalScores: [{ kind: 'EMAIL_OPENED', points: 1 }] } });
  });

  it('scores on custom fields by apiName (a picklist and a number), checked against the field\'s type, on create, on edit and in the rescore', async () => {
    const admin = await signUpOrganization(server().client);
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'seats', label: 'Seats', type: 'INTEGER' });
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'budget', label: 'Budget', type: 'CURRENCY' });
    const before = await createLead(admin.client, { customFields: { segment: 'Enterprise', seats: 120 } });
    await createRule(admin, {
      name: 'Fit',
      fieldScores: [
        // The picklist's own spelling is stored whatever the case the rule was written in.
        { field: 'customFields.segment', operator: 'EQUALS', value: 'enterprise', points: 30 },
        { field: 'customFields.seats', operator: 'GREATER_THAN', value: 100, points: 10 },
        { field: 'customFields.budget', operator: 'BETWEEN', values: [1000, 50000], points: 5 },
      ],
    });
    // The rule change rescored the lead written before it.
    expect((await leadScore(admin, before.id)).score).toBe(40);
    const lead = await createLead(admin.client, { customFields: { segment: 'SMB', seats: 101, budget: '20000.00' } });
    const scored = await leadScore(admin, lead.id);
    expect(scored.score).toBe(15);
    expect(scored.scoreBreakdown.rules[0].criteria.map((c: { description: string; field: string }) => [c.field, c.description])).toEqual([
      ['customFields.seats', 'customFields.seats greater than 100'],
      ['customFields.budget', 'customFields.budget between 1000 and 50000'],
    ]);
    const { lead: current } = await admin.client.ok(`{ lead(id: "${lead.id}") { version } }`);
    await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, {
      input: { id: lead.id, expectedVersion: current.version, customFields: { segment: 'Enterprise', seats: 99 } },
    });
    expect((await leadScore(admin, lead.id)).score).toBe(35);
    const rules = await admin.client.ok(`{ scoringRules(module: LEADS) { fieldScores { field operator value values } } }`);
    expect(rules.scoringRules[0].fieldScores[0]).toEqual({ field: 'customFields.segment', operator: 'EQUALS', value: 'Enterprise', values: null });
    const bad = async (fieldScore: Record<string, unknown>, field: string): Promise<void> => {
      const error = await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { module: 'LEADS', name: 'x', fieldScores: [{ points: 1, ...fieldScore }] } });
      expect(error.extensions?.['field']).toBe(field);
    };
    await bad({ field: 'customFields.segment', operator: 'IN', values: ['SMB', 'Startup'] }, 'fieldScores.0.values.1');
    await bad({ field: 'customFields.segment', operator: 'GREATER_THAN', value: 3 }, 'fieldScores.0.operator');
    await bad({ field: 'customFields.seats', operator: 'CONTAINS', value: '1' }, 'fieldScores.0.operator');
    await bad({ field: 'customFields.seats', operator: 'EQUALS', value: 'many' }, 'fieldScores.0.value');
    await bad({ field: 'customFields.nope', operator: 'IS_EMPTY' }, 'fieldScores.0.field');
    // Another module's custom field is not this module's.
    await createCustomField(admin.client, { module: 'CONTACTS', apiName: 'tier', label: 'Tier', type: 'TEXT' });
    await bad({ field: 'customFields.tier', operator: 'IS_EMPTY' }, 'fieldScores.0.field');
  });
});
