import type { DealEventKind, Resolvers } from '../../generated/graphql.js';
import { encodeEventCursor } from '../../events/cursor.js';
import type { EventRow } from '../../events/events.table.js';
import { signedIn, subscriber } from '../../server/context.js';
import { pageSize } from '../../shared/pagination.js';
import { mustExist } from '../records/record.resolvers.js';
import { dealsBoard } from './deals-board.service.js';
import { moveDeal } from './deal-moves.service.js';
import { dealEventStream, isStageChange } from './deal-subscriptions.service.js';
import { dealOfEvent, moveOfEvent } from './deals.events.js';

const stageOf = (id: string | null, ctx: Parameters<typeof signedIn>[0]) => (id ? signedIn(ctx).loaders.pipelines.stageById.load(id) : null);

const eventFields = {
  cursor: (event: EventRow) => encodeEventCursor(event.seq),
  deal: (event: EventRow) => dealOfEvent(event),
  at: (event: EventRow) => event.at,
};

export const dealLiveResolvers: Resolvers = {
  Query: {
    dealsBoard: (_parent, args, ctx) => dealsBoard(signedIn(ctx), args),
  },
  Mutation: {
    moveDeal: (_parent, { input }, ctx) => moveDeal(signedIn(ctx), input),
  },
  Subscription: {
    dealEvents: {
      subscribe: (_parent, { pipelineId, after }, ctx) => dealEventStream(subscriber(ctx), { pipelineId, after }),
      resolve: (event: EventRow) => event,
    },
    dealStageChanged: {
      subscribe: (_parent, { pipelineId, after }, ctx) => dealEventStream(subscriber(ctx), { pipelineId, after, only: isStageChange }),
      resolve: (event: EventRow) => event,
    },
  },
  DealsBoard: {
    columns: (board) => board.columns,
  },
  BoardColumn: {
    deals: (column, { first, after }, ctx) => {
      if (first == null && after == null) return column.cards;
      return signedIn(ctx)
        .loaders.deals.boardColumn({ pipelineId: column.stage.pipelineId, filter: column.filter, first: pageSize(first), after: after ?? null })
        .load(column.stage.id);
    },
  },
  DealEvent: {
    ...eventFields,
    kind: (event) => event.kind as DealEventKind,
    dealId: (event) => event.recordId,
    actor: (event, _args, ctx) => (event.actorId ? signedIn(ctx).loaders.users.byId.load(event.actorId) : null),
    fromStage: (event, _args, ctx) => stageOf(moveOfEvent(event).fromStageId, ctx),
    toStage: (event, _args, ctx) => stageOf(moveOfEvent(event).toStageId, ctx),
  },
  DealStageChange: {
    ...eventFields,
    movedBy: (event, _args, ctx) => (event.actorId ? signedIn(ctx).loaders.users.byId.load(event.actorId) : null),
    fromStage: (event, _args, ctx) => stageOf(moveOfEvent(event).fromStageId, ctx),
    toStage: (event, _args, ctx) => mustExist(Promise.resolve(stageOf(moveOfEvent(event).toStageId, ctx)), 'stage'),
  },
  StageHistoryEntry: {
    fromStage: (row, _args, ctx) => stageOf(row.fromStageId, ctx),
    toStage: (row, _args, ctx) => mustExist(signedIn(ctx).loaders.pipelines.stageById.load(row.toStageId), 'stage'),
    movedBy: (row, _args, ctx) => (row.movedById ? signedIn(ctx).loaders.users.byId.load(row.movedById) : null),
  },
};

