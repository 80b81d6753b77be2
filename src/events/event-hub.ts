import { and, asc, eq, gt } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { events, eventStreams, type EventRow } from './events.table.js';
import { EVENTS_CHANNEL } from './outbox.js';

export type EventListener = (event: EventRow) => void;

export interface EventHubOptions {
  /** How often organisations with subscribers are re-read even without a wake-up (a lost NOTIFY, a reconnect). */
  readonly pollIntervalMs: number;
}

const READ_BATCH = 500;

/**
 * One per process: listens for wake-ups from PostgreSQL (LISTEN on one connection), reads each
 * organisation's new events from the outbox once, and hands them to that organisation's
 * subscribers on this process. The outbox is the truth; NOTIFY and polling only say "look".
 */
export class EventHub {
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly lastRead = new Map<string, number>();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly rereadRequested = new Set<string>();
  private readonly starts = new Map<string, Promise<number>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly options: EventHubOptions,
  ) {}

  async start(): Promise<void> {
    const onNotify = (organizationId: string): void => this.wake(organizationId);
    if (this.database.driver.kind === 'postgres') {
      // postgres.js keeps one dedicated connection for LISTEN and re-listens after a reconnect;
      // onlisten then fires again, and everything is re-read in case a wake-up was missed meanwhile.
      const subscription = await this.database.driver.sql.listen(EVENTS_CHANNEL, onNotify, () => this.wakeAll());
      this.unlisten = () => subscription.unlisten();
    } else {
      const unsubscribe = await this.database.driver.pglite.listen(EVENTS_CHANNEL, onNotify);
      this.unlisten = () => unsubscribe();
    }
    this.pollTimer = setInterval(() => this.wakeAll(), this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.unlisten?.().catch(() => undefined);
    await Promise.allSettled([...this.reading.values()]);
    this.listeners.clear();
  }

  /**
   * Registers a listener for an organisation's events; returns the function that removes it.
   * Resolves once the hub knows where it reads from, so that everything committed after the
   * caller's own replay starts is dispatched to the listener.
   */
  async subscribe(organizationId: string, listener: EventListener): Promise<() => void> {
    let set = this.listeners.get(organizationId);
    if (!set) {
      set = new Set();
      this.listeners.set(organizationId, set);
    }
    set.add(listener);
    const remove = () => {
      const current = this.listeners.get(organizationId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(organizationId);
        this.lastRead.delete(organizationId);
      }
    };
    try {
      await this.startPosition(organizationId);
    } catch (error) {
      remove();
      throw error;
    }
    return remove;
  }

  /** Where the hub reads an organisation from: what was committed when it started following it. */
  private startPosition(organizationId: string): Promise<number> {
    const known = this.lastRead.get(organizationId);
    if (known !== undefined) return Promise.resolve(known);
    let starting = this.starts.get(organizationId);
    if (!starting) {
      starting = this.position(organizationId)
        .then(({ lastSeq }) => {
          if (!this.lastRead.has(organizationId)) this.lastRead.set(organizationId, lastSeq);
          return this.lastRead.get(organizationId) ?? lastSeq;
        })
        .finally(() => this.starts.delete(organizationId));
      this.starts.set(organizationId, starting);
    }
    return starting;
  }

  subscriberCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  /** The number of the organisation's latest committed event, and how far retention has pruned. */
  async position(organizationId: string): Promise<{ lastSeq: number; prunedThrough: number }> {
    const [row] = await this.database.db
      .select({ lastSeq: eventStreams.lastSeq, prunedThrough: eventStreams.prunedThrough })
      .from(eventStreams)
      .where(eq(eventStreams.organizationId, organizationId));
    return row ?? { lastSeq: 0, prunedThrough: 0 };
  }

  /** Committed events after `afterSeq`, oldest first. */
  readAfter(organizationId: string, afterSeq: number, limit = READ_BATCH): Promise<EventRow[]> {
    return this.database.db
      .select()
      .from(events)
      .where(and(eq(events.organizationId, organizationId), gt(events.seq, afterSeq)))
      .orderBy(asc(events.seq))
      .limit(limit);
  }

  /** Something may have been committed for this organisation: read and dispatch it (once at a time). */
  wake(organizationId: string): void {
    if (this.stopped || !this.listeners.has(organizationId)) return;
    if (this.reading.has(organizationId)) {
      this.rereadRequested.add(organizationId);
      return;
    }
    const read = this.drain(organizationId)
      .catch((error: unknown) => this.logger.warn('reading events failed; the next wake-up retries', { error, organizationId }))
      .finally(() => this.reading.delete(organizationId));
    this.reading.set(organizationId, read);
  }

  private wakeAll(): void {
    for (const organizationId of this.listeners.keys()) this.wake(organizationId);
  }

  private async drain(organizationId: string): Promise<void> {
    // Subscribers replay anything older than where the hub starts themselves.
    let last = this.lastRead.get(organizationId) ?? (await this.startPosition(organizationId));
    for (;;) {
      this.rereadRequested.delete(organizationId);
      const rows = await this.readAfter(organizationId, last);
      for (const row of rows) {
        last = row.seq;
        for (const listener of this.listeners.get(organizationId) ?? []) listener(row);
      }
      if (this.listeners.has(organizationId)) this.lastRead.set(organizationId, last);
      if (rows.length < READ_BATCH && !this.rereadRequested.has(organizationId)) return;
    }
  }
}
