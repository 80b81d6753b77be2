import type { Config } from '../config.js';
import type { Database, Db } from '../db/database.js';
import { authenticate } from '../modules/auth/auth.service.js';
import type { ActiveUsers } from './active-users.js';
import type { Session } from '../modules/auth/session.js';
import type { Viewer } from '../modules/auth/viewer.js';
import { unauthenticated } from '../shared/errors.js';
import type { EventHub } from '../events/event-hub.js';
import type { TrackingRecorder } from '../modules/emails/tracking-recorder.js';
import type { Logger } from '../shared/logger.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { Clock } from './limits/clock.js';
import { createLoaders, type Loaders } from './loaders.js';

/** Long-lived things the server shares between requests. */
export interface AppDeps {
  readonly config: Config;
  readonly database: Database;
  readonly db: Db;
  readonly logger: Logger;
  /** This process' fan-out of committed events to its subscribers. */
  readonly hub: EventHub;
  /** Group-commits email opens and clicks. */
  readonly tracking: TrackingRecorder;
  /** Whether live subscribers' users are still active. */
  readonly activeUsers: ActiveUsers;
  /** The durable job queue (pg-boss). */
  readonly jobs: JobQueue;
  /** What budgets and sign-in windows take as now (tests move it). */
  readonly clock: Clock;
}

/** Per operation (one HTTP request, or one WebSocket subscription). */
export interface GraphQLContext {
  readonly deps: AppDeps;
  readonly viewer: Viewer | null;
  /** Why a token that was sent was refused. */
  readonly authError: string | null;
  /** Created per request; null when nobody is signed in. */
  readonly loaders: Loaders | null;
  /** WebSocket only: subscribers with equal keys may share each event's result. */
  readonly selectionKey?: string;
  /** The client's IP address (anonymous callers' budgets and sign-in throttling key by it). */
  readonly clientAddress?: string;
  /** WebSocket only: closes the client's connection (e.g. when it falls too far behind). */
  readonly closeConnection?: (code: number, reason: string) => void;
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

/** A signed-in subscriber's session plus what its stream needs. */
export interface Subscriber extends SignedIn {
  readonly hub: EventHub;
  readonly closeConnection: (code: number, reason: string) => void;
  /** False once the user was deactivated (checked at most every few seconds); the socket is then closed. */
  readonly stillActive: () => Promise<boolean>;
}

export function subscriber(ctx: GraphQLContext): Subscriber {
  const session = signedIn(ctx);
  const closeConnection = ctx.closeConnection ?? (() => undefined);
  const stillActive = async (): Promise<boolean> => {
    const active = await ctx.deps.activeUsers.isActive(session.viewer);
    if (!active) closeConnection(4403, 'Forbidden: the user is no longer active');
    return active;
  };
  return { ...session, hub: ctx.deps.hub, closeConnection, stillActive };
}

/** The session of a signed-in caller, or UNAUTHENTICATED. */
export function signedIn(ctx: GraphQLContext): SignedIn {
  if (!ctx.viewer || !ctx.loaders) throw unauthenticated(ctx.authError ?? undefined);
  return { db: ctx.deps.db, config: ctx.deps.config, jobs: ctx.deps.jobs, viewer: ctx.viewer, loaders: ctx.loaders };
}
