import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Every setting Pulse reads from the environment, parsed and validated here and nowhere else. */
export interface Config {
  readonly port: number;
  /** postgres.js connection string; absent means the embedded PGlite database. */
  readonly databaseUrl: string | undefined;
  /**
   * postgres:// URL of the login tenant work connects as (a member of `pulse_app` that owns
   * nothing); absent: tenant work connects as `databaseUrl`'s owner and switches role. Needs
   * `databaseUrl`; checked at start-up (src/db/app-login.ts).
   */
  readonly databaseAppUrl: string | undefined;
  /** Folder of the embedded database and of the generated JWT secret. */
  readonly dataDir: string;
  readonly jwtSecret: string;
  /** How long a sign-in token stays valid, in seconds. */
  readonly tokenTtlSeconds: number;
  readonly logLevel: LogLevel;
  readonly production: boolean;
  /** Size of each postgres.js connection pool: the owner's, and the app login's when set. */
  readonly databasePoolSize: number;
  /** How long events stay replayable; an older cursor is CURSOR_EXPIRED. */
  readonly eventRetentionDays: number;
  /** How often subscribed organisations are re-read without a NOTIFY wake-up (the fallback). */
  readonly eventPollIntervalMs: number;
  /** Whether this process runs background jobs (every process can send them). */
  readonly jobWorkers: boolean;
  /** How often an idle job worker looks for due jobs. */
  readonly jobPollIntervalMs: number;
  /** Events a subscriber may lag behind its organisation's latest while stalled, before it is disconnected. */
  readonly subscriberMaxQueue: number;
  /** How long a subscriber may take no event (its socket not draining) before lagging counts against it. */
  readonly subscriberStallMs: number;
  /** Serve the GraphQL explorer on `GET /graphql` to browsers (off in production unless asked for). */
  readonly explorer: boolean;
  /** Where clients reach this server: tracking pixels and links in emails point here. */
  readonly publicUrl: string;
  /** smtp:// or smtps:// URL of the mail server; absent: emails are kept as NOT_SENT (still trackable). */
  readonly smtpUrl: string | undefined;
  /** From address of emails Pulse sends. */
  readonly mailFrom: string;
  /** Limits on GraphQL documents, query cost and budgets (HTTP and WebSocket alike). */
  readonly limits: LimitsConfig;
  /** Browser origins allowed to call `/graphql` (HTTP and WebSocket); `*` allows any. Requests without `Origin` are not browsers and pass. */
  readonly allowedOrigins: readonly string[] | '*';
  /** Proxies in front of Pulse whose X-Forwarded-For is believed (0: the socket's address is the client's). */
  readonly trustProxyHops: number;
  /** Largest accepted HTTP request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Sign-in throttling: failed attempts per account and per IP address within a window. */
  readonly signIn: SignInLimitsConfig;
  /** How long after it finished an import can be undone, in hours. */
  readonly importUndoWindowHours: number;
  /** How long a finished organisation export can be downloaded, in hours. */
  readonly exportLinkHours: number;
  /** The plans the operator sells, by name (FREE, STANDARD, PROFESSIONAL). */
  readonly plans: Readonly<Record<PlanName, PlanDefinition>>;
}

export type PlanName = 'FREE' | 'STANDARD' | 'PROFESSIONAL';
export const PLAN_NAMES: readonly PlanName[] = ['FREE', 'STANDARD', 'PROFESSIONAL'];

/** A plan: its default and maximum seats, the features it enables and its numeric limits. */
export interface PlanDefinition {
  /** Seats an organisation gets when it moves to the plan without naming a number. */
  readonly seats: number;
  /** The most seats the plan allows (FREE: 3 users). */
  readonly maxSeats: number;
  readonly features: readonly string[];
  /** Named limits, e.g. importRows (rows per import file). */
  readonly limits: Readonly<Record<string, number>>;
}

export const DEFAULT_PLANS: Readonly<Record<PlanName, PlanDefinition>> = {
  FREE: { seats: 3, maxSeats: 3, features: [], limits: { importRows: 5_000 } },
  STANDARD: { seats: 5, maxSeats: 500, features: ['scoringRules', 'workflows'], limits: { importRows: 200_000 } },
  PROFESSIONAL: { seats: 10, maxSeats: 10_000, features: ['scoringRules', 'workflows', 'customReports', 'territories'], limits: { importRows: 2_000_000 } },
};

