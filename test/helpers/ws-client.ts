import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received<T> {
  readonly items: T[];
  readonly errors: unknown[];
  /** Resolves when `count` items arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves when the subscription completed or failed. */
  readonly ended: Promise<void>;
  stop(): void;
}

export interface WsConnection {
  readonly client: Client;
  /** Resolves with the close event once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Received<T>;
  dispose(): Promise<void>;
}

/** A graphql-ws client, as a partner's app would use, with helpers to collect what arrives. */
export function connectWs(url: string, token: string | null): WsConnection {
  let resolveClosed: (event: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => resolveClosed({ code: (event as { code: number }).code, reason: String((event as { reason?: string }).reason ?? '') }) },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): Received<T> {
      const items: T[] = [];
      const errors: unknown[] = [];
      const waiters: { count: number; resolve: (items: T[]) => void }[] = [];
      let finish: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (finish = resolve));
      const stop = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) errors.push(...result.errors);
            if (result.data) items.push(result.data as T);
            for (const waiter of [...waiters]) {
              if (items.length >= waiter.count) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(items);
              }
            }
          },
          error: (error) => {
            errors.push(error);
            finish();
          },
          complete: () => finish(),
        },
      );
      return {
        items,
        errors,
        ended,
        stop,
        waitFor: (count, timeoutMs = 10_000) =>
          new Promise<T[]>((resolve, reject) => {
            if (items.length >= count) return resolve(items);
            const timer = setTimeout(() => reject(new Error(`received ${items.length} of ${count}: ${JSON.stringify({ items, errors })}`)), timeoutMs);
            waiters.push({ count, resolve: (all) => (clearTimeout(timer), resolve(all)) });
          }),
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
