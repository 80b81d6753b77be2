import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { changesOf } from './timeline.service.js';

export const timelineResolvers: Resolvers = {
  TimelineEntry: {
    actor: (row, _args, ctx) => (row.actorId ? signedIn(ctx).loaders.users.byId.load(row.actorId) : null),
    changes: (row) => changesOf(row),
  },
};
