import { encodeEventCursor } from '../../events/cursor.js';
import type { EventRow } from '../../events/events.table.js';
import type { Resolvers, WorkflowModule } from '../../generated/graphql.js';
import { signedIn, subscriber } from '../../server/context.js';
import { connectionFields } from '../records/record.resolvers.js';
import { moduleOf } from '../workflows/workflow-definition.js';
import { listNotifications, markNotificationsRead, notificationOfEvent, notificationStream } from './notifications.service.js';
import type { NotificationRow } from './notifications.table.js';

export const notificationResolvers: Resolvers = {
  Query: {
    notifications: (_parent, args, ctx) => listNotifications(signedIn(ctx), args),
  },
  Mutation: {
    markNotificationsRead: (_parent, { input }, ctx) => markNotificationsRead(signedIn(ctx), input),
  },
  Subscription: {
    notifications: {
      subscribe: (_parent, { after }, ctx) => notificationStream(subscriber(ctx), after),
      resolve: (event: EventRow) => ({ ...notificationOfEvent(event), cursor: encodeEventCursor(event.seq) }),
    },
  },
  Notification: {
    module: (row) => (row.module ? (moduleOf(row.module).graphql as WorkflowModule) : null),
    read: (row) => row.readAt !== null,
    cursor: (row) => (row as NotificationRow & { cursor?: string }).cursor ?? null,
  },
  NotificationConnection: {
    ...connectionFields,
    unreadCount: (page) => page.unreadCount(),
  },
};
