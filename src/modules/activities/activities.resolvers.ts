import type { ActivityPriority, ActivityStatus, ActivityType, CallDirection, Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { customFieldsOf } from '../customization/customization.resolvers.js';
import { connectionFields, found, relatedRecordField, userField } from '../records/record.resolvers.js';
import { nameOf } from '../records/record-store.js';
import { ACTIVITY } from './activities.kind.js';
import { createActivity, deleteActivity, listActivities, restoreActivity, updateActivity } from './activities.service.js';

export const activityResolvers: Resolvers = {
  Query: {
    activity: (_parent, { id }, ctx) => found(signedIn(ctx).loaders.activities.byId.load(id), nameOf(ACTIVITY)),
    activities: (_parent, args, ctx) => listActivities(signedIn(ctx), args),
  },
  Mutation: {
    createActivity: (_parent, { input }, ctx) => createActivity(signedIn(ctx), input),
    updateActivity: (_parent, { input }, ctx) => updateActivity(signedIn(ctx), input),
    deleteActivity: (_parent, { id }, ctx) => deleteActivity(signedIn(ctx), id),
    restoreActivity: (_parent, { id }, ctx) => restoreActivity(signedIn(ctx), id),
  },
  Activity: {
    ...customFieldsOf('activities'),
    type: (row) => row.type as ActivityType,
    status: (row) => row.status as ActivityStatus,
    priority: (row) => row.priority as ActivityPriority,
    callDirection: (row) => row.callDirection as CallDirection | null,
    owner: userField((row) => row.ownerId),
    createdBy: (row, _args, ctx) => (row.createdById ? signedIn(ctx).loaders.users.byId.load(row.createdById) : null),
    relatedTo: relatedRecordField,
  },
  ActivityConnection: connectionFields,
};
