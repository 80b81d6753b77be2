import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_JOB, DATE_JOB, runScheduledAction } from '../src/modules/workflows/workflow-runs.js';
import { workflowRuntime } from '../src/modules/workflows/workflow-runtime.js';
import { WEBHOOK_JOB } from '../src/modules/workflows/workflow-webhooks.js';
import { DELIVER_EMAILS_JOB } from '../src/modules/emails/email-delivery.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { createDeal, createLead } from './factories/records.factory.js';
import { unique } from './factories/unique.js';
import { createRule, createTemplate, notificationsOf, runsOf } from './factories/workflows.factory.js';
import { SmtpSink } from './helpers/smtp-sink.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const DAY = 24 * 3600 * 1000;
const sink = new SmtpSink();
const received = sink.received;
let pulse: TestServer;

beforeAll(async () => {
  const smtpUrl = await sink.start();
  // No background worker: jobs run only when a test calls runDue, so counts cannot race a poll.
  pulse = await startTestServer({ JOB_WORKERS: 'false', SMTP_URL: smtpUrl, MAIL_FROM: 'Pulse <crm@example.com>', PUBLIC_URL: 'http://pulse.test' });
});

afterAll(async () => {
  await pulse.server.stop();
  await pulse.testDatabase.drop();
  await sink.close();
});

const jobs = () => pulse.server.deps.jobs;

async function leadOf(user: SignedInUser, id: string) {
  const { lead } = await user.client.ok(`query($id: ID!) { lead(id: $id) { id version status tags owner { id } emails { status subject to } } }`, { id });
  return lead as { id: string; version: number; status: string; tags: string[]; owner: { id: string }; emails: { status: string; subject: string; to: string }[] };
}

