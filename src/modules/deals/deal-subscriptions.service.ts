import { resolveStart } from '../../events/positions.js';
import { EventStream } from '../../events/event-stream.js';
import type { EventRow } from '../../events/events.table.js';
import type { Subscriber } from '../../server/context.js';
import { canReadRecord } from '../auth/access.js';
import { getPipeline } from '../pipelines/pipelines.service.js';
import { DEAL_TOPIC, dealOfEvent, moveOfEvent } from './deals.events.js';

export const TOO_SLOW_CLOSE_CODE = 4008;

interface DealStreamOptions {
  readonly pipelineId: string | null | undefined;
  readonly after: string | null | undefined;
  /** Further narrowing, e.g. stage changes only. */
  readonly only?: (event: EventRow) => boolean;
}

/**
 * A subscriber's deal events: replayed from `after`, then live; each checked against the
 * subscriber's right to read the deal at the moment it is sent.
 */
export async function dealEventStream(s: Subscriber, options: DealStreamOptions): Promise<EventStream> {
  if (options.pipelineId) await getPipeline(s, options.pipelineId);
  const afterSeq = await resolveStart(s.db, s.viewer.organizationId, options.after);
  return EventStream.open(s.hub, {
    organizationId: s.viewer.organizationId,
    afterSeq,
    maxLag: s.config.subscriberMaxQueue,
    stallMs: s.config.subscriberStallMs,
    onOverflow: () => s.closeConnection(TOO_SLOW_CLOSE_CODE, 'Too far behind: reconnect and resubscribe with after: <last cursor>'),
    accept: async (event) =>
      (await s.stillActive()) &&
      event.topic === DEAL_TOPIC &&
      (!options.pipelineId || event.scopeId === options.pipelineId) &&
      (!options.only || options.only(event)) &&
      canReadRecord(s.viewer, 'deals', dealOfEvent(event)),
  });
}

export const isStageChange = (event: EventRow): boolean => {
  if (event.kind !== 'MOVED') return false;
  const { fromStageId, toStageId } = moveOfEvent(event);
  return fromStageId !== toStageId;
};
