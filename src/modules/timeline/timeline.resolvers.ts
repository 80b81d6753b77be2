import type { Resolvers } from '../../generated/graphql.js';
import { signedIn } from '../../server/context.js';
import { entryForViewer } from './timeline.service.js';

export const timelineResolvers: Resolvers = {
  TimelineEntry: {
    actor: (row, _args, ctx) => (row.actorId ? signedIn(ctx).loaders.users.byId.load(row.actorId) : null),
    summary: (row, _args, ctx) => entryForViewer(signedIn(ctx).viewer, row).summary,
    changes: (row, _args, ctx) => entryForViewer(signedIn(ctx).viewer, row).changes,
    data: (row, _args, ctx) => entryForViewer(signedIn(ctx).viewer, row).data,
  },
};
