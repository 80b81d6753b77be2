import { ConfigError } from '../config.js';
import type { Database, PostgresDriver } from './database.js';
import { APP_ROLE } from './tenant-database.js';

/** What the app login says about itself, asked over its own connection (not under SET ROLE). */
interface LoginFacts {
  login: string;
  database: string;
  started: string;
  /** Member of pulse_app (null: pulse_app does not exist, i.e. migrations have not run). */
  member: boolean | null;
  createRole: boolean;
  /** Superuser or BYPASSRLS roles the login is, or is a member of (so could SET ROLE to). */
  privileged: string | null;
  /** Tables of the public schema whose owner the login is, or is a member of. */
  owned: string | null;
}

const HOW_TO =
  `It must be a LOGIN role in ${APP_ROLE} that is not a superuser, does not bypass row-level security, cannot create roles and owns nothing, ` +
  `e.g. CREATE ROLE pulse_login LOGIN PASSWORD '...' IN ROLE ${APP_ROLE} (README, "Tenancy: row-level security").`;

/**
 * Refuses to serve with a `DATABASE_APP_URL` login that would not close the gap it is for: a
 * tenant transaction that runs `RESET ROLE` gets this login's rights, so they must be no more
 * than `pulse_app`'s. Runs after migrations (they create `pulse_app`); a no-op without the URL.
 */
export async function checkAppLogin(database: Database): Promise<void> {
  const app = database.appDriver;
  if (!app || database.driver.kind !== 'postgres') return;
  let facts: LoginFacts;
  try {
    facts = await loginFacts(app);
  } catch (error) {
    // postgres.js connects lazily: a wrong password or database shows first here.
    throw new ConfigError('DATABASE_APP_URL', `cannot connect to check the login: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [owner] = await database.driver.sql<{ database: string; started: string }[]>`
    select current_database() as database, pg_postmaster_start_time()::text as started`;
  const problems: string[] = [];
  if (facts.privileged) problems.push(`is or can become a role that bypasses row-level security: ${facts.privileged}`);
  if (facts.owned) problems.push(`is or can become the owner of tables in the public schema: ${facts.owned}`);
  if (facts.createRole) problems.push('has CREATEROLE (before PostgreSQL 16 it could grant itself the owner\'s role)');
  if (facts.member === null) problems.push(`cannot be checked: the role ${APP_ROLE} does not exist (have the migrations run?)`);
  else if (!facts.member) problems.push(`is not a member of ${APP_ROLE} (GRANT ${APP_ROLE} TO ${facts.login})`);
  else if (!facts.privileged) {
    const refused = await setRoleRefusal(app);
    if (refused) problems.push(`cannot SET ROLE ${APP_ROLE}: ${refused}`);
  }
  if (owner && (owner.database !== facts.database || owner.started !== facts.started)) {
    problems.push(`connects to database ${facts.database}, not DATABASE_URL's ${owner.database} on the same server`);
  }
  if (problems.length > 0) throw new ConfigError('DATABASE_APP_URL', `role ${facts.login} ${problems.join('; ')}. ${HOW_TO}`);
}

async function loginFacts(app: PostgresDriver): Promise<LoginFacts> {
  const [facts] = await app.sql<LoginFacts[]>`
    select current_user as login,
           current_database() as database,
           pg_postmaster_start_time()::text as started,
           (select pg_has_role(current_user, r.oid, 'MEMBER') from pg_roles r where r.rolname = ${APP_ROLE}) as member,
           (select rolcreaterole from pg_roles where rolname = current_user) as "createRole",
           (select string_agg(r.rolname || case when r.rolsuper then ' (superuser)' else ' (BYPASSRLS)' end, ', ' order by r.rolname)
              from pg_roles r where (r.rolsuper or r.rolbypassrls) and pg_has_role(current_user, r.oid, 'MEMBER')) as privileged,
           (select string_agg(t.tablename || ' (owner ' || t.tableowner || ')', ', ' order by t.tablename)
              from (select tablename, tableowner from pg_tables
                     where schemaname = 'public' and pg_has_role(current_user, tableowner, 'MEMBER')
                     order by tablename limit 3) t) as owned`;
  if (!facts) throw new Error('the app login check returned no row');
  return facts;
}

/** Membership is not enough: a grant made WITH SET FALSE (PostgreSQL 16) cannot switch. */
async function setRoleRefusal(app: PostgresDriver): Promise<string | null> {
  try {
    await app.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${APP_ROLE}`);
    });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