/** PULSE_PLANS: JSON overriding any part of a plan, e.g. {"FREE":{"maxSeats":5}}. */
function plans(env: Env): Readonly<Record<PlanName, PlanDefinition>> {
  const raw = env['PULSE_PLANS'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_PLANS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PULSE_PLANS', 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ConfigError('PULSE_PLANS', 'expected an object keyed by plan name');
  const result: Record<PlanName, PlanDefinition> = { ...DEFAULT_PLANS };
  for (const [name, override] of Object.entries(parsed as Record<string, unknown>)) {
    if (!PLAN_NAMES.includes(name as PlanName)) throw new ConfigError('PULSE_PLANS', `unknown plan ${name} (expected ${PLAN_NAMES.join(', ')})`);
    const base = DEFAULT_PLANS[name as PlanName];
    const o = (override ?? {}) as Partial<PlanDefinition>;
    const seats = o.seats ?? base.seats;
    const maxSeats = o.maxSeats ?? base.maxSeats;
    if (!Number.isInteger(seats) || !Number.isInteger(maxSeats) || seats < 1 || seats > maxSeats) throw new ConfigError('PULSE_PLANS', `${name}: seats and maxSeats must be whole numbers, 1 <= seats <= maxSeats`);
    if (o.features !== undefined && (!Array.isArray(o.features) || o.features.some((feature) => typeof feature !== 'string'))) throw new ConfigError('PULSE_PLANS', `${name}: features must be a list of names`);
    result[name as PlanName] = { seats, maxSeats, features: o.features ?? base.features, limits: { ...base.limits, ...(o.limits ?? {}) } };
  }
  return result;
}

/** See the README's "Limits" section for the cost model these numbers apply to. */
export interface LimitsConfig {
  /** `__schema`/`__type` allowed. */
  readonly introspection: boolean;
  /** "Did you mean ...?" hints in validation errors. */
  readonly fieldSuggestions: boolean;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  /** graphql-js' parser stops after this many tokens. */
  readonly maxTokens: number;
  /** Highest cost one operation may have. */
  readonly maxCost: number;
  /** Points a user's (or API key's) bucket holds when full. */
  readonly budget: number;
  /** Points restored to a bucket per second. */
  readonly restoreRate: number;
  /** `memory`: buckets in each process; `postgres`: one row per caller in the shared database. */
  readonly budgetStore: 'memory' | 'postgres';
  /** Where WebSocket connections per user are counted: this process, or the shared database. */
  readonly connectionStore: 'memory' | 'postgres';
  readonly wsMaxPayloadBytes: number;
  readonly wsMaxSubscriptionsPerConnection: number;
  readonly wsMaxConnectionsPerUser: number;
}

export interface SignInLimitsConfig {
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerAddress: number;
  readonly windowSeconds: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `expected ${min} to ${max}, got ${value}`);
  return value;
}

const SWITCH_VALUES: ReadonlyMap<string, boolean> = new Map([
  ['on', true], ['true', true], ['1', true], ['yes', true],
  ['off', false], ['false', false], ['0', false], ['no', false],
]);

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = SWITCH_VALUES.get(raw.trim().toLowerCase());
  if (value === undefined) throw new ConfigError(name, `expected on or off, got "${raw}"`);
  return value;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

function postgresUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'not a valid URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `expected a postgres:// URL, got ${url.protocol}//`);
  }
  return raw;
}

/** The app login only makes sense beside an owner connection: PGlite has one user. */
function databaseAppUrl(env: Env): string | undefined {
  const url = postgresUrl(env, 'DATABASE_APP_URL');
  if (url !== undefined && postgresUrl(env, 'DATABASE_URL') === undefined) {
    throw new ConfigError('DATABASE_APP_URL', 'needs DATABASE_URL too (the tables\' owner, which runs the migrations); the embedded PGlite database has no second login');
  }
  return url;
}

function publicUrl(env: Env): string {
  const raw = env['PUBLIC_URL'];
  const port = env['PORT'] && env['PORT'] !== '' && env['PORT'] !== '0' ? env['PORT'] : '4000';
  if (raw === undefined || raw === '') return `http://localhost:${port}`;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return raw.replace(/\/+$/, '');
  } catch {
    throw new ConfigError('PUBLIC_URL', 'expected an http(s):// URL, e.g. https://crm.example.com');
  }
}

function smtpUrl(env: Env): string | undefined {
  const raw = env['SMTP_URL'];
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'smtp:' || url.protocol === 'smtps:') return raw;
  } catch {
    // typed error below
  }
  throw new ConfigError('SMTP_URL', 'expected smtp://user:pass@host:587 or smtps://...');
}

/**
 * The embedded default keeps a generated secret next to its data so tokens survive restarts;
 * production must be given one explicitly.
 */
