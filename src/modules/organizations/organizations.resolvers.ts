import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { currentOrganization, updateOrganization } from './organizations.service.js';

export const organizationResolvers: Resolvers = {
  Query: {
    organization: (_parent, _args, ctx) => currentOrganization(signedIn(ctx)),
  },
  Mutation: {
    updateOrganization: (_parent, { input }, ctx) => updateOrganization(signedIn(ctx), input),
  },
};
