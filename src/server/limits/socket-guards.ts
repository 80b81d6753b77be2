import type { WebSocket } from 'ws';
import type { LimitsConfig } from '../../config.js';
import type { Viewer } from '../../modules/auth/viewer.js';
import { DomainError } from '../../shared/errors.js';
import { budgetSubject } from './operation-guard.js';

/** Close codes the WebSocket uses for its limits (documented in docs/partners.md). */
export const TOKEN_EXPIRED_CLOSE = 4401;
export const TOO_MANY_CONNECTIONS_CLOSE = 4429;

/** setTimeout's longest delay; a later expiry is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Per-process limits of the WebSocket endpoint: connections per user (or API key), subscriptions
 * per connection, and closing a socket when the token it signed in with expires. Connection
 * counts are per API process: N processes allow up to N times the cap.
 */
export class SocketGuards {
  private readonly connections = new Map<string, number>();

  constructor(private readonly config: LimitsConfig) {}

  /** After a successful connection_init: counts the socket, or closes it when the caller has too many. */
  admitConnection(socket: WebSocket, viewer: Viewer, expiresAt: Date | null): boolean {
    const subject = budgetSubject({ viewer, address: '' });
    const open = this.connections.get(subject) ?? 0;
    if (open >= this.config.wsMaxConnectionsPerUser) {
      socket.close(TOO_MANY_CONNECTIONS_CLOSE, `Too many connections: at most ${this.config.wsMaxConnectionsPerUser} per user`);
      return false;
    }
    this.connections.set(subject, open + 1);
    let timer: NodeJS.Timeout | undefined;
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
    socket.once('close', () => {
      clearTimeout(timer);
      const left = (this.connections.get(subject) ?? 1) - 1;
      if (left <= 0) this.connections.delete(subject);
      else this.connections.set(subject, left);
    });
    return true;
  }

  /** The error refusing one more subscription on a connection that already runs `active`, or null. */
  refuseSubscription(active: number): DomainError | null {
    const max = this.config.wsMaxSubscriptionsPerConnection;
    if (active < max) return null;
    return new DomainError('RATE_LIMITED', `At most ${max} subscriptions may run on one connection; complete one first or open another connection`, { limit: max });
  }
}
