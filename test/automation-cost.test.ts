import { describe, expect, it } from 'vitest';
import { signUpOrganization, inviteMember, type SignedInUser } from './factories/organizations.factory.js';
import { createLead } from './factories/records.factory.js';
import { createRule, createTemplate, runsOf } from './factories/workflows.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'off' });

async function automate(admin: SignedInUser): Promise<void> {
  const scoring = [
    [{ field: 'title', operator: 'CONTAINS', value: 'Director', points: 20 }],
    [{ field: 'country', operator: 'NOT_IN', values: ['Germany', 'France'], points: -10 }],
    [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1000000, points: 15 }],
    [{ field: 'leadSource', operator: 'IN', values: ['Twitter', 'Facebook'], points: 10 }],
    [{ field: 'email', operator: 'IS_NOT_EMPTY', points: 5 }],
    [{ field: 'company', operator: 'CONTAINS', value: 'corp', points: 8 }],
    [{ field: 'employees', operator: 'BETWEEN', values: [50, 5000], points: 6 }],
    [{ field: 'leadSource', operator: 'NOT_EQUALS', value: 'Cold Call', points: 3 }],
    [{ field: 'phone', operator: 'IS_NOT_EMPTY', points: 5 }],
    [{ field: 'status', operator: 'EQUALS', value: 'Not Contacted', points: 1 }],
  ];
  for (const [index, fieldScores] of scoring.entries()) {
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, { input: { module: 'LEADS', name: `Rule ${index}`, fieldScores } });
  }
  const a = await inviteMember(admin);
  const b = await inviteMember(admin);
  await admin.client.ok(`mutation($input: CreateAssignmentRuleInput!) { createAssignmentRule(input: $input) { id } }`, {
    input: {
      module: 'LEADS',
      name: 'Routing',
      entries: [
        { criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }], strategy: 'ROUND_ROBIN', userIds: [a.userId, b.userId] },
        { criteria: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1000000 }], strategy: 'USER', userIds: [a.userId] },
        { criteria: [], strategy: 'ROUND_ROBIN', userIds: [admin.userId, a.userId, b.userId] },
      ],
    },
  });
  const template = await createTemplate(admin.client, { subject: 'Hi {{lead.firstName}}', body: 'Hello' });
  await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }], actions: [{ type: 'NOTIFY', message: 'Twitter' }, { type: 'ADD_TAGS', tags: ['twitter'] }, { type: 'UPDATE_FIELDS', fields: { status: 'Contact in Future' } }] });
  await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1000000 }], actions: [{ type: 'CREATE_TASK', subject: 'Call', dueInDays: 1 }] });
  await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE_OR_EDIT' }, criteria: [{ field: 'company', operator: 'CONTAINS', value: 'corp' }], actions: [{ type: 'NOTIFY', message: 'corp' }] });
  await createRule(admin.client, { module: 'LEADS', trigger: { type: 'FIELD_UPDATED', field: 'status', value: 'Contacted' }, actions: [{ type: 'NOTIFY', message: 'Contacted' }] });
  await createRule(admin.client, { module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'email', operator: 'IS_NOT_EMPTY' }], actions: [{ type: 'SEND_EMAIL', templateId: template.id, delay: { amount: 2, unit: 'DAYS' } }] });
}

const LEAD = { title: 'Sales Director', annualRevenue: '2500000', leadSource: 'Twitter', company: 'Initech Corp', phone: '+4930123456', employees: 300, address: { country: 'Spain' } };

describe('what automation costs a create', () => {
  it('adds a bounded number of statements per create, reading no rule from the database once cached, and sees rule changes at once', async () => {
    const plain = await signUpOrganization(server().client);
    const automated = await signUpOrganization(server().client);
    await automate(automated);
    await server().server.deps.jobs.runDue();
    await createLead(plain.client, LEAD);
    await createLead(automated.client, LEAD);
    const without = await server().countStatements(() => createLead(plain.client, LEAD));
    let lead: { id: string } | undefined;
    const withRules = await server().countStatements(async () => {
      lead = await createLead(automated.client, LEAD);
    });
    const readsRules = (statements: string[]): string[] => statements.filter((q) => /from "(scoring_rules|assignment_rules|workflow_rules)"/.test(q));
    expect(readsRules(without.statements)).toEqual([]);
    expect(readsRules(withRules.statements)).toEqual([]);
    // 10 scoring rules, 3 assignment entries and 5 workflow rules (4 firing) add 3 statements: the rotation's turn, the
    // task, and the events' statement (which carries the runs, their actions and the notifications). The tag and status
    // updates go into the insert (as the stored score does); the email two days on gets its job from the promoter later;
    // the savepoint around the task is left out.
    const counted = (statements: string[]): number => statements.filter((q) => !/^\s*(release )?savepoint /i.test(q)).length;
    expect(counted(withRules.statements) - counted(without.statements)).toBeLessThanOrEqual(3);
    expect(withRules.statements.filter((q) => /insert into pgboss\.job/i.test(q))).toEqual([]);
    expect(withRules.statements.filter((q) => /^\s*update "leads"/i.test(q))).toEqual([]);
    const { lead: read } = await automated.client.ok(`{ lead(id: "${lead?.id}") { score tags status owner { id } activities { subject } } }`);
    expect(read).toMatchObject({ tags: ['twitter'], status: 'Contact in Future', activities: [{ subject: 'Call' }] });
    expect(read.score).toBe(20 + 15 + 10 + 5 + 8 + 6 + 3 + 5 - 10);
    expect(read.owner.id).not.toBe(automated.userId);
    // A rule change is seen by the next write (the version moves in the change's transaction).
    const { scoringRules } = await automated.client.ok(`{ scoringRules(module: LEADS) { id name } }`);
    await automated.client.ok(`mutation($input: UpdateScoringRuleInput!) { updateScoringRule(input: $input) { id } }`, { input: { id: scoringRules[0].id, active: false } });
    const next = await createLead(automated.client, LEAD);
    const { lead: rescored } = await automated.client.ok(`{ lead(id: "${next.id}") { score } }`);
    expect(rescored.score).toBe(read.score - 20);
  });
});
