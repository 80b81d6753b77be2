import type { PlanName, Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { countActiveUsers } from '../users/users.service.js';
import { cancelOrganizationDeletion, deleteOrganization, pauseOrganization, periodEndOf, resumeOrganization, updateSubscription } from './organization-lifecycle.service.js';
import { currentOrganization, updateOrganization } from './organizations.service.js';
import { planView } from './plans.js';
import { seatsOf } from './seats.js';

export const organizationResolvers: Resolvers = {
  Query: {
    organization: (_parent, _args, ctx) => currentOrganization(signedIn(ctx)),
  },
  Mutation: {
    updateOrganization: (_parent, { input }, ctx) => updateOrganization(signedIn(ctx), input),
    updateSubscription: (_parent, { input }, ctx) => updateSubscription(signedIn(ctx), input),
    pauseOrganization: (_parent, _args, ctx) => pauseOrganization(signedIn(ctx)),
    resumeOrganization: (_parent, _args, ctx) => resumeOrganization(signedIn(ctx)),
    deleteOrganization: (_parent, { input }, ctx) => deleteOrganization(signedIn(ctx), input),
    cancelOrganizationDeletion: (_parent, _args, ctx) => cancelOrganizationDeletion(signedIn(ctx)),
  },
  Organization: {
    plan: (row) => planView(row.plan),
    seats: (row) => seatsOf(row),
    activeUsers: (row, _args, ctx) => countActiveUsers(signedIn(ctx).db, row.id),
    paused: (row) => row.pausedAt !== null,
    periodEndsAt: (row) => periodEndOf(row),
    pendingSubscription: (row) =>
      row.pendingSubscription ? { ...row.pendingSubscription, plan: row.pendingSubscription.plan as PlanName, effectiveAt: periodEndOf(row) } : null,
  },
};
