import type { Db } from '../../db/database.js';
import { publish } from '../../db/transaction.js';
import type { OutboxEvent } from '../../events/outbox.js';

/**
 * Events of writes made in a savepoint (a workflow action's record update, which runs the record
 * hooks: scoring publishes a score change). A savepoint is not the `inTransaction` transaction
 * the outbox writes at its end, and its effects may still be rolled back: its events wait here
 * and join the enclosing transaction's only when the savepoint is released.
 */

interface Held {
  readonly parent: Db;
  readonly events: { readonly organizationId: string; readonly actorId: string | null; readonly event: OutboxEvent }[];
}

const held = new WeakMap<Db, Held>();

/** Marks `savepoint` (opened in `parent`) as holding its events until `releaseSavepoint`. */
export function openSavepoint(parent: Db, savepoint: Db): void {
  held.set(savepoint, { parent, events: [] });
}

/** `publish` for code that may run in a savepoint (record hooks). */
export function publishInWrite(tx: Db, organizationId: string, actorId: string | null, event: OutboxEvent): void {
  const savepoint = held.get(tx);
  if (savepoint) savepoint.events.push({ organizationId, actorId, event });
  else publish(tx, organizationId, actorId, event);
}

/** The savepoint committed into its parent: its events go with the parent's. */
export function releaseSavepoint(savepoint: Db): void {
  const entry = held.get(savepoint);
  if (!entry) return;
  held.delete(savepoint);
  for (const { organizationId, actorId, event } of entry.events) publishInWrite(entry.parent, organizationId, actorId, event);
}
