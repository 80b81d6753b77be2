import type { Config } from '../config.js';
import type { Database, Db } from '../db/database.js';
import { authenticate } from '../modules/auth/auth.service.js';
import type { Session } from '../modules/auth/session.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { unauthenticated } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createLoaders, type Loaders } from './loaders.js';

/** Long-lived things the server shares between requests. */
export interface AppDeps {
  readonly config: Config;
  readonly database: Database;
  readonly db: Db;
  readonly logger: Logger;
}

/** Per operation (one HTTP request, or one WebSocket subscription). */
export interface GraphQLContext {
  readonly deps: AppDeps;
  readonly viewer: Viewer | null;
  /** Why a token that was sent was refused. */
  readonly authError: string | null;
  /** Created per request; null when nobody is signed in. */
  readonly loaders: Loaders | null;
}

export async function buildContext(deps: AppDeps, authorization: string | null | undefined): Promise<GraphQLContext> {
  const auth = await authenticate(deps, authorization);
  return {
    deps,
    viewer: auth.viewer,
    authError: auth.error,
    loaders: auth.viewer ? createLoaders(deps.db, auth.viewer) : null,
  };
}

export interface SignedIn extends Session {
  readonly loaders: Loaders;
}

/** The session of a signed-in caller, or UNAUTHENTICATED. */
export function signedIn(ctx: GraphQLContext): SignedIn {
  if (!ctx.viewer || !ctx.loaders) throw unauthenticated(ctx.authError ?? undefined);
  return { db: ctx.deps.db, config: ctx.deps.config, viewer: ctx.viewer, loaders: ctx.loaders };
}