async function updateLead(user: SignedInUser, id: string, fields: Record<string, unknown>) {
  const current = await leadOf(user, id);
  const { updateLead: lead } = await user.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id version status } }`, {
    input: { id, expectedVersion: current.version, ...fields },
  });
  return lead as { id: string; version: number; status: string };
}

describe('the seed example: a lead from Twitter', () => {
  it('notifies its owner live, tags it, sets its status and sends a follow-up email two days later', async () => {
    const admin = await signUpOrganization(pulse.client);
    const seller = await inviteMember(admin);
    const template = await createTemplate(admin.client, {
      subject: 'Following up, {{lead.firstName}}',
      body: 'Hello {{lead.firstName}},\nthanks for reaching out on Twitter.\n{{owner.name}}',
    });
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }],
      actions: [
        { type: 'NOTIFY', message: 'New lead from Twitter: {{lead.firstName}} {{lead.lastName}}' },
        { type: 'ADD_TAGS', tags: ['twitter'] },
        { type: 'UPDATE_FIELDS', fields: { status: 'Contact in Future' } },
        { type: 'SEND_EMAIL', templateId: template.id, delay: { amount: 2, unit: 'DAYS' } },
      ],
    });

    // Subscribing after the organisation's current event cursor: nothing is missed however long the socket takes.
    const { salesSignals } = await seller.client.ok(`{ salesSignals(first: 0) { cursor } }`);
    const ws = connectWs(pulse.wsUrl, seller.token);
    const live = ws.subscribe<{ notifications: { id: string; title: string; recordId: string; module: string; cursor: string } }>(
      `subscription($after: String) { notifications(after: $after) { id title recordId module cursor } }`,
      { after: salesSignals.cursor },
    );

    const lead = await createLead(admin.client, { firstName: '<b>Ann</b>', leadSource: 'Twitter', ownerId: seller.userId });
    const other = await createLead(admin.client, { leadSource: 'Web', ownerId: seller.userId });

    const [event] = await live.waitFor(1);
    expect(event?.notifications).toMatchObject({ recordId: lead.id, module: 'LEADS', title: expect.stringContaining('New lead from Twitter: <b>Ann</b>') });
    expect(event?.notifications.cursor).toBeTruthy();
    await ws.dispose();

    const listed = await notificationsOf(seller.client);
    expect(listed.nodes.map((n) => n.recordId)).toEqual([lead.id]);
    expect(listed).toMatchObject({ totalCount: 1, unreadCount: 1 });
    expect(listed.nodes[0]).toMatchObject({ ruleId: rule.id, read: false });
    expect((await notificationsOf(admin.client)).totalCount).toBe(0);

    const tagged = await leadOf(admin, lead.id);
    expect(tagged).toMatchObject({ status: 'Contact in Future', tags: ['twitter'], emails: [] });
    expect(await leadOf(admin, other.id)).toMatchObject({ status: 'Not Contacted', tags: [] });

    const [run] = await runsOf(admin.client, { ruleId: rule.id });
    expect(run).toMatchObject({ recordId: lead.id, trigger: 'ON_CREATE', status: 'WAITING' });
    expect(run?.actions.map((a) => [a.type, a.status])).toEqual([
      ['NOTIFY', 'DONE'],
      ['ADD_TAGS', 'DONE'],
      ['UPDATE_FIELDS', 'DONE'],
      ['SEND_EMAIL', 'SCHEDULED'],
    ]);
    const due = Date.parse(run?.actions[3]?.scheduledFor ?? '');
    expect(due - Date.now()).toBeGreaterThan(2 * DAY - 60_000);
    expect(due - Date.now()).toBeLessThanOrEqual(2 * DAY);

    // A day later nothing is due; two days later the email goes out.
    await jobs().advanceTime(DAY);
    expect(await jobs().runDue(ACTION_JOB)).toBe(0);
    await jobs().advanceTime(DAY + 1000);
    expect(await jobs().runDue(ACTION_JOB)).toBe(1);

    const sent = await leadOf(admin, lead.id);
    expect(sent.emails).toEqual([{ status: 'SENT', subject: 'Following up, <b>Ann</b>', to: lead.email }]);
    const mail = received.find((m) => m.to.includes(lead.email!));
    // {{owner.name}}: the lead's owner.
    expect(mail?.raw).toContain('Sam Seller');
    // Merged values are escaped in the HTML part: no markup from a record reaches the email.
    expect(mail?.raw).toContain('&lt;b&gt;Ann&lt;/b&gt;');
    expect(mail?.raw).not.toMatch(/<div>Hello <b>Ann/);
    const [done] = await runsOf(admin.client, { ruleId: rule.id });
    expect(done).toMatchObject({ status: 'COMPLETED' });
    expect(done?.actions[3]).toMatchObject({ status: 'DONE' });
    // Nothing left for the delivery job: the message was claimed once.
    await jobs().advanceTime(120_000);
    await jobs().runDue(DELIVER_EMAILS_JOB);
    expect(received.filter((m) => m.to.includes(lead.email!))).toHaveLength(1);
  });

  it("answers the create with the lead as stored, the rule's tag and status included, at the version to edit it with", async () => {
    const admin = await signUpOrganization(pulse.client);
    await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }],
      actions: [
        { type: 'ADD_TAGS', tags: ['twitter'] },
        { type: 'UPDATE_FIELDS', fields: { status: 'Contact in Future' } },
      ],
    });
    const { createLead: answered } = await admin.client.ok(`mutation($input: CreateLeadInput!) { createLead(input: $input) { id status tags version } }`, {
      input: { lastName: 'Answered', leadSource: 'Twitter' },
    });
    expect(answered).toMatchObject({ status: 'Contact in Future', tags: ['twitter'], version: 1 });
    const { updateLead } = await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { title version } }`, {
      input: { id: answered.id, expectedVersion: answered.version, title: 'CTO' },
    });
    expect(updateLead).toEqual({ title: 'CTO', version: 2 });
    const { lead } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { timeline { nodes { kind summary } } } }`, { id: answered.id });
    expect(lead.timeline.nodes.map((node: { kind: string }) => node.kind).sort()).toEqual(['CREATED', 'UPDATED', 'UPDATED']);
  });
});

describe('several records in one transaction', () => {
  it("runs each record's rules when a conversion creates a contact, an account and a deal at once, every run, task and notification written", async () => {
    const admin = await signUpOrganization(pulse.client);
    // Tasks need a savepoint each (kept open to the end of the transaction); notifications and runs are written with its events.
    for (const module of ['CONTACTS', 'ACCOUNTS', 'DEALS']) {
      await createRule(admin.client, { module, trigger: { type: 'ON_CREATE' }, actions: [{ type: 'CREATE_TASK', subject: `Welcome ${module}` }, { type: 'NOTIFY', message: `New ${module}` }] });
    }
    const lead = await createLead(admin.client, { company: unique('Converted Co') });
    const { convertLead } = await admin.client.ok(
      `mutation($input: ConvertLeadInput!) { convertLead(input: $input) { contact { id activities { subject } } account { id activities { subject } } deal { id activities { subject } } } }`,
      { input: { id: lead.id, createDeal: { name: unique('Deal') } } },
    );
    expect(convertLead.contact.activities.map((a: { subject: string }) => a.subject)).toContain('Welcome CONTACTS');
    expect(convertLead.account.activities.map((a: { subject: string }) => a.subject)).toContain('Welcome ACCOUNTS');
    expect(convertLead.deal.activities.map((a: { subject: string }) => a.subject)).toContain('Welcome DEALS');
    for (const id of [convertLead.contact.id, convertLead.account.id, convertLead.deal.id]) {
      expect((await runsOf(admin.client, { recordId: id })).map((run) => run.status)).toEqual(['COMPLETED']);
    }
    const titles = (await notificationsOf(admin.client)).nodes.map((node) => node.title).sort();
    expect(titles).toEqual(['New ACCOUNTS', 'New CONTACTS', 'New DEALS']);
  });
});

describe('module labels in emails', () => {
  it("names the record's module as the organisation calls it in workflow emails", async () => {
    const admin = await signUpOrganization(pulse.client);
    await admin.client.ok(`mutation { updateModuleLabels(input: { module: DEALS, singular: "Property", plural: "Properties" }) { label } }`);
    const template = await createTemplate(admin.client, { subject: 'New {{module.label}}: {{deal.name}}', body: 'One more on your {{module.pluralLabel}} list.' });
    await createRule(admin.client, { module: 'DEALS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'SEND_EMAIL', templateId: template.id, recipient: 'OWNER' }] });
    const name = unique('Villa');
    await createDeal(admin.client, { name });
    // Emails queued by a record write go out with the delivery job.
    await jobs().advanceTime(120_000);
    await jobs().runDue(DELIVER_EMAILS_JOB);
    const mail = received.find((m) => m.to.includes(admin.email));
    expect(mail?.raw).toContain(`Subject: New Property: ${name}`);
    expect(mail?.raw).toContain('One more on your Properties list.');
    // The GraphQL names stay.
    const { __type } = await admin.client.ok(`{ __type(name: "Deal") { name } }`);
    expect(__type).toEqual({ name: 'Deal' });
  });
});

describe('loop prevention', () => {
  it("a workflow's own field updates fire no rule, so rules neither loop nor cascade", async () => {
    const admin = await signUpOrganization(pulse.client);
    const touch = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE_OR_EDIT' },
      actions: [{ type: 'UPDATE_FIELDS', fields: { description: 'touched by a workflow' } }],
    });
    const watcher = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'FIELD_UPDATED', field: 'description' },
      actions: [{ type: 'NOTIFY', message: 'Description changed' }],
    });
    const lead = await createLead(admin.client);
    await updateLead(admin, lead.id, { title: 'CTO' });
    // Each user write fired the touching rule once; its own update fired neither itself nor the watcher.
    expect(await runsOf(admin.client, { ruleId: touch.id })).toHaveLength(2);
    expect(await runsOf(admin.client, { ruleId: watcher.id })).toHaveLength(0);
    const { lead: row } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { description version } }`, { id: lead.id });
    // The create was inserted as the rule left it (version 1); the edit wrote version 2 and the rule then had nothing to change.
    expect(row).toEqual({ description: 'touched by a workflow', version: 2 });

    // The watcher itself works: a user's change of the description fires it.
    await updateLead(admin, lead.id, { description: 'by hand' });
    expect(await runsOf(admin.client, { ruleId: watcher.id })).toHaveLength(1);
    expect((await notificationsOf(admin.client)).totalCount).toBe(1);
  });
});

