import type { Request, Response } from 'express';
import { authenticate } from '../modules/auth/auth.service.js';
import type { Session } from '../modules/auth/session.js';
import { DomainError, httpStatusOf, unauthenticated } from '../shared/errors.js';
import { tenantDb, type AppDeps } from './context.js';

/** The Bearer token's session for a plain HTTP route, authenticated exactly as GraphQL is. */
export async function routeSession(deps: AppDeps, req: Request): Promise<Session> {
  const auth = await authenticate(deps, req.headers.authorization);
  if (!auth.viewer) throw unauthenticated(auth.error ?? undefined);
  return { db: tenantDb(deps, auth.viewer), config: deps.config, jobs: deps.jobs, viewer: auth.viewer };
}

/** A route's failure as JSON with the error's code; mid-stream the response is cut, so a client never takes a short file for a whole one. */
export function sendRouteError(deps: AppDeps, res: Response, error: unknown, what: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof DomainError) {
    res.status(httpStatusOf(error.code)).json({ error: error.message, code: error.code, ...error.details });
    return;
  }
  deps.logger.error(`${what} request failed`, { error });
  res.status(500).json({ error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' });
}