function jwtSecret(env: Env, dataDir: string, production: boolean): string {
  const raw = env['JWT_SECRET'];
  if (raw !== undefined && raw !== '') {
    if (raw.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters long');
    return raw;
  }
  if (production) throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

function allowedOrigins(env: Env, production: boolean, publicUrlValue: string): readonly string[] | '*' {
  const raw = env['ALLOWED_ORIGINS']?.trim();
  // Bearer tokens, not cookies, carry identity; outside production any page may call the API.
  if (raw === undefined || raw === '') return production ? [new URL(publicUrlValue).origin] : '*';
  if (raw === '*') return '*';
  return raw.split(',').map((entry) => {
    const value = entry.trim();
    try {
      const url = new URL(value);
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/+$/, '')) throw new Error('origin');
      return url.origin;
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `expected * or comma-separated origins such as https://app.example.com, got "${value}"`);
    }
  });
}

function limitsStore(env: Env, name: string): 'memory' | 'postgres' {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'memory') return 'memory';
  if (raw === 'postgres') return 'postgres';
  throw new ConfigError(name, `expected memory or postgres, got "${env[name]}"`);
}

function limitsConfig(env: Env, production: boolean): LimitsConfig {
  return {
    introspection: onOff(env, 'GRAPHQL_INTROSPECTION', !production),
    fieldSuggestions: onOff(env, 'GRAPHQL_FIELD_SUGGESTIONS', !production),
    maxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', 15, 2, 1000),
    maxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', 30, 0, 10_000),
    maxDirectives: integer(env, 'GRAPHQL_MAX_DIRECTIVES', 20, 0, 10_000),
    maxTokens: integer(env, 'GRAPHQL_MAX_TOKENS', 5000, 100, 1_000_000),
    maxCost: integer(env, 'GRAPHQL_MAX_COST', 50_000, 1, 100_000_000),
    budget: integer(env, 'QUERY_BUDGET', 200_000, 1, 1_000_000_000),
    restoreRate: integer(env, 'QUERY_BUDGET_RESTORE_RATE', 2_000, 1, 1_000_000_000),
    budgetStore: limitsStore(env, 'QUERY_BUDGET_STORE'),
    connectionStore: limitsStore(env, 'WS_CONNECTION_STORE'),
    wsMaxPayloadBytes: integer(env, 'WS_MAX_PAYLOAD_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
    wsMaxSubscriptionsPerConnection: integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
    wsMaxConnectionsPerUser: integer(env, 'WS_MAX_CONNECTIONS_PER_USER', 50, 1, 1_000_000),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const production = env['NODE_ENV'] === 'production';
  const dataDir = resolve(env['PULSE_DATA_DIR'] && env['PULSE_DATA_DIR'] !== '' ? env['PULSE_DATA_DIR'] : '.pulse');
  const logLevel = (env['LOG_LEVEL'] ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got "${env['LOG_LEVEL']}"`);
  }
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    databaseAppUrl: databaseAppUrl(env),
    dataDir,
    jwtSecret: jwtSecret(env, dataDir, production),
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    logLevel: logLevel as LogLevel,
    production,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    eventRetentionDays: integer(env, 'EVENT_RETENTION_DAYS', 7, 1, 365),
    eventPollIntervalMs: integer(env, 'EVENT_POLL_INTERVAL_MS', 2000, 50, 60_000),
    jobWorkers: onOff(env, 'JOB_WORKERS', true),
    jobPollIntervalMs: integer(env, 'JOB_POLL_INTERVAL_MS', 2000, 500, 60_000),
    subscriberMaxQueue: integer(env, 'SUBSCRIBER_MAX_QUEUE', 1000, 10, 1_000_000),
    subscriberStallMs: integer(env, 'SUBSCRIBER_STALL_MS', 10_000, 100, 600_000),
    publicUrl: publicUrl(env),
    smtpUrl: smtpUrl(env),
    mailFrom: env['MAIL_FROM'] && env['MAIL_FROM'] !== '' ? env['MAIL_FROM'] : 'Pulse <no-reply@pulse.localhost>',
    explorer: onOff(env, 'PULSE_EXPLORER', !production),
    limits: limitsConfig(env, production),
    allowedOrigins: allowedOrigins(env, production, publicUrl(env)),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    signIn: {
      maxFailuresPerAccount: integer(env, 'SIGN_IN_MAX_FAILURES_PER_ACCOUNT', 10, 1, 1_000_000),
      maxFailuresPerAddress: integer(env, 'SIGN_IN_MAX_FAILURES_PER_IP', 100, 1, 1_000_000),
      windowSeconds: integer(env, 'SIGN_IN_WINDOW_SECONDS', 900, 1, 7 * 24 * 3600),
    },
    importUndoWindowHours: integer(env, 'IMPORT_UNDO_WINDOW_HOURS', 7 * 24, 0, 365 * 24),
    exportLinkHours: integer(env, 'EXPORT_LINK_HOURS', 24, 1, 30 * 24),
    plans: plans(env),
  };
}