describe('scheduled actions', () => {
  it('are cancelled (and recorded so) when the record no longer meets the criteria at their time', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'status', operator: 'IN', values: ['Not Contacted', 'Attempted to Contact'] }],
      actions: [{ type: 'NOTIFY', message: 'Still not contacted: {{lead.lastName}}', delay: { amount: 6, unit: 'HOURS' } }],
    });
    const contacted = await createLead(admin.client);
    const forgotten = await createLead(admin.client);
    await updateLead(admin, contacted.id, { status: 'Contacted' });
    await jobs().advanceTime(6 * 3600 * 1000 + 1000);
    expect(await jobs().runDue(ACTION_JOB)).toBe(2);

    const [cancelled] = await runsOf(admin.client, { ruleId: rule.id, recordId: contacted.id });
    expect(cancelled).toMatchObject({ status: 'CANCELLED' });
    expect(cancelled?.actions[0]).toMatchObject({ status: 'CANCELLED', error: 'The record no longer meets the criteria' });
    const [done] = await runsOf(admin.client, { ruleId: rule.id, recordId: forgotten.id });
    expect(done).toMatchObject({ status: 'COMPLETED' });
    expect((await notificationsOf(admin.client)).nodes.map((n) => n.recordId)).toEqual([forgotten.id]);
  });

  it('are cancelled when the rule’s actions are replaced before they come due; a stale edit of the rule is refused', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      actions: [{ type: 'NOTIFY', message: 'Old reminder', delay: { amount: 1, unit: 'HOURS' } }],
    });
    const lead = await createLead(admin.client);
    const UPDATE = `mutation($input: UpdateWorkflowRuleInput!) { updateWorkflowRule(input: $input) { id version } }`;
    const { workflowRules } = await admin.client.ok(`{ workflowRules { id version } }`);
    const version = (workflowRules as { id: string; version: number }[]).find((r) => r.id === rule.id)!.version;
    const replaced = await admin.client.ok(UPDATE, {
      input: { id: rule.id, expectedVersion: version, actions: [{ type: 'ADD_TAGS', tags: ['new'], delay: { amount: 1, unit: 'HOURS' } }] },
    });
    expect(replaced.updateWorkflowRule.version).toBe(version + 1);
    const stale = await admin.client.fails('CONFLICT', UPDATE, { input: { id: rule.id, expectedVersion: version, name: 'Lost edit' } });
    expect(stale.extensions?.['currentVersion']).toBe(version + 1);

    await jobs().advanceTime(3600 * 1000 + 1000);
    await jobs().runDue(ACTION_JOB);
    const [run] = await runsOf(admin.client, { ruleId: rule.id, recordId: lead.id });
    expect(run).toMatchObject({ status: 'CANCELLED' });
    expect(run?.actions[0]).toMatchObject({ status: 'CANCELLED', error: 'The rule’s actions were replaced before this one came due' });
    // Neither the old action nor the new one ran on the earlier run.
    expect((await notificationsOf(admin.client)).nodes).toEqual([]);
    expect((await leadOf(admin, lead.id)).tags).toEqual([]);
  });

  it('run once in effect: a job handed over twice does not repeat a completed action', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      actions: [{ type: 'NOTIFY', message: 'Later', delay: { amount: 1, unit: 'HOURS' } }],
    });
    await createLead(admin.client);
    const [run] = await runsOf(admin.client, { ruleId: rule.id });
    const job = { organizationId: admin.organizationId, runId: run!.id, actionIndex: 0 };
    await Promise.all([runScheduledAction(workflowRuntime(), job), runScheduledAction(workflowRuntime(), job)]);
    await runScheduledAction(workflowRuntime(), job);
    expect((await notificationsOf(admin.client)).totalCount).toBe(1);
    expect((await runsOf(admin.client, { ruleId: rule.id }))[0]).toMatchObject({ status: 'COMPLETED' });
  });
});

