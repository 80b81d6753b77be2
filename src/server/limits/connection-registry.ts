import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { rowsOf } from '../../db/database.js';
import { socketConnections } from './socket-connections.table.js';

/** Open WebSocket connections per caller, counted in one process or across all of them. */
export interface ConnectionRegistry {
  /** Counts socket `socketId` of `subject` when fewer than `max` are open; false when the cap is reached. */
  admit(subject: string, socketId: string, max: number): Promise<boolean>;
  release(subject: string, socketId: string): Promise<void>;
  /** Forgets this process's connections (the process stops). */
  close(): Promise<void>;
}

/** Counts in this process only: N processes allow up to N times the cap. */
export class MemoryConnectionRegistry implements ConnectionRegistry {
  private readonly open = new Map<string, Set<string>>();

  async admit(subject: string, socketId: string, max: number): Promise<boolean> {
    const sockets = this.open.get(subject) ?? new Set<string>();
    if (sockets.size >= max) return false;
    sockets.add(socketId);
    this.open.set(subject, sockets);
    return true;
  }

  async release(subject: string, socketId: string): Promise<void> {
    const sockets = this.open.get(subject);
    sockets?.delete(socketId);
    if (sockets?.size === 0) this.open.delete(subject);
  }

  async close(): Promise<void> {
    this.open.clear();
  }
}

/** How often a process marks its connections as still open. */
const HEARTBEAT_MS = 30_000;
/** A connection not marked for this long belonged to a process that died: it no longer counts. */
const STALE_SECONDS = 90;

/**
 * Counts in the shared database (WS_CONNECTION_STORE=postgres): the cap holds whichever process a
 * socket lands on. Admission takes a transaction-scoped advisory lock on the caller, so two
 * sockets of one caller opening at once on two processes cannot both take the last place.
 */
export class PostgresConnectionRegistry implements ConnectionRegistry {
  private readonly processId = randomUUID();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly db: Db) {
    this.heartbeat = setInterval(() => {
      this.db
        .update(socketConnections)
        .set({ seenAt: new Date() })
        .where(eq(socketConnections.processId, this.processId))
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async admit(subject: string, socketId: string, max: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${subject}, 4429))`);
      await tx.execute(sql`delete from socket_connections where subject = ${subject} and seen_at < now() - make_interval(secs => ${STALE_SECONDS})`);
      const inserted = await tx.execute(sql`
        insert into socket_connections (subject, socket_id, process_id, seen_at)
        select ${subject}, ${socketId}::uuid, ${this.processId}::uuid, now()
        where (select count(*) from socket_connections where subject = ${subject}) < ${max}
        returning socket_id`);
      return rowsOf(inserted).length === 1;
    });
  }

  async release(subject: string, socketId: string): Promise<void> {
    await this.db.delete(socketConnections).where(and(eq(socketConnections.subject, subject), eq(socketConnections.socketId, socketId)));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.db.delete(socketConnections).where(eq(socketConnections.processId, this.processId));
  }
}
