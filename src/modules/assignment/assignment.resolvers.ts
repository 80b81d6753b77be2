import type { AssignmentModule, Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import type { UserRow } from '../users/users.table.js';
import { createAssignmentRule, deleteAssignmentRule, listAssignmentRules, updateAssignmentRule } from './assignment.service.js';

export const assignmentResolvers: Resolvers = {
  Query: {
    assignmentRules: (_parent, { module }, ctx) => listAssignmentRules(signedIn(ctx), module),
  },
  Mutation: {
    createAssignmentRule: (_parent, { input }, ctx) => createAssignmentRule(signedIn(ctx), input),
    updateAssignmentRule: (_parent, { input }, ctx) => updateAssignmentRule(signedIn(ctx), input),
    deleteAssignmentRule: (_parent, { id }, ctx) => deleteAssignmentRule(signedIn(ctx), id),
  },
  AssignmentRule: {
    module: (row) => row.module.toUpperCase() as AssignmentModule,
    fallbackOwner: (row, _args, ctx) => (row.fallbackOwnerId ? signedIn(ctx).loaders.users.byId.load(row.fallbackOwnerId) : null),
  },
  AssignmentEntry: {
    users: async (entry, _args, ctx) => {
      const rows = await signedIn(ctx).loaders.users.byId.loadMany([...entry.userIds]);
      return rows.filter((user): user is UserRow => user !== null && !(user instanceof Error));
    },
  },
};