describe('webhooks', () => {
  let server: Server;
  let url: string;
  const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          res.writeHead(500).end('not now');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts a signed body, retries failures with growing delays and logs every attempt', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'CALL_WEBHOOK', url }] });
    failuresLeft = 2;
    const lead = await createLead(admin.client, { company: 'Hooked Ltd' });
    expect((await runsOf(admin.client, { ruleId: rule.id }))[0]?.actions[0]).toMatchObject({ status: 'QUEUED' });

    expect(await jobs().runDue(WEBHOOK_JOB)).toBe(1);
    // First retry: 30 to 60 seconds later.
    await jobs().advanceTime(25_000);
    expect(await jobs().runDue(WEBHOOK_JOB)).toBe(0);
    await jobs().advanceTime(40_000);
    expect(await jobs().runDue(WEBHOOK_JOB)).toBe(1);
    // Second retry: the delay doubled (60 to 120 seconds).
    await jobs().advanceTime(55_000);
    expect(await jobs().runDue(WEBHOOK_JOB)).toBe(0);
    await jobs().advanceTime(70_000);
    expect(await jobs().runDue(WEBHOOK_JOB)).toBe(1);

    expect(requests).toHaveLength(3);
    for (const request of requests) {
      const timestamp = String(request.headers['x-pulse-timestamp']);
      const expected = `sha256=${createHmac('sha256', rule.webhookSecret).update(`${timestamp}.${request.body}`).digest('hex')}`;
      expect(request.headers['x-pulse-signature']).toBe(expected);
    }
    const body = JSON.parse(requests[0]!.body);
    expect(body).toMatchObject({ event: 'workflow.action', ruleId: rule.id, module: 'LEADS', trigger: 'ON_CREATE', record: { id: lead.id, company: 'Hooked Ltd' } });
    expect(body.record.organizationId).toBeUndefined();
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);

    const [run] = await runsOf(admin.client, { ruleId: rule.id });
    expect(run).toMatchObject({ status: 'COMPLETED' });
    expect(run?.actions[0]?.status).toBe('DONE');
    expect(run?.actions[0]?.webhookAttempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 204],
    ]);
  });
});

