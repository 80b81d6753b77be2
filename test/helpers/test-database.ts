import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { migrateDatabase, openDatabase, type Database } from '../../src/db/database.js';

/** The PostgreSQL server the tests use; absent means the embedded PGlite. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] || process.env['DATABASE_URL'] || undefined;

export const usesPostgres = TEST_DATABASE_URL !== undefined;

/**
 * TEST_DATABASE_APP_LOGIN: a LOGIN role in pulse_app (connecting without a password). Every test
 * database then gets it as its DATABASE_APP_URL, so the whole suite's tenant work runs as it.
 */
const APP_LOGIN = process.env['TEST_DATABASE_APP_LOGIN'] || undefined;

function asLogin(url: string, login: string): string {
  const parsed = new URL(url);
  parsed.username = login;
  parsed.password = '';
  return parsed.toString();
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

const baseName = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1)) || 'pulse_test';

/** The migrated template every test file's database is copied from (made once by the global setup). */
export const templateName = (url: string): string => `${baseName(url)}_template`;

export async function withAdmin<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => undefined });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function createTemplate(url: string): Promise<void> {
  const template = templateName(url);
  await withAdmin(url, async (sql) => {
    await sql.unsafe(`drop database if exists "${template}" with (force)`);
    await sql.unsafe(`create database "${template}"`);
  });
  const database = await openDatabase({ url: withDatabase(url, template), poolSize: 1 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
}

export async function dropTemplate(url: string): Promise<void> {
  await withAdmin(url, (sql) => sql.unsafe(`drop database if exists "${templateName(url)}" with (force)`));
}

export interface TestDatabase {
  readonly database: Database;
  /** postgres:// URL of this file's own database (absent on PGlite). */
  readonly url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A database of the calling test file's own, migrated, on PostgreSQL or PGlite. `appUrlFor` (PostgreSQL
 * only) is given the database's URL before it exists and may name a DATABASE_APP_URL login for it
 * (else TEST_DATABASE_APP_LOGIN's, if set).
 */
export async function createTestDatabase(onQuery?: (query: string) => void, appUrlFor?: (url: string) => string | undefined): Promise<TestDatabase> {
  if (!TEST_DATABASE_URL) {
    const database = await openDatabase({ dataDir: 'memory://', ...(onQuery ? { onQuery } : {}) });
    await migrateDatabase(database);
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `${baseName(TEST_DATABASE_URL)}_${randomBytes(5).toString('hex')}`;
  const url = withDatabase(TEST_DATABASE_URL, name);
  const appUrl = appUrlFor?.(url) ?? (APP_LOGIN ? asLogin(url, APP_LOGIN) : undefined);
  await withAdmin(TEST_DATABASE_URL, (sql) => sql.unsafe(`create database "${name}" template "${templateName(TEST_DATABASE_URL)}"`));
  const database = await openDatabase({ url, appUrl, poolSize: 10, ...(onQuery ? { onQuery } : {}) });
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      await withAdmin(TEST_DATABASE_URL, (sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
    },
  };
}
