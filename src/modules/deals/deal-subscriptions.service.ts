import type { EventStream } from '../../events/event-stream.js';
import type { EventRow } from '../../events/events.table.js';
import type { Subscriber } from '../../server/context.js';
import { openSubscriberStream } from '../../server/subscriber-stream.js';
import { canReadRecord } from '../auth/access.js';
import { getPipeline } from '../pipelines/pipelines.service.js';
import { DEAL_TOPIC, dealOfEvent, moveOfEvent } from './deals.events.js';

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
  return openSubscriberStream(
    s,
    options.after,
    (event) =>
      event.topic === DEAL_TOPIC &&
      (!options.pipelineId || event.scopeId === options.pipelineId) &&
      (!options.only || options.only(event)) &&
      canReadRecord(s.viewer, 'deals', dealOfEvent(event)),
  );
}

export const isStageChange = (event: EventRow): boolean => {
  if (event.kind !== 'MOVED') return false;
  const { fromStageId, toStageId } = moveOfEvent(event);
  return fromStageId !== toStageId;
};