describe('triggers', () => {
  it('a date-relative trigger fires 3 days before the closing date, following a moved date', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, {
      module: 'DEALS',
      trigger: { type: 'DATE_FIELD', field: 'closingDate', offset: -3, unit: 'DAYS' },
      actions: [{ type: 'NOTIFY', message: '{{deal.name}} closes in 3 days' }],
    });
    const day = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
    const deal = await createDeal(admin.client, { closingDate: day(10) });
    await jobs().advanceTime(5 * DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(0);
    await admin.client.ok(`mutation($input: UpdateDealInput!) { updateDeal(input: $input) { id } }`, {
      input: { id: deal.id, expectedVersion: deal.version, closingDate: day(20) },
    });
    // The first job comes due but its date has moved: it does nothing.
    await jobs().advanceTime(3 * DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(1);
    expect(await runsOf(admin.client, { ruleId: rule.id })).toHaveLength(0);
    // The new job is due 17 days (less the time of day) after the move, 3 of which have passed.
    await jobs().advanceTime(13 * DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(0);
    await jobs().advanceTime(DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(1);
    const runs = await runsOf(admin.client, { ruleId: rule.id });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ recordId: deal.id, trigger: 'DATE_FIELD', status: 'COMPLETED' });
    expect((await notificationsOf(admin.client)).nodes[0]?.title).toMatch(/closes in 3 days$/);
  });

  it('a date rule created (or re-timed) after the records schedules the dates they already hold', async () => {
    const admin = await signUpOrganization(pulse.client);
    const day = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
    const soon = await createDeal(admin.client, { closingDate: day(10) });
    await createDeal(admin.client, { closingDate: day(1) });
    const rule = await createRule(admin.client, {
      module: 'DEALS',
      trigger: { type: 'DATE_FIELD', field: 'closingDate', offset: -3, unit: 'DAYS' },
      actions: [{ type: 'NOTIFY', message: '{{deal.name}} closes soon' }],
    });
    // Moved to 1 day before: the jobs scheduled for 3 days before stand no more.
    await admin.client.ok(`mutation($input: UpdateWorkflowRuleInput!) { updateWorkflowRule(input: $input) { id } }`, {
      input: { id: rule.id, trigger: { type: 'DATE_FIELD', field: 'closingDate', offset: -1, unit: 'DAYS' } },
    });
    await jobs().advanceTime(8 * DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(1);
    expect(await runsOf(admin.client, { ruleId: rule.id })).toHaveLength(0);
    await jobs().advanceTime(2 * DAY);
    expect(await jobs().runDue(DATE_JOB)).toBe(1);
    const runs = await runsOf(admin.client, { ruleId: rule.id });
    expect(runs.map((run) => run.recordId)).toEqual([soon.id]);
  });

  it('a field-updated trigger fires on the change to its value, deal stage moves included', async () => {
    const admin = await signUpOrganization(pulse.client);
    const statusRule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'FIELD_UPDATED', field: 'status', value: 'Contacted' },
      actions: [{ type: 'CREATE_TASK', subject: 'Qualify {{lead.lastName}}', dueInDays: 2 }],
    });
    const lead = await createLead(admin.client, { status: 'Contacted' });
    await updateLead(admin, lead.id, { status: 'Attempted to Contact' });
    expect(await runsOf(admin.client, { ruleId: statusRule.id })).toHaveLength(0);
    await updateLead(admin, lead.id, { status: 'Contacted' });
    expect(await runsOf(admin.client, { ruleId: statusRule.id })).toHaveLength(1);
    const { lead: withTask } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { lastName activities { type subject owner { id } } } }`, { id: lead.id });
    expect(withTask.activities).toEqual([{ type: 'TASK', subject: `Qualify ${withTask.lastName}`, owner: { id: admin.userId } }]);

    const pipeline = await defaultPipeline(admin.client);
    const target = pipeline.stages[2]!;
    const stageRule = await createRule(admin.client, {
      module: 'DEALS',
      trigger: { type: 'FIELD_UPDATED', field: 'stageId', value: target.id },
      actions: [{ type: 'NOTIFY', message: '{{deal.name}} reached the stage' }],
    });
    const deal = await createDeal(admin.client);
    await admin.client.ok(`mutation($input: MoveDealInput!) { moveDeal(input: $input) { id } }`, {
      input: { id: deal.id, stageId: pipeline.stages[1]!.id, expectedVersion: deal.version },
    });
    expect(await runsOf(admin.client, { ruleId: stageRule.id })).toHaveLength(0);
    const { deal: moved } = await admin.client.ok(`query($id: ID!) { deal(id: $id) { version } }`, { id: deal.id });
    await admin.client.ok(`mutation($input: MoveDealInput!) { moveDeal(input: $input) { id } }`, {
      input: { id: deal.id, stageId: target.id, expectedVersion: moved.version },
    });
    const runs = await runsOf(admin.client, { ruleId: stageRule.id });
    expect(runs.map((r) => [r.recordId, r.trigger, r.status])).toEqual([[deal.id, 'FIELD_UPDATED', 'COMPLETED']]);
  });
});

describe('criteria on custom fields', () => {
  it('test custom fields by apiName in the scoring language, in criteria and field-updated triggers', async () => {
    const admin = await signUpOrganization(pulse.client);
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'seats', label: 'Seats', type: 'INTEGER' });
    const tagRule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE_OR_EDIT' },
      criteria: [
        { field: 'customFields.segment', operator: 'EQUALS', value: 'enterprise' },
        { field: 'customFields.seats', operator: 'GREATER_THAN', value: 50 },
      ],
      actions: [{ type: 'ADD_TAGS', tags: ['enterprise'] }],
    });
    expect(tagRule['criteria']).toEqual([
      { field: 'customFields.segment', operator: 'EQUALS', value: 'Enterprise', values: null },
      { field: 'customFields.seats', operator: 'GREATER_THAN', value: 50, values: null },
    ]);
    const downgrade = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'FIELD_UPDATED', field: 'customFields.segment', value: 'SMB' },
      actions: [{ type: 'NOTIFY', message: '{{lead.lastName}} moved to SMB' }],
    });
    const small = await createLead(admin.client, { customFields: { segment: 'SMB', seats: 500 } });
    const big = await createLead(admin.client, { customFields: { segment: 'Enterprise', seats: 60 } });
    expect((await leadOf(admin, small.id)).tags).toEqual([]);
    expect((await leadOf(admin, big.id)).tags).toEqual(['enterprise']);
    await updateLead(admin, small.id, { customFields: { segment: 'Enterprise' } });
    expect((await leadOf(admin, small.id)).tags).toEqual(['enterprise']);
    expect((await runsOf(admin.client, { ruleId: tagRule.id })).map((run) => run.recordId).sort()).toEqual([big.id, small.id].sort());
    expect(await runsOf(admin.client, { ruleId: downgrade.id })).toHaveLength(0);
    await updateLead(admin, big.id, { customFields: { segment: 'SMB' } });
    expect((await runsOf(admin.client, { ruleId: downgrade.id })).map((run) => run.recordId)).toEqual([big.id]);
    const invalid = await admin.client.fails('BAD_USER_INPUT', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { name: 'x', module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'customFields.segment', operator: 'EQUALS', value: 'Startup' }], actions: [{ type: 'ADD_TAGS', tags: ['x'] }] },
    });
    expect(invalid.extensions?.['field']).toBe('criteria[0].value');
  });
});

describe('runs, failures and administration', () => {
  it('lists runs by rule and record, newest first, page by page; a failing action is recorded and does not undo the write', async () => {
    const admin = await signUpOrganization(pulse.client);
    const seller = await inviteMember(admin);
    const template = await createTemplate(admin.client, { subject: 'Hi', body: 'Hello' });
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      actions: [
        { type: 'ASSIGN_OWNER', ownerId: seller.userId },
        { type: 'SEND_EMAIL', templateId: template.id },
      ],
    });
    const noEmail = await createLead(admin.client, { email: null });
    const leads = [noEmail, await createLead(admin.client), await createLead(admin.client)];
    const all = await runsOf(admin.client, { ruleId: rule.id });
    expect(all.map((r) => r.recordId)).toEqual(leads.map((l) => l.id).reverse());
    const failed = all.find((r) => r.recordId === noEmail.id);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'The record has no email address' });
    expect(failed?.actions.map((a) => a.status)).toEqual(['DONE', 'FAILED']);
    expect((await leadOf(admin, noEmail.id)).owner.id).toBe(seller.userId);
    expect(all.filter((r) => r.status === 'COMPLETED')).toHaveLength(2);

    const first = await admin.client.ok(`query($f: WorkflowRunFilter) { workflowRuns(filter: $f, first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`, { f: { ruleId: rule.id } });
    expect(first.workflowRuns.totalCount).toBe(3);
    expect(first.workflowRuns.pageInfo.hasNextPage).toBe(true);
    const second = await admin.client.ok(`query($f: WorkflowRunFilter, $after: String) { workflowRuns(filter: $f, first: 2, after: $after) { pageInfo { hasNextPage } nodes { id } } }`, {
      f: { ruleId: rule.id },
      after: first.workflowRuns.pageInfo.endCursor,
    });
    expect([...first.workflowRuns.nodes, ...second.workflowRuns.nodes].map((n: { id: string }) => n.id)).toEqual(all.map((r) => r.id));
    expect(second.workflowRuns.pageInfo.hasNextPage).toBe(false);
    expect(await runsOf(admin.client, { recordId: leads[1]!.id })).toHaveLength(1);
  });

  it("a rule's record actions are one write of the record; a failing action among several rules' actions undoes only its own effect", async () => {
    const admin = await signUpOrganization(pulse.client);
    const seller = await inviteMember(admin);
    const template = await createTemplate(admin.client, { subject: 'Hi', body: 'Hello' });
    const busy = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      actions: [
        { type: 'NOTIFY', message: 'Busy rule' },
        { type: 'ADD_TAGS', tags: ['first'] },
        { type: 'SEND_EMAIL', templateId: template.id },
        { type: 'UPDATE_FIELDS', fields: { status: 'Contact in Future' } },
        { type: 'CREATE_TASK', subject: 'Follow up' },
        { type: 'ADD_TAGS', tags: ['second'] },
      ],
    });
    const other = await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'NOTIFY', message: 'Other rule', userIds: [seller.userId] }, { type: 'ASSIGN_OWNER', ownerId: seller.userId }] });
    const LEAD_READ = `query($id: ID!) { lead(id: $id) { version tags status owner { id } activities { subject } timeline { nodes { kind data } } } }`;

    // All succeed: each rule's changes are one UPDATED entry, applied in action order before the insert (one version in all).
    const ok = await createLead(admin.client);
    const { lead: done } = await admin.client.ok(LEAD_READ, { id: ok.id });
    expect(done).toMatchObject({ tags: ['first', 'second'], status: 'Contact in Future', owner: { id: seller.userId }, activities: [{ subject: 'Follow up' }] });
    const updates = done.timeline.nodes.filter((node: { kind: string }) => node.kind === 'UPDATED');
    expect(updates.map((node: { data: { workflowRuleId: string } }) => node.data.workflowRuleId).sort()).toEqual([busy.id, other.id].sort());
    expect(done.version).toBe(1);
    expect((await runsOf(admin.client, { recordId: ok.id })).map((run) => run.status)).toEqual(['COMPLETED', 'COMPLETED']);

    // The email fails (no address): every other action of both rules still happens, and the lead is created.
    const failing = await createLead(admin.client, { email: null });
    const { lead: read } = await admin.client.ok(LEAD_READ, { id: failing.id });
    expect(read).toMatchObject({ tags: ['first', 'second'], status: 'Contact in Future', owner: { id: seller.userId }, activities: [{ subject: 'Follow up' }] });
    const [busyRun] = await runsOf(admin.client, { recordId: failing.id, ruleId: busy.id });
    expect(busyRun).toMatchObject({ status: 'FAILED', error: 'The record has no email address' });
    expect(busyRun?.actions.map((action) => action.status)).toEqual(['DONE', 'DONE', 'FAILED', 'DONE', 'DONE', 'DONE']);
    const [otherRun] = await runsOf(admin.client, { recordId: failing.id, ruleId: other.id });
    expect(otherRun?.actions.map((action) => action.status)).toEqual(['DONE', 'DONE']);
    const mine = (await notificationsOf(admin.client)).nodes.filter((node) => node.recordId === failing.id);
    expect(mine.map((node) => node.title)).toEqual(['Busy rule']);
    const theirs = (await notificationsOf(seller.client)).nodes.filter((node) => node.recordId === failing.id);
    expect(theirs.map((node) => node.title)).toEqual(['Other rule']);
  });

  it('names an unknown template or user in an action NOT_FOUND with the field, as every module reports an unknown reference', async () => {
    const admin = await signUpOrganization(pulse.client);
    const outsider = await signUpOrganization(pulse.client);
    const theirs = await createTemplate(outsider.client, { subject: 'Theirs', body: 'Not yours' });
    const CREATE = `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`;
    const base = { name: 'References', module: 'LEADS', trigger: { type: 'ON_CREATE' } };
    const unknown = '00000000-0000-4000-8000-000000000000';
    // Another organisation's template is as unknown as one that never existed.
    for (const templateId of [unknown, theirs.id]) {
      const error = await admin.client.fails('NOT_FOUND', CREATE, { input: { ...base, actions: [{ type: 'ADD_TAGS', tags: ['a'] }, { type: 'SEND_EMAIL', templateId }] } });
      expect(error.extensions?.['field']).toBe('actions[1].templateId');
      expect(error.message).toBe('actions[1].templateId: Email template not found');
    }
    for (const userId of [unknown, outsider.userId]) {
      const error = await admin.client.fails('NOT_FOUND', CREATE, { input: { ...base, actions: [{ type: 'NOTIFY', message: 'hi', userIds: [admin.userId, userId] }] } });
      expect(error.extensions?.['field']).toBe('actions[0].userIds[1]');
      expect(error.message).toBe('actions[0].userIds[1]: User not found');
      const owner = await admin.client.fails('NOT_FOUND', CREATE, { input: { ...base, actions: [{ type: 'ASSIGN_OWNER', ownerId: userId }] } });
      expect(owner.extensions?.['field']).toBe('actions[0].ownerId');
    }
    // The same on update.
    const rule = await createRule(admin.client, { ...base, actions: [{ type: 'ADD_TAGS', tags: ['a'] }] });
    const update = await admin.client.fails('NOT_FOUND', `mutation($input: UpdateWorkflowRuleInput!) { updateWorkflowRule(input: $input) { id } }`, {
      input: { id: rule.id, actions: [{ type: 'SEND_EMAIL', templateId: theirs.id }] },
    });
    expect(update.extensions?.['field']).toBe('actions[0].templateId');
  });

  it('only administrators manage rules; rules are validated; deactivated rules do not fire', async () => {
    const admin = await signUpOrganization(pulse.client);
    const rep = await inviteMember(admin, 'SALES_REP');
    const input = { name: 'x', module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'NOTIFY', message: 'hi' }] };
    await rep.client.fails('FORBIDDEN', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, { input });
    await rep.client.fails('FORBIDDEN', `{ workflowRuns { totalCount } }`);
    const bad = await admin.client.fails('BAD_USER_INPUT', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { ...input, criteria: [{ field: 'nope', operator: 'EQUALS', value: 1 }] },
    });
    expect(bad.extensions?.['field']).toBe('criteria[0].field');
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { ...input, actions: [{ type: 'UPDATE_FIELDS', fields: { status: 'Converted' } }] },
    });
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { ...input, trigger: { type: 'DATE_FIELD', field: 'company' } },
    });

    const rule = await createRule(admin.client, input);
    const { deactivateWorkflowRule } = await admin.client.ok(`mutation($id: ID!) { deactivateWorkflowRule(id: $id) { active version } }`, { id: rule.id });
    expect(deactivateWorkflowRule).toEqual({ active: false, version: 2 });
    await createLead(admin.client);
    expect(await runsOf(admin.client, { ruleId: rule.id })).toHaveLength(0);
    await admin.client.ok(`mutation($id: ID!) { activateWorkflowRule(id: $id) { id } }`, { id: rule.id });
    const { updateWorkflowRule } = await admin.client.ok(`mutation($input: UpdateWorkflowRuleInput!) { updateWorkflowRule(input: $input) { name criteria { field operator value } } }`, {
      input: { id: rule.id, name: 'Renamed', criteria: [{ field: 'company', operator: 'CONTAINS', value: 'acme' }] },
    });
    expect(updateWorkflowRule).toEqual({ name: 'Renamed', criteria: [{ field: 'company', operator: 'CONTAINS', value: 'acme' }] });
    await createLead(admin.client, { company: 'Globex' });
    await createLead(admin.client, { company: 'ACME Corp' });
    expect(await runsOf(admin.client, { ruleId: rule.id })).toHaveLength(1);
    const { workflowRules } = await admin.client.ok(`{ workflowRules(module: LEADS) { id name active } }`);
    expect(workflowRules).toEqual([{ id: rule.id, name: 'Renamed', active: true }]);
    await admin.client.ok(`mutation($id: ID!) { deleteWorkflowRule(id: $id) { id } }`, { id: rule.id });
    expect((await admin.client.ok(`{ workflowRules { id } }`)).workflowRules).toEqual([]);
    // Its runs stay listed, naming it.
    expect((await runsOf(admin.client, { ruleId: rule.id }))[0]?.rule.id).toBe(rule.id);
  });
});

describe('notifications', () => {
  it('are listed newest first, read and unread, and marked read only by their user', async () => {
    const admin = await signUpOrganization(pulse.client);
    const seller = await inviteMember(admin);
    await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      actions: [{ type: 'NOTIFY', message: 'Lead {{lead.company}}', userIds: [seller.userId] }],
    });
    const companies = [unique('One'), unique('Two'), unique('Three')];
    for (const company of companies) await createLead(admin.client, { company });
    const all = await notificationsOf(seller.client);
    expect(all.nodes.map((n) => n.title)).toEqual(companies.map((c) => `Lead ${c}`).reverse());
    expect(all.unreadCount).toBe(3);

    const stranger = await admin.client.ok(`mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { count } }`, {
      input: { ids: [all.nodes[0]!.id] },
    });
    expect(stranger.markNotificationsRead.count).toBe(0);
    const one = await seller.client.ok(`mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { count } }`, { input: { ids: [all.nodes[0]!.id] } });
    expect(one.markNotificationsRead.count).toBe(1);
    const unread = await notificationsOf(seller.client, true);
    expect(unread.nodes.map((n) => n.id)).toEqual(all.nodes.slice(1).map((n) => n.id));
    expect(unread.unreadCount).toBe(2);
    const rest = await seller.client.ok(`mutation { markNotificationsRead(input: { all: true }) { count } }`);
    expect(rest.markNotificationsRead.count).toBe(2);
    const after = await notificationsOf(seller.client);
    expect(after).toMatchObject({ totalCount: 3, unreadCount: 0 });
    expect(after.nodes.every((n) => n.read)).toBe(true);
  });
});

describe('tenancy', () => {
  it("another organisation never sees, changes or triggers a rule", async () => {
    const admin = await signUpOrganization(pulse.client);
    const outsider = await signUpOrganization(pulse.client);
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }],
      actions: [{ type: 'NOTIFY', message: 'Twitter!' }, { type: 'ADD_TAGS', tags: ['twitter'] }],
    });
    const theirs = await createLead(outsider.client, { leadSource: 'Twitter' });
    expect((await leadOf(outsider, theirs.id)).tags).toEqual([]);
    expect((await notificationsOf(outsider.client)).totalCount).toBe(0);
    expect((await notificationsOf(admin.client)).totalCount).toBe(0);
    expect(await runsOf(admin.client, { ruleId: rule.id })).toHaveLength(0);
    expect(await runsOf(outsider.client, { ruleId: rule.id })).toHaveLength(0);
    expect((await outsider.client.ok(`{ workflowRules { id } }`)).workflowRules).toEqual([]);
    await outsider.client.fails('NOT_FOUND', `query($id: ID!) { workflowRule(id: $id) { id } }`, { id: rule.id });
    await outsider.client.fails('NOT_FOUND', `mutation($id: ID!) { deactivateWorkflowRule(id: $id) { id } }`, { id: rule.id });
    // A user of another organisation is NOT_FOUND to a rule's actions, as any of its records would be.
    await outsider.client.fails('NOT_FOUND', `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { name: 'x', module: 'LEADS', trigger: { type: 'ON_CREATE' }, actions: [{ type: 'ASSIGN_OWNER', ownerId: admin.userId }] },
    });
    const mine = await createLead(admin.client, { leadSource: 'Twitter' });
    expect((await leadOf(admin, mine.id)).tags).toEqual(['twitter']);
  });
});

