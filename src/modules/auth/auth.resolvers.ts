import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { mustExist } from '../records/record.resolvers.js';
import { acceptInvitation, logIn, signUp } from './auth.service.js';

export const authResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, ctx) => {
      const session = signedIn(ctx);
      return mustExist(session.loaders.users.byId.load(session.viewer.userId), 'signed-in user');
    },
  },
  Mutation: {
    signUp: (_parent, { input }, ctx) => signUp(ctx.deps, input),
    logIn: (_parent, { input }, ctx) => logIn(ctx.deps, input, ctx.clientAddress ?? 'unknown'),
    acceptInvitation: (_parent, { input }, ctx) => acceptInvitation(ctx.deps, input),
  },
};
