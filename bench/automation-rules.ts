/**
 * The automation benchmark's rule set (issue 5: 10 scoring rules, an assignment rule of 3 entries,
 * 5 workflow rules), created through GraphQL: shared by bench:automation and, with BENCH_RULES=1,
 * bench:import, so both measure the same rules.
 */
import type { BenchTenant } from './live-data.js';
import { graphqlRequest } from './live-graphql.js';

const gql = (url: string, tenant: BenchTenant, query: string, input: Record<string, unknown>): Promise<unknown> => graphqlRequest(url, tenant.token, query, { input });

/** Ten scoring rules on leads: field criteria of every kind, signal points and decay. */
export async function createScoringRules(url: string, tenant: BenchTenant): Promise<void> {
  const rules = [
    { name: 'Directors', fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'Director', points: 20 }] },
    { name: 'Served markets', fieldScores: [{ field: 'country', operator: 'NOT_IN', values: ['Germany', 'France', 'United States'], points: -10 }] },
    { name: 'Big revenue', fieldScores: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1_000_000, points: 15 }] },
    { name: 'Social leads', fieldScores: [{ field: 'leadSource', operator: 'IN', values: ['Twitter', 'Facebook', 'LinkedIn'], points: 10 }] },
    { name: 'Reachable', fieldScores: [{ field: 'email', operator: 'IS_NOT_EMPTY', points: 5 }, { field: 'phone', operator: 'IS_NOT_EMPTY', points: 5 }] },
    { name: 'Corporations', fieldScores: [{ field: 'company', operator: 'CONTAINS', value: 'corp', points: 8 }] },
    { name: 'Mid-size', fieldScores: [{ field: 'employees', operator: 'BETWEEN', values: [50, 5000], points: 6 }] },
    { name: 'Not cold calls', fieldScores: [{ field: 'leadSource', operator: 'NOT_EQUALS', value: 'Cold Call', points: 3 }] },
    { name: 'Engagement', signalScores: [{ kind: 'EMAIL_OPENED', points: 5, maxPoints: 25 }, { kind: 'EMAIL_CLICKED', points: 10 }, { kind: 'WEBSITE_VISIT', points: 2, maxPoints: 20 }] },
    { name: 'Going cold', fieldScores: [{ field: 'status', operator: 'EQUALS', value: 'Not Contacted', points: 1 }], decay: { points: 5, everyDays: 7, maxPoints: 30 } },
  ];
  for (const rule of rules) {
    await gql(url, tenant, 'mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }', { module: 'LEADS', ...rule });
  }
}

/** One assignment rule of three entries: Twitter leads to a rotation, big companies to one seller, the rest to everyone in turn. */
export async function createAssignmentRule(url: string, tenant: BenchTenant): Promise<void> {
  const { users } = await graphqlRequest<{ users: { id: string }[] }>(url, tenant.token, '{ users { id } }');
  const ids = users.map((user) => user.id);
  if (ids.length < 4) throw new Error('the rules tenant needs four users');
  await gql(url, tenant, 'mutation($input: CreateAssignmentRuleInput!) { createAssignmentRule(input: $input) { id } }', {
    module: 'LEADS',
    name: 'Lead routing',
    entries: [
      { criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }], strategy: 'ROUND_ROBIN', userIds: ids.slice(0, 2) },
      { criteria: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1_000_000 }], strategy: 'USER', userIds: [ids[2]] },
      { criteria: [], strategy: 'ROUND_ROBIN', userIds: ids },
    ],
    fallbackOwnerId: ids[0],
  });
}

/** The five workflow rules of the measured side: what a Zoho admin's first week sets up. */
export async function createWorkflowRules(url: string, tenant: BenchTenant): Promise<void> {
  const { createEmailTemplate } = await graphqlRequest<{ createEmailTemplate: { id: string } }>(
    url,
    tenant.token,
    'mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }',
    { input: { name: 'Follow-up', subject: 'Following up, {{lead.firstName}}', body: 'Hello {{lead.firstName}},\n{{owner.name}}' } },
  );
  const rules = [
    {
      name: 'Twitter leads',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }],
      actions: [
        { type: 'NOTIFY', message: 'New lead from Twitter: {{lead.lastName}}' },
        { type: 'ADD_TAGS', tags: ['twitter'] },
        { type: 'UPDATE_FIELDS', fields: { status: 'Contact in Future' } },
      ],
    },
    { name: 'Big companies', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: 1_000_000 }], actions: [{ type: 'CREATE_TASK', subject: 'Call {{lead.company}}', dueInDays: 1 }] },
    { name: 'Corporations', trigger: { type: 'ON_CREATE_OR_EDIT' }, criteria: [{ field: 'company', operator: 'CONTAINS', value: 'corp' }], actions: [{ type: 'NOTIFY', message: '{{lead.company}} is a corporation' }] },
    { name: 'Contacted', trigger: { type: 'FIELD_UPDATED', field: 'status', value: 'Contacted' }, actions: [{ type: 'NOTIFY', message: 'Contacted {{lead.lastName}}' }] },
    { name: 'Follow-up in two days', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'email', operator: 'IS_NOT_EMPTY' }], actions: [{ type: 'SEND_EMAIL', templateId: createEmailTemplate.id, delay: { amount: 2, unit: 'DAYS' } }] },
  ];
  for (const rule of rules) {
    await graphqlRequest(url, tenant.token, 'mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }', { input: { module: 'LEADS', ...rule } });
  }
}

/** All three: what an organisation with automation set up has. */
export async function createAutomationRules(url: string, tenant: BenchTenant): Promise<void> {
  await createScoringRules(url, tenant);
  await createAssignmentRule(url, tenant);
  await createWorkflowRules(url, tenant);
}
