import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { checkAppLogin } from '../db/app-login.js';
import { EventHub } from '../events/event-hub.js';
import { TrackingRecorder } from '../modules/emails/tracking-recorder.js';
import { ActiveUsers } from './active-users.js';
import { startEventRetention } from '../events/retention.js';
import type { Logger } from '../shared/logger.js';
import { buildContext, type AppDeps, type GraphQLContext } from './context.js';
import { AccessCache } from '../modules/access-control/access-summary.js';
import { formatError, labelErrors } from './format-error.js';
import { createHttpApp } from './http-app.js';
import { buildSchema } from './schema.js';
import { mountWebRoutes } from './web-routes.js';
import { startWebSocketServer } from './websocket.js';
import { JobQueue } from '../jobs/job-queue.js';
import { defineJobs, TRACKED_RUNS } from '../jobs/job-definitions.js';
import { startStalledRunSweep } from '../jobs/stalled-runs.js';
import { promoteDueActions } from '../modules/workflows/scheduled-actions.js';
import { AdjustableClock } from './limits/clock.js';
import { limitsPlugin } from './limits/limits-plugin.js';
import { OperationLimits } from './limits/operation-guard.js';
import { documentIdInBody, trustedDocumentsPlugin } from './limits/trusted-documents-plugin.js';
import { installPlans } from '../modules/organizations/plans.js';

export const GRAPHQL_PATH = '/graphql';

export interface PulseServer {
  readonly httpServer: Server;
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly deps: AppDeps;
  /** Drains HTTP requests and closes every socket. */
  stop(): Promise<void>;
}

export interface ListenOptions {
  readonly port: number;
  readonly host?: string;
}

/** HTTP and WebSocket GraphQL on one port and one path. */
/** What the server is started with; it adds the event hub and the rest itself. */
export interface ServerDeps {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
}

export async function startServer(base: ServerDeps, listen: ListenOptions): Promise<PulseServer> {
  // Before anything serves: a DATABASE_APP_URL login with more rights than pulse_app is refused.
  await checkAppLogin(base.database);
  installPlans(base.config.plans);
  const schema = buildSchema();
  const hub = new EventHub(base.database, base.logger, { pollIntervalMs: base.config.eventPollIntervalMs });
  await hub.start();
  const jobs = new JobQueue(base.database, base.logger, { work: base.config.jobWorkers, pollIntervalMs: base.config.jobPollIntervalMs });
  // Handlers get tenant handles only: each acts for the organisation its job names (src/jobs/job-deps.ts).
  defineJobs(jobs, { forOrganization: (organizationId) => base.database.forOrganization(organizationId), config: base.config, logger: base.logger });
  // Needs the privileged handle for its search across organisations (job handlers have none).
  jobs.defineSweep('workflows.promote-scheduled-actions', (clock) => promoteDueActions(base.database, jobs, clock));
  await jobs.start();
  const deps: AppDeps = {
    ...base,
    db: base.database.db,
    hub,
    jobs,
    tracking: new TrackingRecorder(base.database.db, base.logger),
    activeUsers: new ActiveUsers(base.database.db),
    clock: new AdjustableClock(),
    accessCache: new AccessCache(),
  };
  // One set of limits for both endpoints: HTTP through Apollo's plugin, the WebSocket in onSubscribe.
  const limits = new OperationLimits(deps.config.limits, deps.db, deps.clock);
  const app = createHttpApp(deps, GRAPHQL_PATH, schema);
  // Before Apollo's middleware: a browser's GET of /graphql gets the explorer page.
  const web = mountWebRoutes(app, { config: deps.config, logger: deps.logger, schema, graphqlPath: GRAPHQL_PATH });
  const httpServer = createServer(app);
  const ws = startWebSocketServer(httpServer, GRAPHQL_PATH, schema, deps, limits);
  const retention = startEventRetention(deps);
  // Where jobs run (and pg-boss expires them): a run whose last attempt timed out is failed here.
  const stalledRuns = base.config.jobWorkers ? startStalledRunSweep(base.database, TRACKED_RUNS, base.logger) : null;

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError: (_formatted, error) => formatError(deps.logger, error as never, { hideSuggestions: !deps.config.limits.fieldSuggestions }),
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT: it stops the server, then the database, then exits.
    stopOnTerminationSignals: false,
    // Introspection, depth, aliases, directives and tokens are limited by our own rules (shared with the WebSocket).
    introspection: true,
    validationRules: [...limits.rules],
    parseOptions: limits.parseOptions,
    csrfPrevention: true,
    // Apollo's automatic persisted queries would let any client register a document.
    persistedQueries: false,
    plugins: [
      trustedDocumentsPlugin(),
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ contextValue, errors }) {
              const loaders = contextValue.loaders;
              await labelErrors(errors, loaders ? () => loaders.customization.labels.load('all') : null);
            },
          };
        },
      },
      limitsPlugin(limits),
      // Pulse sets no cache hints; the plugin would wrap every field resolver for nothing.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await ws.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.use(
    GRAPHQL_PATH,
    express.json({ limit: deps.config.maxBodyBytes }),
    documentIdInBody,
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ ...(await buildContext(deps, req.headers.authorization)), clientAddress: req.ip ?? 'unknown' }),
    }),
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
    deps,
    stop: async () => {
      retention.stop();
      let at = Date.now();
      await apollo.stop();
      await web.stop();
      deps.logger.debug('http and websocket drained', { ms: Date.now() - at });
      at = Date.now();
      await deps.tracking.flush();
      await stalledRuns?.stop();
      await jobs.stop();
      await hub.stop();
      deps.logger.debug('event hub stopped', { ms: Date.now() - at });
    },
  };
}
