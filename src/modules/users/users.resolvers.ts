import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import type { Role } from '../auth/viewer.js';
import { notFound } from '../../shared/errors.js';
import { deactivateUser, getUser, inviteUser, listUsers, updateUser } from './users.service.js';

export const userResolvers: Resolvers = {
  Query: {
    users: (_parent, { includeInactive }, ctx) => listUsers(signedIn(ctx), includeInactive ?? false),
    user: (_parent, { id }, ctx) => getUser(signedIn(ctx), id),
  },
  Mutation: {
    inviteUser: (_parent, { input }, ctx) => inviteUser(signedIn(ctx), input),
    updateUser: (_parent, { input }, ctx) => updateUser(signedIn(ctx), input),
    deactivateUser: (_parent, { id }, ctx) => deactivateUser(signedIn(ctx), id),
  },
  User: {
    role: (row) => row.role as Role,
    profile: async (row, _args, ctx) => {
      const profile = await signedIn(ctx).loaders.accessControl.profileById.load(row.profileId);
      if (!profile) throw notFound('Profile');
      return profile;
    },
    hierarchyRole: (row, _args, ctx) => (row.roleId ? signedIn(ctx).loaders.accessControl.roleById.load(row.roleId) : null),
  },
};
