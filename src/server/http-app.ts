import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { trackingRoutes } from '../modules/emails/tracking.routes.js';
import { formRoutes } from '../modules/forms/forms.routes.js';
import { hookRoutes } from '../modules/signals/hooks.routes.js';
import { importRoutes } from '../modules/imports/imports.routes.js';
import { exportRoutes } from '../modules/exports/exports.routes.js';
import type { GraphQLSchema } from 'graphql';
import type { AppDeps } from './context.js';

/** Bearer tokens, not cookies, carry identity, so any origin may call the API from a browser. */
function cors(req: Request, res: Response, next: NextFunction): void {
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
}

/** The Express app with the plain HTTP routes; the GraphQL route is mounted by the server. */
export function createHttpApp(deps: AppDeps, schema: GraphQLSchema): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(cors);
  app.use(trackingRoutes(deps.db, deps.tracking));
  app.use(hookRoutes(deps.db, deps.logger));
  app.use(formRoutes(deps.db, deps.logger));
  app.use(importRoutes(deps));
  app.use(exportRoutes(deps, schema));
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
