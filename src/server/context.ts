import type { Config } from '../config.js';
import type { Database, Db } from '../db/database.js';
import { authenticate } from '../modules/auth/auth.service.js';
import type { ActiveUsers } from './active-users.js';
import type { Session } from '../modules/auth/session.js';
import type { Viewer } from '../modules/auth/viewer.js';
import type { AccessCache } from '../modules/access-control/access-summary.js';
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
  /** `database.forOrganization(id)` gives the row-level-secured handle of one organisation's work. */
  readonly database: Database;
  /** The privileged handle (`database.db`): only for what precedes or crosses tenancy. */
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
  /** Organisations' access data (profiles, roles, sharing) by access version. */
  readonly accessCache: AccessCache;
}

/** A subscription's viewer as of now: replaced when access changes while it runs. */
export interface LiveViewer {
  viewer: Viewer | null;
  /** When the credentials stop working (an API key's expiry); null: no expiry to watch here. */
  expiresAt: Date | null;
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
  /** The Authorization value the viewer came from, checked again when access changes. */
  readonly authorization?: string | null;
  /** The current viewer of a subscription (events are resolved for it, not the one it started with). */
  readonly live?: LiveViewer;
}

export async function buildContext(deps: AppDeps, authorization: string | null | undefined): Promise<GraphQLContext> {
  const auth = await authenticate(deps, authorization);
  return {
    deps,
    viewer: auth.viewer,
    authError: auth.error,
    loaders: auth.viewer ? createLoaders(tenantDb(deps, auth.viewer), auth.viewer) : null,
    authorization: authorization ?? null,
    live: { viewer: auth.viewer, expiresAt: auth.viewer?.apiKeyId ? auth.expiresAt : null },
  };
}

export interface SignedIn extends Session {
  readonly loaders: Loaders;
}

/** A signed-in subscriber's session plus what its stream needs. */
export interface Subscriber extends SignedIn {
  readonly hub: EventHub;
  readonly closeConnection: (code: number, reason: string) => void;
  /** False once the user was deactivated or the API key expired (checked per event, cheaply); the socket is then closed. */
  readonly stillActive: () => Promise<boolean>;
  /**
   * Called for each access event: loads the viewer again when the event is newer than its access,
   * so the next event is checked and resolved with current access; false (and the socket closed
   * with 4403) when the credentials no longer work.
   */
  readonly refreshAccess: (version: number) => Promise<boolean>;
}

export function subscriber(ctx: GraphQLContext): Subscriber {
  const session = signedIn(ctx);
  const live: LiveViewer = ctx.live ?? { viewer: session.viewer, expiresAt: null };
  const closeConnection = ctx.closeConnection ?? (() => undefined);
  let closed = false;
  const close = (code: number, reason: string): false => {
    closed = true;
    closeConnection(code, reason);
    return false;
  };
  const current = (): Viewer => live.viewer ?? session.viewer;
  const stillActive = async (): Promise<boolean> => {
    if (closed) return false;
    if (live.expiresAt && live.expiresAt.getTime() <= Date.now()) return close(4401, 'Unauthorized: the API key expired');
    const active = await ctx.deps.activeUsers.isActive(current());
    if (!active) return close(4403, 'Forbidden: the user is no longer active');
    return true;
  };
  const refreshAccess = async (version: number): Promise<boolean> => {
    if (closed) return false;
    if (version <= current().access.version) return true;
    const auth = await ctx.deps.accessCache.recheck(ctx.authorization ?? '', version, () => authenticate(ctx.deps, ctx.authorization));
    if (!auth.viewer) return close(4403, 'Forbidden: these credentials no longer give access');
    live.viewer = auth.viewer;
    return true;
  };
  return {
    db: session.db,
    config: session.config,
    jobs: session.jobs,
    loaders: session.loaders,
    get viewer(): Viewer {
      return current();
    },
    hub: ctx.deps.hub,
    closeConnection,
    stillActive,
    refreshAccess,
  };
}

/** The session of a signed-in caller, or UNAUTHENTICATED. */
export function signedIn(ctx: GraphQLContext): SignedIn {
  if (!ctx.viewer || !ctx.loaders) throw unauthenticated(ctx.authError ?? undefined);
  return { db: tenantDb(ctx.deps, ctx.viewer), config: ctx.deps.config, jobs: ctx.deps.jobs, viewer: ctx.viewer, loaders: ctx.loaders };
}

/**
 * The database handle of everything done for `viewer`: its queries run under row-level security
 * for the viewer's organisation (src/db/tenant-database.ts), so a query that forgot its
 * organisation filter still sees and changes nothing of another organisation.
 */
export function tenantDb(deps: Pick<AppDeps, 'database'>, viewer: Pick<Viewer, 'organizationId'>): Db {
  return deps.database.forOrganization(viewer.organizationId);
}
