import type { PGlite, Transaction as PgliteTransactionClient } from '@electric-sql/pglite';
import type { Sql, TransactionSql } from 'postgres';
import { createTableRelationsHelpers, extractTablesRelationalConfig, type Logger as DrizzleLogger, type RelationalSchemaConfig, type TablesRelationalConfig } from 'drizzle-orm';
import { PgDialect, type PgTransactionConfig } from 'drizzle-orm/pg-core';
import { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import { PgliteDatabase } from 'drizzle-orm/pglite';
import { PgliteSession, PgliteTransaction } from 'drizzle-orm/pglite/session';
import type { Db, PgliteDriver, PostgresDriver, Schema } from './database.js';

/** The role tenant queries run as: it neither owns the tables nor bypasses row-level security. */
export const APP_ROLE = 'pulse_app';
/** The transaction-local setting the `tenant_isolation` policies compare `organization_id` with. */
export const ORGANIZATION_SETTING = 'pulse.organization_id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What starts every tenant transaction, after its BEGIN: the organisation and the role, both
 * transaction-local, so the connection goes back to the pool carrying neither. Sent as text in one
 * simple-protocol message with the BEGIN (and pipelined with the first query), so the id is
 * checked to be a uuid before it is written into the SQL.
 */
export function tenantSettingsSql(organizationId: string): string {
  if (!UUID.test(organizationId)) throw new Error('a tenant handle needs an organisation uuid');
  return `select set_config('${ORGANIZATION_SETTING}', '${organizationId.toLowerCase()}', true); set local role ${APP_ROLE}`;
}

const ISOLATION_LEVELS = new Set(['read uncommitted', 'read committed', 'repeatable read', 'serializable']);
const ACCESS_MODES = new Set(['read only', 'read write']);

/** A transaction's modes for BEGIN or SET TRANSACTION: they must come before the settings' SELECT. */
function transactionModes(config: PgTransactionConfig | undefined): string {
  if (!config) return '';
  const modes: string[] = [];
  if (config.isolationLevel) {
    if (!ISOLATION_LEVELS.has(config.isolationLevel)) throw new Error(`unknown isolation level ${config.isolationLevel}`);
    modes.push(`isolation level ${config.isolationLevel}`);
  }
  if (config.accessMode) {
    if (!ACCESS_MODES.has(config.accessMode)) throw new Error(`unknown access mode ${config.accessMode}`);
    modes.push(config.accessMode);
  }
  if (config.deferrable !== undefined) modes.push(config.deferrable ? 'deferrable' : 'not deferrable');
  // Space-separated, as PostgreSQL allows: postgres.js' begin keeps only letters and spaces.
  return modes.join(' ');
}

type Relational = RelationalSchemaConfig<TablesRelationalConfig>;

/** Makes tenant handles of one database; each organisation's handle is made once and kept. */
export interface TenantHandles {
  forOrganization(organizationId: string): Db;
}

const MAX_KEPT_HANDLES = 10_000;

/**
 * Tenant handles over postgres.js' pool. drizzle marks its own handles by their `$client`; a
 * tenant handle is not given one, as it would lead straight back to the owner's connections.
 */
const pooledHandles = new WeakSet<Db>();

/** Whether `db` is a tenant handle whose statements may run while another of its transactions is open. */
export function isPooledTenantHandle(db: Db): boolean {
  return pooledHandles.has(db);
}

export function tenantHandles(driver: PostgresDriver | PgliteDriver, schema: Schema, logger: DrizzleLogger | undefined): TenantHandles {
  const dialect = new PgDialect();
  const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
  const relational: Relational = { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap };
  const options = logger ? { logger } : {};
  const make =
    driver.kind === 'postgres'
      ? (settings: string): Db => {
          const session = new TenantPostgresSession(new TenantPostgresClient(driver.sql, settings), dialect, relational, options);
          const db = new PostgresJsDatabase(dialect, session as never, relational as never) as unknown as Db;
          pooledHandles.add(db);
          return db;
        }
      : (settings: string): Db => {
          const session = new TenantPgliteSession(driver.pglite, settings, dialect, relational, options);
          return new PgliteDatabase(dialect, session as never, relational as never) as unknown as Db;
        };
  const handles = new Map<string, Db>();
  return {
    forOrganization(organizationId) {
      const kept = handles.get(organizationId);
      if (kept) return kept;
      const handle = make(tenantSettingsSql(organizationId));
      if (handles.size >= MAX_KEPT_HANDLES) handles.clear();
      handles.set(organizationId, handle);
      return handle;
    },
  };
}

// ---- postgres.js ----------------------------------------------------------------------------

type Params = Parameters<Sql['unsafe']>[1];
type QueryOptions = Parameters<Sql['unsafe']>[2];

/**
 * Tenant statements are prepared (named, cached per connection by postgres.js): from its second
 * use on a connection a statement is sent without first asking PostgreSQL for its parameter types,
 * so the BEGIN, the statement and the COMMIT go out in one write and come back in one round trip,
 * and PostgreSQL skips parsing it again.
 */
function prepared(options: QueryOptions | undefined): QueryOptions {
  return { ...options, prepare: true };
}

/**
 * Stands in for the postgres.js client under a drizzle session: a query outside a transaction
 * becomes `BEGIN; settings` + the query + `COMMIT`, all three queued on one reserved connection at
 * once (postgres.js pipelines them); a transaction sends the settings pipelined with its first
 * statement. Only what drizzle's postgres-js session calls is implemented: `unsafe` and `begin`.
 */
class TenantPostgresClient {
  constructor(
    private readonly sql: Sql,
    private readonly settings: string,
  ) {}

  unsafe(query: string, params?: Params, options?: QueryOptions): PromiseLike<unknown> & { values(): Promise<unknown> } {
    const run = (values: boolean): Promise<unknown> => this.single(query, params, options, values);
    return {
      values: () => run(true),
      then: (onFulfilled, onRejected) => run(false).then(onFulfilled, onRejected),
    };
  }

  private async single(query: string, params: Params | undefined, options: QueryOptions | undefined, values: boolean): Promise<unknown> {
    const reserved = await this.sql.reserve();
    const begin = reserved.unsafe(`begin; ${this.settings}`).execute();
    const pending = reserved.unsafe(query, params, prepared(options));
    const result = (values ? pending.values() : pending).execute();
    const commit = reserved.unsafe('commit').execute();
    const outcomes = await Promise.allSettled([begin, result, commit]);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    // A connection that died is already back in the pool's closed list, from where it reconnects:
    // releasing it would put a socketless connection among the open ones for good.
    if (!failure || !connectionLost(failure.reason)) reserved.release();
    if (failure) throw failure.reason;
    return (outcomes[1] as PromiseFulfilledResult<unknown>).value;
  }

  /**
   * A transaction through postgres.js' own \`begin\` (which also copes with a connection that dies
   * midway); the settings are queued right behind its BEGIN, so they travel with the first statement.
   */
  begin<T>(modes: string, work: (client: TransactionClient) => Promise<T>): Promise<T> {
    return this.sql.begin(modes, (tx) => {
      // A failure fails the transaction: postgres.js rethrows any failed statement of it at the end.
      void tx.unsafe(this.settings).execute();
      return work(new TransactionClient(tx));
    }) as Promise<T>;
  }
}

/** An error after which the connection is gone (killed backend, network), not a failed statement. */
function connectionLost(error: unknown): boolean {
  const { code, severity, errno } = error as { code?: unknown; severity?: unknown; errno?: unknown };
  return (typeof code === 'string' && code.startsWith('CONNECTION_')) || severity === 'FATAL' || severity === 'PANIC' || errno !== undefined;
}


/** The client a transaction's drizzle session uses: postgres.js' transaction, with prepared statements. */
class TransactionClient {
  constructor(private readonly tx: TransactionSql) {}

  unsafe(query: string, params?: Params, options?: QueryOptions): ReturnType<TransactionSql['unsafe']> {
    return this.tx.unsafe(query, params, prepared(options));
  }

  savepoint<T>(work: (client: TransactionClient) => Promise<T>): Promise<T> {
    return this.tx.savepoint((inner) => work(new TransactionClient(inner))) as Promise<T>;
  }
}

class TenantPostgresSession extends PostgresJsSession<Sql, Schema, TablesRelationalConfig> {
  constructor(
    private readonly tenant: TenantPostgresClient,
    private readonly tenantDialect: PgDialect,
    private readonly relational: Relational,
    private readonly sessionOptions: { logger?: DrizzleLogger },
  ) {
    super(tenant as unknown as Sql, tenantDialect, relational, sessionOptions);
  }

  override transaction<T>(transaction: (tx: PostgresJsTransaction<Schema, TablesRelationalConfig>) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    return this.tenant.begin(transactionModes(config), (client) => {
      // drizzle types a transaction's session over postgres.js' TransactionSql; the client is ours.
      const session = new PostgresJsSession(client as unknown as Sql, this.tenantDialect, this.relational, this.sessionOptions);
      return transaction(new PostgresJsTransaction(this.tenantDialect, session as never, this.relational) as never);
    });
  }
}

// ---- PGlite ---------------------------------------------------------------------------------

/** PGlite has one connection: a query outside a transaction gets a transaction of its own. */
class TenantPgliteClient {
  constructor(
    private readonly pglite: PGlite,
    private readonly settings: string,
  ) {}

  query(...args: Parameters<PGlite['query']>): ReturnType<PGlite['query']> {
    return this.pglite.transaction(async (tx) => {
      await tx.exec(this.settings);
      return tx.query(...args);
    }) as ReturnType<PGlite['query']>;
  }
}

class TenantPgliteSession extends PgliteSession<Schema, TablesRelationalConfig> {
  constructor(
    private readonly pglite: PGlite,
    private readonly settings: string,
    private readonly tenantDialect: PgDialect,
    private readonly relational: Relational,
    private readonly sessionOptions: { logger?: DrizzleLogger },
  ) {
    super(new TenantPgliteClient(pglite, settings) as unknown as PGlite, tenantDialect, relational, sessionOptions);
  }

  override transaction<T>(transaction: (tx: PgliteTransaction<Schema, TablesRelationalConfig>) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    const modes = transactionModes(config);
    return this.pglite.transaction(async (tx: PgliteTransactionClient) => {
      await tx.exec(`${modes ? `set transaction ${modes}; ` : ''}${this.settings}`);
      const session = new PgliteSession(tx, this.tenantDialect, this.relational, this.sessionOptions);
      const result = await transaction(new PgliteTransaction(this.tenantDialect, session, this.relational));
      // PGlite commits a transaction whose failed statement was caught without a word (PostgreSQL
      // rolls it back): a statement in an aborted transaction fails, so this one tells.
      await tx.exec('select');
      return result;
    });
  }
}