describe('the score trigger (scores arrive with the scoring rules)', () => {
  it('fires when scoring rules lift a record over the threshold in the same write, through the API', async () => {
    const admin = await signUpOrganization(pulse.client);
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Directors', fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'Director', points: 60 }] },
    });
    await pulse.server.deps.jobs.runDue();
    await createRule(admin.client, { module: 'LEADS', trigger: { type: 'SCORE_ABOVE', threshold: 50 }, actions: [{ type: 'ADD_TAGS', tags: ['hot'] }] });
    const director = await createLead(admin.client, { title: 'Sales Director' });
    const intern = await createLead(admin.client, { title: 'Intern' });
    expect((await leadOf(admin, director.id)).tags).toContain('hot');
    expect((await leadOf(admin, intern.id)).tags).not.toContain('hot');
    const { lead } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { version } }`, { id: intern.id });
    await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, { input: { id: intern.id, expectedVersion: lead.version, title: 'Marketing Director' } });
    expect((await leadOf(admin, intern.id)).tags).toContain('hot');
  });

  it('fires when a score rises to the threshold, not while it stays above it', async () => {
    const { triggerFires } = await import('../src/modules/workflows/workflow-hooks.js');
    const trigger = { type: 'SCORE_ABOVE' as const, field: 'score', threshold: 50 };
    const write = (before: number | null, after: number) => ({
      module: 'leads' as const,
      kind: 'updated' as const,
      before: { score: before },
      after: { score: after },
      changes: [{ field: 'score', oldValue: before, newValue: after }],
      source: 'system' as const,
    });
    expect(triggerFires(trigger, write(40, 55))).toBe(true);
    expect(triggerFires(trigger, write(null, 50))).toBe(true);
    expect(triggerFires(trigger, write(55, 60))).toBe(false);
    expect(triggerFires(trigger, write(10, 49))).toBe(false);
  });
});
