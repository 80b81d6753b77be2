import type { GraphQLClient } from '../helpers/graphql-client.js';
import { unique } from './unique.js';

export const RULE_FIELDS = `id name module active webhookSecret version
  trigger { type field value offset unit threshold }
  criteria { field operator value values }
  actions { type delay { amount unit relativeTo } userIds message templateId recipient fields subject dueInDays tags ownerId url }`;

export async function createRule(client: GraphQLClient, input: Record<string, unknown>): Promise<{ id: string; webhookSecret: string; [field: string]: unknown }> {
  const data = await client.ok<{ createWorkflowRule: { id: string; webhookSecret: string } }>(
    `mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { ${RULE_FIELDS} } }`,
    { input: { name: unique('Rule'), ...input } },
  );
  return data.createWorkflowRule;
}

export async function createTemplate(client: GraphQLClient, fields: { subject: string; body: string }): Promise<{ id: string }> {
  const data = await client.ok<{ createEmailTemplate: { id: string } }>(`mutation($input: CreateEmailTemplateInput!) { createEmailTemplate(input: $input) { id } }`, {
    input: { name: unique('Template'), ...fields },
  });
  return data.createEmailTemplate;
}

export const RUNS = `query($filter: WorkflowRunFilter, $first: Int, $after: String) {
  workflowRuns(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id recordId module trigger status error createdAt finishedAt rule { id name }
      actions { index type status scheduledFor error completedAt webhookAttempts { attempt url statusCode error durationMs at } } }
  }
}`;

export interface RunShape {
  id: string;
  recordId: string;
  trigger: string;
  status: string;
  error: string | null;
  rule: { id: string };
  actions: { index: number; type: string; status: string; scheduledFor: string | null; error: string | null; webhookAttempts: { attempt: number; statusCode: number | null }[] }[];
}

export async function runsOf(client: GraphQLClient, filter: Record<string, unknown>): Promise<RunShape[]> {
  const data = await client.ok<{ workflowRuns: { nodes: RunShape[] } }>(RUNS, { filter, first: 200 });
  return data.workflowRuns.nodes;
}

export const NOTIFICATIONS = `query($unreadOnly: Boolean, $first: Int, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    totalCount unreadCount pageInfo { hasNextPage endCursor }
    nodes { id title body module recordId ruleId read readAt createdAt }
  }
}`;

export interface NotificationShape {
  id: string;
  title: string;
  module: string | null;
  recordId: string | null;
  ruleId: string | null;
  read: boolean;
}

export async function notificationsOf(client: GraphQLClient, unreadOnly = false): Promise<{ totalCount: number; unreadCount: number; nodes: NotificationShape[] }> {
  const data = await client.ok<{ notifications: { totalCount: number; unreadCount: number; nodes: NotificationShape[] } }>(NOTIFICATIONS, { unreadOnly, first: 100 });
  return data.notifications;
}
