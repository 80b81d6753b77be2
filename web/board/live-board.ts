// Following a pipeline live, the way every Pulse client should: subscribe from the board's cursor,
// remember the cursor of each event once it is applied, and after any drop (network gone, laptop
// asleep, server restarted, 4008 too slow) subscribe again from that cursor. The server replays
// what was missed, in order, exactly once, then goes on live. This file is the reference client
// the partner guide (docs/partners.md) points to.
import { createClient } from 'graphql-ws';
import DEAL_EVENTS from '../../docs/operations/deal-events.graphql';
import type { ServerDeal } from './board-model.js';

export interface DealEvent {
  readonly cursor: string;
  readonly kind: 'CREATED' | 'UPDATED' | 'MOVED' | 'DELETED' | 'RESTORED';
  readonly dealId: string;
  readonly deal: ServerDeal;
}

export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface FollowOptions {
  /** ws:// or wss:// URL of /graphql. */
  readonly url: string;
  readonly token: string;
  readonly pipelineId: string;
  /** The board's `cursor`: events after it are replayed first, then live ones follow. */
  readonly after: string;
  onEvent(event: DealEvent): void;
  /** CURSOR_EXPIRED: the cursor is older than the server keeps events. Reload the board and follow from its cursor. */
  onExpired(): void;
  /** Close code 4401 (token refused), 4403 (user deactivated) or UNAUTHENTICATED: sign in again. */
  onUnauthorized(): void;
  /** An error that retrying cannot fix (e.g. NOT_FOUND: the pipeline is gone). */
  onFailed(message: string): void;
  onStatus(status: LiveStatus): void;
}

export interface Following {
  /** The cursor of the last event applied: all a client needs to resume. */
  readonly cursor: string;
  /** Retries at once instead of waiting for the next attempt (the network or the tab is back). */
  resume(): void;
  stop(): void;
}

/** Waits between attempts to subscribe again; then every 4 s until it works. */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];
/** A socket that stays open but silent (after a sleep, behind a dead proxy) is replaced. */
const PING_EVERY_MS = 10_000;
const PONG_WITHIN_MS = 5_000;

type GraphQLErrors = readonly { message: string; extensions?: { code?: unknown } }[];

export function followDealEvents(options: FollowOptions): Following {
  let cursor = options.after;
  let attempt = 0;
  let stopped = false;
  let active: (() => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pongDue: ReturnType<typeof setTimeout> | undefined;
  let socket: WebSocket | null = null;

  const client = createClient({
    url: options.url,
    connectionParams: { authorization: `Bearer ${options.token}` },
    // graphql-ws would retry with the variables of the first subscribe, i.e. the first cursor;
    // resubscribing ourselves sends the latest one.
    retryAttempts: 0,
    keepAlive: PING_EVERY_MS,
    on: {
      connected: (connected) => {
        socket = connected as WebSocket;
        attempt = 0;
        options.onStatus('live');
      },
      ping: (received) => {
        if (!received) pongDue = setTimeout(() => socket?.close(4408, 'No pong'), PONG_WITHIN_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongDue);
      },
      closed: () => {
        socket = null;
        clearTimeout(pongDue);
        if (!stopped) options.onStatus('offline');
      },
    },
  });

  function subscribe(): void {
    retry = undefined;
    options.onStatus('connecting');
    let ended = false;
    const end = (error?: unknown): void => {
      if (ended) return;
      ended = true;
      active = null;
      if (error === undefined) again();
      else failed(error);
    };
    active = client.subscribe<{ dealEvents: DealEvent }>(
      { query: DEAL_EVENTS, variables: { pipelineId: options.pipelineId, after: cursor } },
      {
        next: ({ data, errors }) => {
          // A stream that cannot start (CURSOR_EXPIRED, NOT_FOUND) answers with errors, then completes.
          if (errors?.length) return end(errors);
          if (!data) return;
          options.onEvent(data.dealEvents);
          // Only once applied: were the page to fail in between, the event would be replayed.
          cursor = data.dealEvents.cursor;
        },
        // A refused document, or the socket closing under the subscription.
        error: (error) => end(error ?? new Error('closed')),
        // The server ends a running stream only when it shuts down: follow again once it is back.
        complete: () => end(),
      },
    );
  }

  function failed(error: unknown): void {
    if (!Array.isArray(error)) {
      // A close event or a network error: transient, except a refused token or a deactivated user.
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 4401 || code === 4403) return options.onUnauthorized();
      return again();
    }
    const [first] = error as GraphQLErrors;
    const code = first?.extensions?.code;
    if (code === 'CURSOR_EXPIRED') return options.onExpired();
    if (code === 'UNAUTHENTICATED') return options.onUnauthorized();
    options.onFailed(first?.message ?? 'The live updates stopped');
  }

  function again(): void {
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(subscribe, RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]);
    attempt += 1;
  }

  function resume(): void {
    if (stopped || retry === undefined) return;
    clearTimeout(retry);
    subscribe();
  }

  const onWake = (): void => {
    if (document.visibilityState === 'visible') resume();
  };
  window.addEventListener('online', onWake);
  document.addEventListener('visibilitychange', onWake);
  subscribe();

  return {
    get cursor() {
      return cursor;
    },
    resume,
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      window.removeEventListener('online', onWake);
      document.removeEventListener('visibilitychange', onWake);
      active?.();
      void client.dispose();
    },
  };
}
