import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger';
import * as schema from './schema.js';
import { isPooledTenantHandle, tenantHandles } from './tenant-database.js';

export type Schema = typeof schema;

/** The typed handle every service uses; a transaction handle has the same type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseKind = 'postgres' | 'pglite';

/** An open database: the drizzle handles plus what the server needs to run and stop it. */
export interface Database {
  /**
   * The privileged handle (the tables' owner, not subject to row-level security), for what
   * precedes or crosses tenancy: sign-in, invitations, the event hub, retention, job bookkeeping,
   * migrations, the demo. Everything done for a signed-in caller uses `forOrganization`.
   */
  readonly db: Db;
  /**
   * The handle of one organisation's work: every query and transaction on it runs as the
   * `pulse_app` role with the organisation in `pulse.organization_id`, both transaction-local, so
   * row-level security returns and accepts only that organisation's rows whatever the WHERE clause.
   */
  forOrganization(organizationId: string): Db;
  readonly kind: DatabaseKind;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying driver client, for LISTEN/NOTIFY and the tests. */
  readonly driver: PostgresDriver | PgliteDriver;
  /**
   * The pool `forOrganization` handles run on when `DATABASE_APP_URL` is set: a login that is a
   * member of `pulse_app` and owns nothing, so a tenant transaction that resets its role is still
   * not the owner. Absent: tenant handles share `driver`'s pool (the owner's).
   */
  readonly appDriver: PostgresDriver | undefined;
}

export interface PostgresDriver {
  readonly kind: 'postgres';
  readonly sql: import('postgres').Sql;
}
export interface PgliteDriver {
  readonly kind: 'pglite';
  readonly pglite: import('@electric-sql/pglite').PGlite;
}

export interface DatabaseOptions {
  /** postgres:// URL; absent means PGlite. */
  readonly url?: string | undefined;
  /** postgres:// URL of the unprivileged login tenant handles connect as (PostgreSQL only). */
  readonly appUrl?: string | undefined;
  /** PGlite's folder; `memory://` keeps it in memory (tests). */
  readonly dataDir?: string;
  /** Connections of each pool: the owner's, and the app login's when `appUrl` is set. */
  readonly poolSize?: number;
  /** Called with every SQL statement drizzle sends (statement counting in tests). */
  readonly onQuery?: (query: string) => void;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

function drizzleLogger(onQuery: ((query: string) => void) | undefined): DrizzleLogger | false {
  if (!onQuery) return false;
  return { logQuery: (query: string) => onQuery(query) };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const logger = drizzleLogger(options.onQuery);
    const pool = (url: string): { driver: PostgresDriver; db: Db } => {
      const client = postgres(url, {
        // At least two: migrations hold an advisory lock on one connection while migrating on another.
        max: Math.max(2, options.poolSize ?? 10),
        onnotice: () => undefined,
        // Tenant statements are prepared (src/db/tenant-database.ts); each execution is still planned
        // for its own values, as the unnamed statements of the rest are: no generic plan chosen
        // for one organisation's data serves another's.
        connection: { application_name: 'pulse', plan_cache_mode: 'force_custom_plan' },
      });
      // drizzle() also sets the client's type handling (dates as text, json bound as given): a pool
      // that only tenant handles use needs it as much as the owner's, or jobs sent with { tx } would
      // store their data as a JSON string.
      return { driver: { kind: 'postgres', sql: client }, db: drizzle(client, { schema, logger }) as unknown as Db };
    };
    const { driver, db } = pool(options.url);
    const appDriver = options.appUrl ? pool(options.appUrl).driver : undefined;
    const tenants = tenantHandles(appDriver ?? driver, schema, logger || undefined);
    return {
      db,
      forOrganization: (organizationId) => tenants.forOrganization(organizationId),
      kind: 'postgres',
      driver,
      appDriver,
      ping: async () => {
        await driver.sql`select 1`;
        if (appDriver) await appDriver.sql`select 1`;
      },
      close: async () => {
        await Promise.all([driver.sql.end({ timeout: 5 }), appDriver?.sql.end({ timeout: 5 })]);
      },
    };
  }
  // PGlite has one connection and one user: there is no second login to connect as.
  if (options.appUrl) throw new Error('an app login URL needs PostgreSQL (a postgres:// database URL), not the embedded PGlite');
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dataDir = options.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const logger = drizzleLogger(options.onQuery);
  const db = drizzle(pglite, { schema, logger });
  const driver: PgliteDriver = { kind: 'pglite', pglite };
  const tenants = tenantHandles(driver, schema, logger || undefined);
  return {
    db: db as unknown as Db,
    forOrganization: (organizationId) => tenants.forOrganization(organizationId),
    kind: 'pglite',
    driver,
    appDriver: undefined,
    ping: async () => {
      await pglite.query('select 1');
    },
    close: () => pglite.close(),
  };
}

/**
 * Applies the committed drizzle-kit migrations; several processes starting at once take turns.
 * Then gives any table with an `organization_id` that a migration added without row-level
 * security its `tenant_isolation` policy (a catalog read and nothing more when all have one).
 */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.driver.kind === 'postgres') {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const reserved = await database.driver.sql.reserve();
    try {
      await reserved`select pg_advisory_lock(7318008001)`;
      await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
      await reserved`select pulse_apply_tenant_isolation()`;
    } finally {
      await reserved`select pg_advisory_unlock(7318008001)`.catch(() => undefined);
      reserved.release();
    }
    return;
  }
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  await migrate(database.db as never, { migrationsFolder: MIGRATIONS_FOLDER });
  await database.driver.pglite.query('select pulse_apply_tenant_isolation()');
}

export { sql };

/** The rows of a raw `execute`: postgres.js returns them as the result, PGlite under `.rows`. */
/** Whether other connections can work while a transaction is open: PostgreSQL yes, PGlite (one connection) no. */
export function hasConcurrentConnections(db: Db): boolean {
  // postgres.js' client is a function (the tagged template); PGlite's is an object. Tenant handles have no client of their own.
  return typeof (db as { $client?: unknown }).$client === 'function' || isPooledTenantHandle(db);
}

export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
