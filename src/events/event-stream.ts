import { DomainError } from '../shared/errors.js';
import type { EventRow } from './events.table.js';
import type { EventHub } from './event-hub.js';

export interface EventStreamOptions {
  readonly organizationId: string;
  /** Deliver events after this number; everything committed later arrives exactly once, in order. */
  readonly afterSeq: number;
  /** Whether this subscriber gets the event (its filter and its right to read the record). */
  readonly accept: (event: EventRow) => boolean | Promise<boolean>;
  /** Live events waiting beyond this many mean the client cannot keep up. */
  readonly maxQueued: number;
  /** Called once when the client fell too far behind; the stream then ends. */
  readonly onOverflow: () => void;
}

/**
 * One subscriber's events: first a replay from the outbox, then live events from the hub.
 * Numbers are gap-free, so the stream delivers only `position + 1` next: older ones are
 * duplicates (dropped), and a jump means events still to fetch from the outbox first. That makes
 * the seam between replay and live, and any missed wake-up, exact: no gap and no duplicate.
 *
 * A hand-written iterator rather than an async generator: `return()` must end a stream that is
 * waiting for the next event at once (a generator would only see it after its next yield).
 */
export class EventStream implements AsyncIterableIterator<EventRow> {
  private position: number;
  private readonly live: EventRow[] = [];
  private readonly ready: EventRow[] = [];
  private wakeUp: (() => void) | undefined;
  private finished = false;
  private replayed = false;
  private unsubscribe: () => void = () => undefined;

  private constructor(
    private readonly hub: EventHub,
    private readonly options: EventStreamOptions,
  ) {
    this.position = options.afterSeq;
  }

  /** Registers with the hub before the replay reads anything: whatever commits later reaches `live`. */
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
    for (;;) {
      if (this.finished) return { done: true, value: undefined };
      const event = this.ready.shift();
      if (event) return { done: false, value: event };
      await this.fill();
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
    if (this.finished) return;
    if (this.live.length >= this.options.maxQueued) {
      this.finish();
      this.options.onOverflow();
      return;
    }
    this.live.push(event);
    this.wakeUp?.();
  }

  /** Moves at least one step: catches up from the outbox, takes a live event, or waits for one. */
  private async fill(): Promise<void> {
    if (!this.replayed) {
      this.replayed = true;
      await this.catchUp(Number.MAX_SAFE_INTEGER);
      return;
    }
    const next = this.live.shift();
    if (next === undefined) {
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        if (this.live.length > 0 || this.finished) resolve();
      });
      this.wakeUp = undefined;
      return;
    }
    if (next.seq <= this.position) return;
    if (next.seq > this.position + 1) await this.catchUp(next.seq - 1);
    if (next.seq === this.position + 1) await this.deliver(next);
  }

  /** Reads the outbox after the position up to `through`; true when it delivered anything. */
  private async catchUp(through: number): Promise<boolean> {
    let moved = false;
    while (!this.finished && this.position < through) {
      const rows = await this.hub.readAfter(this.options.organizationId, this.position);
      // Numbers are gap-free, so a missing next number means retention pruned it mid-replay.
      if (rows[0] && rows[0].seq > this.position + 1) {
        this.finish();
        throw new DomainError('CURSOR_EXPIRED', 'Events after this cursor were pruned while replaying; reload and subscribe again');
      }
      const wanted = rows.filter((row) => row.seq <= through);
      for (const row of wanted) await this.deliver(row);
      moved ||= wanted.length > 0;
      if (rows.length === 0 || wanted.length < rows.length) break;
    }
    return moved;
  }

  private async deliver(event: EventRow): Promise<void> {
    if (this.finished || event.seq !== this.position + 1) return;
    this.position = event.seq;
    if (await this.options.accept(event)) this.ready.push(event);
  }
}
