import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { EventRow } from '../events/events.table.js';
import { tenantDb, type GraphQLContext } from './context.js';
import { createLoaders } from './loaders.js';
import { accessFingerprint } from '../modules/auth/access.js';

/** How long an event's result is kept for other subscribers with the same selection. */
const SHARE_WINDOW_MS = 30_000;
const MAX_SHARED = 20_000;

/** Maps a source stream through `map`, passing `return()` through so the source can unsubscribe. */
class MappedStream<T, R> implements AsyncIterableIterator<R> {
  private readonly source: AsyncIterator<T>;
  constructor(
    source: AsyncIterable<T>,
    private readonly map: (value: T) => Promise<R>,
  ) {
    this.source = source[Symbol.asyncIterator]();
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
  async next(): Promise<IteratorResult<R>> {
    const step = await this.source.next();
    if (step.done) return { done: true, value: undefined };
    return { done: false, value: await this.map(step.value) };
  }
  async return(): Promise<IteratorResult<R>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }
  async throw(error: unknown): Promise<IteratorResult<R>> {
    await this.source.return?.();
    throw error;
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * `subscribe` for graphql-ws that executes each event once per distinct selection: subscribers
 * of one organisation with the same access (fingerprint as of each event), document and variables share the result (and its
 * SQL) instead of running the selection once each. Every execution gets fresh loaders.
 */
export function createSharedSubscribe() {
  const shared = new Map<string, { result: Promise<ExecutionResult>; at: number }>();
  const evictOld = (now: number): void => {
    for (const [key, entry] of shared) {
      if (shared.size <= MAX_SHARED && now - entry.at < SHARE_WINDOW_MS) break;
      shared.delete(key);
    }
  };
  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    const context = args.contextValue as GraphQLContext;
    return new MappedStream(source as AsyncIterable<EventRow>, (event) => {
      // The viewer as of this event: access may have changed since the subscription started.
      const viewer = context.live ? context.live.viewer : context.viewer;
      const key = `${viewer ? accessFingerprint(viewer) : ''}|${context.selectionKey ?? ''}|${event.seq}`;
      const now = Date.now();
      const cached = context.selectionKey ? shared.get(key) : undefined;
      if (cached) return cached.result;
      const result = Promise.resolve(
        execute({ ...args, rootValue: event, contextValue: { ...context, viewer, loaders: viewer ? createLoaders(tenantDb(context.deps, viewer), viewer) : null } }),
      );
      if (context.selectionKey) {
        shared.set(key, { result, at: now });
        evictOld(now);
      }
      return result;
    });
  };
}
