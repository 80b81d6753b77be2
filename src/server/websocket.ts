import type { Server } from 'node:http';
import { GraphQLError, getOperationAST, type DocumentNode } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { accessFingerprint } from '../modules/auth/access.js';
import { authenticate } from '../modules/auth/auth.service.js';
import { buildContext, tenantDb, type AppDeps, type GraphQLContext } from './context.js';
import { formatError, labelErrors } from './format-error.js';
import type { OperationLimits } from './limits/operation-guard.js';
import { originAllowed } from './limits/origins.js';
import { SocketLimits } from './limits/socket-limits.js';
import { createSharedSubscribe } from './shared-subscribe.js';

const KEEP_ALIVE_MS = 12_000;

function connectionAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const value = params?.['authorization'] ?? params?.['Authorization'];
  return typeof value === 'string' ? value : null;
}

const MAX_CACHED_DOCUMENTS = 1_000;

/**
 * Parsed and validated subscription documents by query text: a board's thousands of viewers send
 * the same few queries, so they share one document instead of parsing and holding one each.
 */
class DocumentCache {
  private readonly documents = new Map<string, [DocumentNode, readonly GraphQLError[]]>();
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: OperationLimits,
  ) {}

  check(query: string): [DocumentNode, readonly GraphQLError[]] | GraphQLError {
    const known = this.documents.get(query);
    if (known) return known;
    // The same parser options and validation rules as the HTTP endpoint.
    const result = this.limits.check(this.schema, query);
    if (result instanceof GraphQLError) return result;
    const checked: [DocumentNode, readonly GraphQLError[]] = [result.document, result.errors];
    if (this.documents.size >= MAX_CACHED_DOCUMENTS) {
      const oldest = this.documents.keys().next().value;
      if (oldest !== undefined) this.documents.delete(oldest);
    }
    this.documents.set(query, checked);
    return checked;
  }
}

const requestError = (message: string): GraphQLError => new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });

/** graphql-ws on the HTTP server's port and path: token at connection_init, subscriptions only. */
export function startWebSocketServer(httpServer: Server, path: string, schema: GraphQLSchema, deps: AppDeps, limits: OperationLimits) {
  const wsServer = new WebSocketServer({
    server: httpServer,
    path,
    maxPayload: deps.config.limits.wsMaxPayloadBytes,
    // A page from an origin not in ALLOWED_ORIGINS gets HTTP 403 at the upgrade.
    verifyClient: (info: { origin: string | undefined; req: { headers: { host?: string | undefined } } }, done: (ok: boolean, status?: number, message?: string) => void) =>
      originAllowed(deps.config.allowedOrigins, info.origin, info.req.headers.host) ? done(true) : done(false, 403, 'Forbidden origin'),
  });
  const subscribe = createSharedSubscribe();
  const documents = new DocumentCache(schema, limits);
  const socketLimits = new SocketLimits(limits, deps.db);
  const formatOptions = { hideSuggestions: !deps.config.limits.fieldSuggestions };
  const cleanup = useServer<Record<string, unknown>>(
    {
      schema,
      subscribe,
      onConnect: async (ctx) => {
        const auth = await authenticate(deps, connectionAuthorization(ctx.connectionParams)).catch((error: unknown) => {
          // Never a driver message in the close reason: log it, close as a server fault.
          deps.logger.error('websocket authentication failed', { error });
          ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
          return null;
        });
        if (auth === null) return false;
        if (!auth.viewer) {
          // 4401 tells graphql-ws clients the token is the problem, so they do not retry blindly.
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
        // Connections per user, and a timer closing the socket (4401) when the token expires.
        return socketLimits.onConnected(ctx.extra.socket, auth.viewer, auth.expiresAt);
      },
      onSubscribe: async (ctx, id, payload) => {
        // Authenticated again per operation: a deactivated user's socket gets nothing new.
        let context;
        try {
          context = await buildContext(deps, connectionAuthorization(ctx.connectionParams));
        } catch (error) {
          deps.logger.error('websocket subscribe failed', { error });
          return [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
        // A document id names a registered document; arbitrary text may be refused (trusted documents).
        const query = await socketLimits.chooseDocument(context.viewer ? tenantDb(deps, context.viewer) : deps.db, context.viewer, payload);
        if (typeof query !== 'string') return query;
        const checked = documents.check(query);
        if (!Array.isArray(checked)) return [checked];
        const [document, errors] = checked;
        if (errors.length > 0) return errors.map((error) => requestError(error.message));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [requestError('Name the operation to run (operationName)')];
        if (operation.operation !== 'subscription') return [requestError('The WebSocket endpoint runs subscriptions only; send queries and mutations over HTTP')];
        const refused = await socketLimits.admit(ctx, id, schema, document, operation, payload.variables, {
          viewer: context.viewer,
          address: ctx.extra.request.socket.remoteAddress ?? 'unknown',
        });
        if (refused) return refused;
        const socket = ctx.extra.socket;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: {
            ...context,
            selectionKey: JSON.stringify([context.viewer ? accessFingerprint(context.viewer) : null, query, payload.operationName ?? null, payload.variables ?? {}]),
            closeConnection: (code: number, reason: string) => socket.close(code, reason),
          },
        };
      },
      onNext: async (ctx, id, _payload, args, result) => {
        const cost = socketLimits.takeCost(ctx, id);
        if (!result.errors && !cost) return undefined;
        const loaders = (args.contextValue as GraphQLContext | undefined)?.loaders;
        if (result.errors) await labelErrors(result.errors, loaders ? () => loaders.customization.labels.load('all') : null);
        return {
          ...result,
          ...(result.errors ? { errors: result.errors.map((error) => formatError(deps.logger, error, formatOptions)) } : {}),
          ...(cost ? { extensions: { ...result.extensions, cost } } : {}),
        } as never;
      },
      // A subscription that ends before its first result leaves no cost report behind.
      onComplete: (ctx, id) => {
        socketLimits.takeCost(ctx, id);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(deps.logger, error, formatOptions)) as never,
    },
    wsServer,
    KEEP_ALIVE_MS,
  );
  return {
    wsServer,
    dispose: async (): Promise<void> => {
      await cleanup.dispose();
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await socketLimits.close().catch((error: unknown) => deps.logger.warn('could not forget this process’s WebSocket connections', { error }));
    },
  };
}
