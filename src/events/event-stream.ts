import { DomainError } from '../shared/errors.js';
import type { EventRow } from './events.table.js';
import type { EventHub } from './event-hub.js';

export interface EventStreamOptions {
  readonly organizationId: string;
  /** Deliver events after this number; everything committed later arrives exactly once, in order. */
  readonly afterSeq: number;
  /** Whether this subscriber gets the event (its filter and its right to read the record). */
  readonly accept: (event: EventRow) => boolean | Promise<boolean>;
  /** How many of the organisation's events the subscriber may lag behind ... */
  readonly maxLag: number;
  /** ... while not taking any event for this long, before it counts as too slow. */
  readonly stallMs: number;
  /** Called once when the client fell too far behind; the stream then ends. */
  readonly onOverflow: () => void;
}

const READ_BATCH = 200;
/** Live events kept in memory while the stream keeps up; beyond that it re-reads the outbox. */
const LIVE_WINDOW = 500;

/**
 * One subscriber's events. The outbox is the source: a replay reads it a batch at a time at the
 * client's pace, and live events from the hub are used directly only while the stream keeps up
 * (they are the next numbers); otherwise the hub's events only say how far the outbox goes and
 * the stream reads them from there. Numbers are gap-free, so delivering only `position + 1` next
 * makes the seam between replay and live exact: no gap and no duplicate. Memory per subscriber
 * stays bounded (one batch plus a small live window) however far behind it is.
 *
 * A hand-written iterator rather than an async generator: `return()` must end a stream that is
 * waiting for the next event at once (a generator would only see it after its next yield).
 */
export class EventStream implements AsyncIterableIterator<EventRow> {
  private position: number;
  /** The highest number known to be committed (from the hub, or the last full batch read). */
  private latestKnown: number;
  private readonly live: EventRow[] = [];
  private readonly ready: EventRow[] = [];
  private wakeUp: (() => void) | undefined;
  private finished = false;
  /** Whether the consumer is inside next(), and when it last left it (to tell stuck from busy). */
  private pulling = false;
  private lastPull = Date.now();
  private unsubscribe: () => void = () => undefined;

  private constructor(
    private readonly hub: EventHub,
    private readonly options: EventStreamOptions,
  ) {
    this.position = options.afterSeq;
    // Unknown until read: the first fill reads the outbox after the cursor (the replay).
    this.latestKnown = Number.MAX_SAFE_INTEGER;
  }

  /** Registers with the hub before the replay reads anything: whatever commits later is announced. */
  static async open(hub: EventHub, options: EventStreamOptions): Promise<EventStream> {
    const stream = new EventStream(hub, options);
    stream.unsubscribe = await hub.subscribe(options.organizationId, (event) => stream.push(event));
    hub.wake(options.organizationId);
    return stream;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<EventRow>> {
    this.pulling = true;
    try {
      for (;;) {
        if (this.finished) return { done: true, value: undefined };
        const event = this.ready.shift();
        if (event) return { done: false, value: event };
        await this.fill();
      }
    } catch (error) {
      // graphql-ws does not call return() after a rejected next(): unregister here.
      this.finish();
      throw error;
    } finally {
      this.pulling = false;
      this.lastPull = Date.now();
    }
  }

  async return(): Promise<IteratorResult<EventRow>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<EventRow>> {
    this.finish();
    throw error;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe();
    this.live.length = 0;
    this.ready.length = 0;
    this.wakeUp?.();
  }

  private push(event: EventRow): void {
    if (this.finished || event.seq <= this.position) return;
    if (this.latestKnown === Number.MAX_SAFE_INTEGER || event.seq > this.latestKnown) this.latestKnown = event.seq;
    // Far behind is fine while the client keeps taking events (a replay); far behind and stuck is not.
    const stuck = !this.pulling && Date.now() - this.lastPull > this.options.stallMs;
    if (stuck && this.latestKnown - this.position > this.options.maxLag) {
      this.finish();
      this.options.onOverflow();
      return;
    }
    const next = this.position + this.live.length + 1;
    if (event.seq === next && this.live.length < LIVE_WINDOW) this.live.push(event);
    this.wakeUp?.();
  }

  /** Moves at least one step: takes the next live event, reads a batch from the outbox, or waits. */
  private async fill(): Promise<void> {
    const next = this.live.shift();
    if (next) {
      if (next.seq === this.position + 1) await this.deliver(next);
      else this.live.length = 0;
      return;
    }
    if (this.latestKnown > this.position) {
      await this.readBatch();
      return;
    }
    await new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      if (this.live.length > 0 || this.finished || this.latestKnown > this.position) resolve();
    });
    this.wakeUp = undefined;
  }

  /** One batch of the outbox after the position. */
  private async readBatch(): Promise<void> {
    const rows = await this.hub.readAfter(this.options.organizationId, this.position, READ_BATCH);
    // Numbers are gap-free, so a missing next number means retention pruned it meanwhile.
    if (rows[0] && rows[0].seq > this.position + 1) {
      throw new DomainError('CURSOR_EXPIRED', 'Events after this cursor were pruned while replaying; reload and subscribe again');
    }
    for (const row of rows) await this.deliver(row);
    const last = rows[rows.length - 1];
    if (rows.length < READ_BATCH) {
      // Caught up with the outbox: from here the hub announces what comes next.
      if (this.latestKnown === Number.MAX_SAFE_INTEGER || this.latestKnown < this.position) this.latestKnown = this.position;
    } else if (last && this.latestKnown < last.seq + 1) {
      this.latestKnown = last.seq + 1;
    }
    while (this.live[0] && this.live[0].seq <= this.position) this.live.shift();
  }

  private async deliver(event: EventRow): Promise<void> {
    if (this.finished || event.seq !== this.position + 1) return;
    this.position = event.seq;
    if (await this.options.accept(event)) this.ready.push(event);
  }
}
