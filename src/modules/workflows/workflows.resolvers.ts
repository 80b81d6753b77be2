import type { Resolvers, WorkflowModule } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { connectionFields } from '../records/record.resolvers.js';
import { moduleOf } from './workflow-definition.js';
import {
  activateWorkflowRule,
  createEmailTemplate,
  createWorkflowRule,
  deactivateWorkflowRule,
  deleteWorkflowRule,
  getWorkflowRule,
  listEmailTemplates,
  listWorkflowRules,
  listWorkflowRuns,
  updateWorkflowRule,
} from './workflows.service.js';

const graphqlModule = (module: string): WorkflowModule => moduleOf(module).graphql;

export const workflowResolvers: Resolvers = {
  Query: {
    workflowRules: (_parent, { module }, ctx) => listWorkflowRules(signedIn(ctx), module),
    workflowRule: (_parent, { id }, ctx) => getWorkflowRule(signedIn(ctx), id),
    workflowRuns: (_parent, args, ctx) => listWorkflowRuns(signedIn(ctx), args),
    emailTemplates: (_parent, _args, ctx) => listEmailTemplates(signedIn(ctx)),
  },
  Mutation: {
    createWorkflowRule: (_parent, { input }, ctx) => createWorkflowRule(signedIn(ctx), input),
    updateWorkflowRule: (_parent, { input }, ctx) => updateWorkflowRule(signedIn(ctx), input),
    deleteWorkflowRule: (_parent, { id }, ctx) => deleteWorkflowRule(signedIn(ctx), id),
    activateWorkflowRule: (_parent, { id }, ctx) => activateWorkflowRule(signedIn(ctx), id),
    deactivateWorkflowRule: (_parent, { id }, ctx) => deactivateWorkflowRule(signedIn(ctx), id),
    createEmailTemplate: (_parent, { input }, ctx) => createEmailTemplate(signedIn(ctx), input),
  },
  WorkflowRule: {
    module: (row) => graphqlModule(row.module),
  },
  WorkflowRun: {
    module: (row) => graphqlModule(row.module),
    trigger: (row) => row.trigger as never,
    status: (row) => row.status as never,
    rule: async (row, _args, ctx) => {
      const rule = await signedIn(ctx).loaders.workflows.rules.load(row.ruleId);
      if (!rule) throw new Error('run without its rule');
      return rule;
    },
    actions: (row, _args, ctx) => signedIn(ctx).loaders.workflows.actionsOfRun.load(row.id),
  },
  WorkflowRunAction: {
    index: (row) => row.actionIndex,
    type: (row) => row.type as never,
    status: (row) => row.status as never,
    webhookAttempts: (row, _args, ctx) => signedIn(ctx).loaders.workflows.webhookAttempts.load(`${row.runId}:${row.actionIndex}`),
  },
  WorkflowRunConnection: connectionFields,
};
