import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import type { Role } from '../auth/viewer.js';
import { deactivateUser, getUser, inviteUser, listUsers } from './users.service.js';

export const userResolvers: Resolvers = {
  Query: {
    users: (_parent, { includeInactive }, ctx) => listUsers(signedIn(ctx), includeInactive ?? false),
    user: (_parent, { id }, ctx) => getUser(signedIn(ctx), id),
  },
  Mutation: {
    inviteUser: (_parent, { input }, ctx) => inviteUser(signedIn(ctx), input),
    deactivateUser: (_parent, { id }, ctx) => deactivateUser(signedIn(ctx), id),
  },
  User: {
    role: (row) => row.role as Role,
  },
};
