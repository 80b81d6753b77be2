import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { trackingRoutes } from '../modules/emails/tracking.routes.js';
import { formRoutes } from '../modules/forms/forms.routes.js';
import { exportRoutes as reportExportRoutes } from '../modules/reports/export.routes.js';
import { hookRoutes } from '../modules/signals/hooks.routes.js';
import { importRoutes } from '../modules/imports/imports.routes.js';
import { exportRoutes as recordExportRoutes } from '../modules/exports/exports.routes.js';
import type { GraphQLSchema } from 'graphql';
import type { AppDeps } from './context.js';
import { originAllowed } from './limits/origins.js';

/**
 * Bearer tokens, not cookies, carry identity; still, only origins in ALLOWED_ORIGINS may call
 * `/graphql` from a browser (the public form, tracking and hook routes take any origin).
 */
const cors = (allowed: readonly string[] | '*', graphqlPath: string) => (req: Request, res: Response, next: NextFunction): void => {
  if (req.path === graphqlPath && !originAllowed(allowed, req.headers.origin, req.headers.host)) {
    res.status(403).json({ errors: [{ message: 'This origin may not call the API', extensions: { code: 'FORBIDDEN' } }] });
    return;
  }
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Max-Age', '600');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
};

/** The Express app with the plain HTTP routes; the GraphQL route is mounted by the server. */
export function createHttpApp(deps: AppDeps, graphqlPath: string, schema: GraphQLSchema): Express {
  const app = express();
  app.disable('x-powered-by');
  // Per-IP sign-in throttling needs the client's address, not the load balancer's.
  app.set('trust proxy', deps.config.trustProxyHops === 0 ? false : deps.config.trustProxyHops);
  app.use(cors(deps.config.allowedOrigins, graphqlPath));
  app.use(trackingRoutes(deps.db, deps.tracking));
  app.use(hookRoutes(deps.db, deps.logger));
  app.use(formRoutes(deps.db, deps.logger));
  app.use(importRoutes(deps));
  app.use(reportExportRoutes(deps));
  app.use(recordExportRoutes(deps, schema));
  app.get('/healthz', async (_req, res) => {
    try {
      await deps.database.ping();
      res.json({ status: 'ok', database: deps.database.kind });
    } catch (error) {
      deps.logger.warn('health check failed', { error });
      res.status(503).json({ status: 'unavailable' });
    }
  });
  return app;
}
