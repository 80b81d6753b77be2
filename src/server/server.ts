import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate } from '../modules/auth/auth.service.js';
import { buildContext, type AppDeps, type GraphQLContext } from './context.js';
import { formatError } from './format-error.js';
import { createHttpApp } from './http-app.js';
import { buildSchema } from './schema.js';

export const GRAPHQL_PATH = '/graphql';
const MAX_BODY = '1mb';
const MAX_WS_PAYLOAD = 1024 * 1024;

export interface PulseServer {
  readonly httpServer: Server;
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  /** Drains HTTP requests and closes every socket. */
  stop(): Promise<void>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
}

function connectionAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const value = params?.['authorization'] ?? params?.['Authorization'];
  return typeof value === 'string' ? value : null;
}

/** HTTP and WebSocket GraphQL on one port and one path. */
export async function startServer(deps: AppDeps, listen: ListenOptions): Promise<PulseServer> {
  const schema = buildSchema();
  const app = createHttpApp(deps);
  const httpServer = createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: MAX_WS_PAYLOAD });
  const wsCleanup = useServer<Record<string, unknown>, { context?: GraphQLContext }>(
    {
      schema,
      onConnect: async (ctx) => {
        const auth = await authenticate(deps, connectionAuthorization(ctx.connectionParams));
        if (!auth.viewer) {
          // 4401 tells graphql-ws clients the token is the problem (not a server fault) so they stop retrying blindly.
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
        return true;
      },
      context: async (ctx) => buildContext(deps, connectionAuthorization(ctx.connectionParams)),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((error) => formatError(deps.logger, error)) } as never;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(deps.logger, error)) as never,
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError: (_formatted, error) => formatError(deps.logger, error as never),
    includeStacktraceInErrorResponses: false,
    introspection: !deps.config.production,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.use(
    GRAPHQL_PATH,
    express.json({ limit: MAX_BODY }),
    expressMiddleware(apollo, { context: async ({ req }) => buildContext(deps, req.headers.authorization) }),
  );
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (error.type === 'entity.too.large') return res.status(413).json({ errors: [{ message: 'Request body too large', extensions: { code: 'BAD_REQUEST' } }] });
    if (error.type === 'entity.parse.failed') return res.status(400).json({ errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    deps.logger.error('unhandled HTTP error', { error });
    return res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(listen.port, listen.host ?? '0.0.0.0', () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = listen.host && listen.host !== '0.0.0.0' ? listen.host : '127.0.0.1';
  return {
    httpServer,
    url: `http://${host}:${address.port}`,
    stop: async () => {
      await apollo.stop();
      for (const client of wsServer.clients) client.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
