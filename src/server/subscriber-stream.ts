import { EventStream } from '../events/event-stream.js';
import type { EventRow } from '../events/events.table.js';
import { resolveStart } from '../events/positions.js';
import type { Subscriber } from './context.js';
import { ACCESS_TOPIC, versionOfAccessEvent } from '../modules/access-control/access-version.js';

/** Close code for a subscriber that fell too far behind: reconnect and resume from the last cursor. */
export const CLOSE_TOO_SLOW = 4008;

/**
 * Every subscription's stream: starts after the client's cursor (or now), applies the lag limits,
 * closes a stalled client with 4008, reloads access before the next event when it changes, and
 * stops at once for a deactivated user or revoked credentials; `accept` adds the
 * subscription's own filter and read check.
 */
export async function openSubscriberStream(
  s: Subscriber,
  after: string | null | undefined,
  accept: (event: EventRow) => boolean,
): Promise<EventStream> {
  const afterSeq = await resolveStart(s.db, s.viewer.organizationId, after);
  return EventStream.open(s.hub, {
    organizationId: s.viewer.organizationId,
    afterSeq,
    maxLag: s.config.subscriberMaxQueue,
    stallMs: s.config.subscriberStallMs,
    onOverflow: () => s.closeConnection(CLOSE_TOO_SLOW, 'Too far behind: reconnect and resubscribe with after: <last cursor>'),
    accept: async (event) => {
      // Access changes travel in the same ordered outbox: every later event sees current access.
      if (event.topic === ACCESS_TOPIC) {
        await s.refreshAccess(versionOfAccessEvent(event.data));
        return false;
      }
      return (await s.stillActive()) && accept(event);
    },
  });
}
