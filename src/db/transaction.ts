import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './database.js';
import { namedStatements } from './named-statements.js';
import { LAST_STATEMENT_PLANS } from './generic-plans.js';
import { emitEvents, type OutboxEvent } from '../events/outbox.js';

interface Pending {
  readonly organizationId: string;
  readonly actorId: string | null;
  readonly events: OutboxEvent[];
}

const pendingEvents = new WeakMap<Db, Pending>();
const openTransactions = new WeakSet<Db>();

/** When false, events are not written (the move-throughput benchmark's baseline only). */
let publicationEnabled = true;
export function setEventPublication(enabled: boolean): void {
  publicationEnabled = enabled;
}

/**
 * A transaction whose events are written at its very end: the outbox takes the organisation's
 * stream lock, and taking it last keeps the time it is held (and any lock-order deadlock) minimal.
 */
export function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    openTransactions.add(tx as Db);
    let result: T;
    try {
      result = await work(tx as Db);
    } catch (error) {
      // A write sent behind that failed is why what followed it failed ("transaction is aborted").
      const failure = await failureBehind(tx as Db);
      throw failure ? failure.error : error;
    }
    const failure = await failureBehind(tx as Db);
    if (failure) throw failure.error;
    const pending = pendingEvents.get(tx as Db);
    const kept = keptForEnd.get(tx as Db);
    const writes = kept?.writes ?? [];
    // One round trip: the kept statements, then the events with the kept writes in their statement.
    // Newest first: a kept savepoint release must come before the release of one opened earlier.
    await Promise.all([
      ...[...(kept?.sends ?? [])].reverse().map((send) => send()),
      pending && publicationEnabled
        ? emitEvents(tx as Db, pending.organizationId, pending.actorId, pending.events, writes)
        : writes.length > 0
          ? tx.execute(sql`with ${namedStatements('kept', writes)} select 1${LAST_STATEMENT_PLANS}`)
          : undefined,
    ]);
    return result;
  });
}

interface Kept {
  readonly writes: SQL[];
  readonly sends: (() => PromiseLike<unknown>)[];
}

const keptForEnd = new WeakMap<Db, Kept>();

/**
 * Writes nothing later in the transaction reads (a create's workflow runs and notifications),
 * kept for its end: `writes` go in the events' statement, `sends` (statements of their own, e.g. a
 * job queue's insert) are pipelined with it, so they cost no round trip of their own. False when
 * `tx` is not an `inTransaction` transaction (a savepoint, a pool): the caller writes them itself.
 * A kept write that fails fails the transaction, as it would have where it was made. Sends run
 * newest first (a savepoint's release, kept, must precede the release of an enclosing one).
 */
export function writeAtEnd(tx: Db, writes: readonly SQL[], sends: readonly (() => PromiseLike<unknown>)[] = []): boolean {
  if (!openTransactions.has(tx)) return false;
  let kept = keptForEnd.get(tx);
  if (!kept) {
    kept = { writes: [], sends: [] };
    keptForEnd.set(tx, kept);
  }
  kept.writes.push(...writes);
  kept.sends.push(...sends);
  return true;
}

/** Writes sent behind in an open transaction, each settled to its failure (or null). */
const behind = new WeakMap<Db, Promise<{ readonly error: unknown } | null>[]>();

/**
 * Statements nothing in the transaction waits for (a bulk write's scores, workflow runs and
 * actions): sent now, in order, and awaited at the transaction's end, so the process goes on with
 * its next batch while PostgreSQL writes this one. The transaction's later statements run after
 * them (one connection, in order), so they read what these wrote. A failure fails the transaction
 * with its own error. Outside an `inTransaction` transaction (a savepoint, a pool), it waits for them.
 * `send` gives the statements in the order they must run: Drizzle's queries start when awaited,
 * and these start here, one after the other, before anything else can be sent.
 */
export async function writeBehind(tx: Db, send: () => readonly PromiseLike<unknown>[]): Promise<void> {
  if (!openTransactions.has(tx)) {
    await Promise.all(send());
    return;
  }
  readBehind(tx, send);
}

/**
 * `writeBehind` for statements whose results the caller reads later (an import's batch insert,
 * whose rows its after-write hooks take when they come back): each starts now, in order; their
 * results are returned, and a failure still fails the transaction with its own error. Only in an
 * `inTransaction` transaction (`isOpenTransaction`).
 */
export function readBehind(tx: Db, send: () => readonly PromiseLike<unknown>[]): Promise<unknown>[] {
  if (!openTransactions.has(tx)) throw new Error('readBehind needs a transaction opened by inTransaction');
  let list = behind.get(tx);
  if (!list) {
    list = [];
    behind.set(tx, list);
  }
  // `then` starts each one now, in order; the list holds each settled to its failure or null,
  // which also keeps a failure no caller reads from counting as unhandled.
  const results = send().map((statement) => Promise.resolve(statement.then((value) => value)));
  for (const result of results) list.push(result.then(() => null, (error: unknown) => ({ error })));
  return results;
}

async function failureBehind(tx: Db): Promise<{ readonly error: unknown } | null> {
  const list = behind.get(tx);
  if (!list) return null;
  behind.delete(tx);
  return (await Promise.all(list)).find((outcome) => outcome !== null) ?? null;
}

/** Whether `db` is a transaction opened by `inTransaction` (not a pool or a savepoint of one). */
export const isOpenTransaction = (db: Db): boolean => openTransactions.has(db);

const batchedTopics = new WeakMap<Db, { readonly except: string; readonly counts: Map<string, number> }>();

/**
 * For bulk writes (imports): from here to the end of `tx`, events of every topic but `except` are
 * counted instead of written, so subscribers get the bulk write's own summary event rather than
 * one event per record. Returns the counts per topic and kind ("deal.CREATED": 120).
 */
export function batchRecordEvents(tx: Db, except: string): () => Record<string, number> {
  const counts = new Map<string, number>();
  batchedTopics.set(tx, { except, counts });
  return () => Object.fromEntries(counts);
}

/** Queues an event to be written when the surrounding `inTransaction` finishes its work. */
export function publish(tx: Db, organizationId: string, actorId: string | null, event: OutboxEvent): void {
  if (!openTransactions.has(tx)) throw new Error('publish needs a transaction opened by inTransaction');
  const batched = batchedTopics.get(tx);
  if (batched && event.topic !== batched.except) {
    const key = `${event.topic}.${event.kind}`;
    batched.counts.set(key, (batched.counts.get(key) ?? 0) + 1);
    return;
  }
  const pending = pendingEvents.get(tx);
  if (pending) {
    if (pending.organizationId !== organizationId) throw new Error('one transaction publishes for one organisation');
    pending.events.push(event);
    return;
  }
  pendingEvents.set(tx, { organizationId, actorId, events: [event] });
}
