import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { LimitsConfig } from '../../config.js';
import type { Viewer } from '../../modules/auth/viewer.js';
import { DomainError } from '../../shared/errors.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { budgetSubject } from './operation-guard.js';

/** Close codes the WebSocket uses for its limits (documented in docs/partners.md). */
export const TOKEN_EXPIRED_CLOSE = 4401;
export const TOO_MANY_CONNECTIONS_CLOSE = 4429;

/** setTimeout's longest delay; a later expiry is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Limits of the WebSocket endpoint: connections per user (or API key), counted by `registry` in
 * this process or across all of them (WS_CONNECTION_STORE), subscriptions per connection, and
 * closing a socket when the token it signed in with expires.
 */
export class SocketGuards {
  constructor(
    private readonly config: LimitsConfig,
    private readonly registry: ConnectionRegistry,
  ) {}

  /** After a successful connection_init: counts the socket, or closes it when the caller has too many. */
  async admitConnection(socket: WebSocket, viewer: Viewer, expiresAt: Date | null): Promise<boolean> {
    const subject = budgetSubject({ viewer, address: '' });
    const socketId = randomUUID();
    const max = this.config.wsMaxConnectionsPerUser;
    if (!(await this.registry.admit(subject, socketId, max))) {
      socket.close(TOO_MANY_CONNECTIONS_CLOSE, `Too many connections: at most ${max} per user`);
      return false;
    }
    let timer: NodeJS.Timeout | undefined;
    const release = (): void => {
      clearTimeout(timer);
      this.registry.release(subject, socketId).catch(() => undefined);
    };
    // The client may have gone while it was being counted.
    if (socket.readyState !== socket.OPEN) {
      release();
      return false;
    }
    const arm = (): void => {
      if (!expiresAt) return;
      const wait = expiresAt.getTime() - Date.now();
      if (wait <= 0) {
        socket.close(TOKEN_EXPIRED_CLOSE, 'Unauthorized: the token expired');
        return;
      }
      timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    };
    arm();
    socket.once('close', release);
    return true;
  }

  /** The error refusing one more subscription on a connection that already runs `active`, or null. */
  refuseSubscription(active: number): DomainError | null {
    const max = this.config.wsMaxSubscriptionsPerConnection;
    if (active < max) return null;
    return new DomainError('RATE_LIMITED', `At most ${max} subscriptions may run on one connection; complete one first or open another connection`, { limit: max });
  }
}
