import type { EventStream } from '../../events/event-stream.js';
import type { Subscriber } from '../../server/context.js';
import { openSubscriberStream } from '../../server/subscriber-stream.js';
import { getImport, IMPORT_TOPIC } from './imports.service.js';

/** One import's progress events, replayed from `after` and then live (the outbox's guarantees). */
export async function importProgressStream(s: Subscriber, id: string, after: string | null | undefined): Promise<EventStream> {
  await getImport(s.db, s.viewer, id);
  return openSubscriberStream(s, after, (event) => event.topic === IMPORT_TOPIC && event.recordId === id);
}
