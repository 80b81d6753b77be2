import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { checkAppLogin } from '../src/db/app-login.js';
import { hasConcurrentConnections, openDatabase, type Db } from '../src/db/database.js';
import { leadsCsv, uploadImport } from './factories/imports.factory.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount, createDeal, createLead } from './factories/records.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { TEST_DATABASE_URL, usesPostgres, withAdmin } from './helpers/test-database.js';
import { failure, rows, sqlState } from './helpers/sql-probes.js';
import { startTestServer, useTestServer } from './helpers/test-server.js';

// Roles belong to the whole cluster: unique names, dropped at the end.
const suffix = randomBytes(4).toString('hex');
const LOGIN = `pulse_login_${suffix}`;
/** Logins the refusal tests make: one outside pulse_app, one that owns a table. */
const OUTSIDER = `pulse_outsider_${suffix}`;
const TABLE_OWNER = `pulse_table_owner_${suffix}`;
const PASSWORD = 'app-login-test-password';

/** `url` (the file's own database) as `role`: trust or password authentication alike. */
function as(url: string, role: string, password: string | null = PASSWORD): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password ?? '';
  return parsed.toString();
}

/** `src/main.ts` as an operator starts it; resolves with its exit code and output. */
function startProcess(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing', PULSE_DATA_DIR: '/tmp/pulse-app-login', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A process that started after all would serve forever: stop it, the test then fails on its code.
  child.stdout.on('data', () => {
    if (output.includes('serving GraphQL')) child.kill('SIGTERM');
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

// PGlite has one user and one connection: there is no second login to connect as.
if (!usesPostgres) process.stderr.write('app-login tests skipped: DATABASE_APP_URL needs PostgreSQL (set TEST_DATABASE_URL)\n');

describe.skipIf(!usesPostgres)('tenant work connects as an unprivileged login (DATABASE_APP_URL)', () => {
  const admin = (statement: string): Promise<unknown> => withAdmin(TEST_DATABASE_URL!, (client) => client.unsafe(statement));

  // Registered before the server's hooks: the role exists before it starts, and is dropped after
  // it stops (after-hooks unwind) and its database is gone.
  beforeAll(async () => {
    await admin(`create role ${LOGIN} login password '${PASSWORD}' in role pulse_app`);
  });
  afterAll(async () => {
    await admin(`drop owned by ${LOGIN}`);
    await admin(`drop role ${LOGIN}`);
  });

  const server = useTestServer((url) => (url ? { DATABASE_URL: url, DATABASE_APP_URL: as(url, LOGIN), JOB_WORKERS: 'false' } : {}));
  const database = () => server().testDatabase.database;
  const ownUrl = () => server().testDatabase.url!;

  // Records who inserts leads, deals and pg-boss jobs: the login the connection was opened as
  // (session_user) and the role in effect (current_user). Its table has no organization_id, so the
  // policies leave it alone; pulse_app may add to it.
  beforeAll(async () => {
    await database().db.execute(
      sql.raw(`create table app_login_probe (tbl text not null, login text not null, role text not null, name text);
        grant insert on app_login_probe to pulse_app;
        create function app_login_record() returns trigger language plpgsql as $$
        begin
          -- By argument: pg-boss' job table is partitioned, and tg_table_name names the partition.
          insert into public.app_login_probe values (tg_argv[0], session_user, current_user, to_jsonb(new)->>'name');
          return null;
        end $$;
        create trigger app_login_probe after insert on leads for each row execute function app_login_record('leads');
        create trigger app_login_probe after insert on deals for each row execute function app_login_record('deals');
        create trigger app_login_probe after insert on pgboss.job for each row execute function app_login_record('job');`),
    );
  });

  interface Tenant {
    user: SignedInUser;
    accountId: string;
  }
  async function tenant(): Promise<Tenant> {
    const user = await signUpOrganization(server().client);
    return { user, accountId: (await createAccount(user.client)).id };
  }

  it('serves sign-up, writes, reads and a job sent inside a tenant transaction over GraphQL', async () => {
    const { user } = await tenant();
    const lead = await createLead(user.client);
    const deal = await createDeal(user.client);
    const read = await user.client.ok<{ leads: { nodes: { id: string; createdAt: string }[] }; deals: { nodes: { id: string }[] } }>(
      `{ leads(first: 10) { nodes { id createdAt } } deals(first: 10) { nodes { id } } }`,
    );
    expect(read.leads.nodes.map((node) => node.id)).toEqual([lead.id]);
    // Timestamps come back as drizzle expects them from its driver (text), not re-parsed.
    expect(Math.abs(Date.parse(read.leads.nodes[0]?.createdAt ?? '') - Date.now())).toBeLessThan(60_000);
    expect(read.deals.nodes.map((node) => node.id)).toEqual([deal.id]);

    // commitImport sends its job with { tx } from the tenant transaction (pg-boss' job table as pulse_app);
    // the job's handler then runs on the tenant handle too.
    const { body } = await uploadImport(server().url, user, 'leads', leadsCsv([{ last: 'Imported', email: uniqueEmail('imported') }]));
    expect(body.id).toBeTruthy();
    await user.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    expect(await server().server.deps.jobs.runDue('imports.commit')).toBe(1);
    const imported = await user.client.ok(`query($id: ID!) { import(id: $id) { status errors { message } counts { created } } }`, { id: body.id });
    expect(imported['import']).toMatchObject({ status: 'COMPLETED', errors: [] });
    expect((await user.client.ok<{ leads: { totalCount: number } }>(`{ leads { totalCount } }`)).leads.totalCount).toBe(2);

    // Every row above was written by the login acting as pulse_app: GraphQL's, the job sent from
    // commitImport's transaction, and the job handler's.
    const written = await rows<{ tbl: string; login: string; role: string; name: string | null }>(database().db, sql`select * from app_login_probe`);
    const ours = written.filter((row) => row.tbl !== 'job' || row.name === 'imports.commit');
    expect(ours.map((row) => row.tbl).sort()).toEqual(['deals', 'job', 'leads', 'leads']);
    expect(ours.filter((row) => row.login !== LOGIN || row.role !== 'pulse_app')).toEqual([]);
    expect(hasConcurrentConnections(database().forOrganization(user.organizationId))).toBe(true);
  });

  it('leaves a tenant transaction that resets its role as the login, still under the policy', async () => {
    const a = await tenant();
    const b = await tenant();
    const asA = database().forOrganization(a.user.organizationId);
    const [owner] = await rows<{ owner: string }>(database().db, sql`select pg_get_userbyid(relowner) as owner from pg_class where oid = 'public.accounts'::regclass`);

    const seen = await asA.transaction(async (tx) => {
      const [before] = await rows<{ role: string; login: string }>(tx, sql`select current_user as role, session_user as login`);
      await tx.execute(sql.raw('reset role'));
      const [after] = await rows<{ role: string }>(tx, sql`select current_user as role`);
      const others = await rows<{ id: string }>(tx, sql`select id from accounts where organization_id = ${b.user.organizationId} or id = ${b.accountId}`);
      const othersUsers = await rows<{ id: string }>(tx, sql`select id from users where organization_id = ${b.user.organizationId}`);
      const own = await rows<{ id: string }>(tx, sql`select id from accounts`);
      const changed = await rows<{ id: string }>(tx, sql`update accounts set name = 'changed after reset' where id = ${b.accountId} returning id`);
      return { before, after, others, othersUsers, own, changed };
    });
    expect(seen.before).toEqual({ role: 'pulse_app', login: LOGIN });
    expect(seen.after?.role).toBe(LOGIN);
    expect(seen.after?.role).not.toBe(owner?.owner);
    expect(seen.others).toEqual([]);
    expect(seen.othersUsers).toEqual([]);
    expect(seen.own.map((row) => row.id)).toEqual([a.accountId]);
    expect(seen.changed).toEqual([]);

    // Writing a row of another organisation after the reset fails the policy's check.
    const insert = await failure(() =>
      asA.transaction(async (tx) => {
        await tx.execute(sql.raw('reset role'));
        await tx.execute(sql`insert into accounts (id, organization_id, owner_id, name) values (${randomUUID()}, ${b.user.organizationId}, ${b.user.userId}, 'planted')`);
      }),
    );
    expect(sqlState(insert)).toBe('42501');
    // ... and the owner's role is out of reach.
    const switched = await failure(() => asA.transaction((tx) => tx.execute(sql.raw(`set role ${owner?.owner ?? 'postgres'}`))));
    expect(sqlState(switched)).toBe('42501');

    const bAccounts = await rows<{ name: string }>(database().db, sql`select name from accounts where organization_id = ${b.user.organizationId}`);
    expect(bAccounts).toHaveLength(1);
    expect(bAccounts[0]?.name).not.toBe('changed after reset');
  });

  it('refuses to start with a superuser as the app login, naming the variable', async () => {
    const { code, output } = await startProcess({ DATABASE_URL: ownUrl(), DATABASE_APP_URL: as(ownUrl(), 'postgres', null) });
    expect(code, output).toBe(2);
    expect(output).toContain('Pulse cannot start: DATABASE_APP_URL: role postgres is or can become a role that bypasses row-level security: postgres (superuser)');
    expect(output).not.toContain('serving GraphQL');

    // The same through the test server's start, which goes through the same check.
    const refused = await failure(() => startTestServer((url) => (url ? { DATABASE_URL: url, DATABASE_APP_URL: as(url, 'postgres', null) } : {})));
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).variable).toBe('DATABASE_APP_URL');
    expect((refused as ConfigError).message).toMatch(/superuser/);
  }, 90_000);

  it('refuses a login outside pulse_app, and one that owns a table', async () => {
    await admin(`create role ${OUTSIDER} login password '${PASSWORD}'`);
    await admin(`create role ${TABLE_OWNER} login password '${PASSWORD}' in role pulse_app`);
    const table = `app_login_owned_${suffix}`;
    try {
      await database().db.execute(sql.raw(`create table ${table} (id int); alter table ${table} owner to ${TABLE_OWNER}`));
      const check = async (role: string): Promise<string> => {
        const probe = await openDatabase({ url: ownUrl(), appUrl: as(ownUrl(), role), poolSize: 2 });
        try {
          const error = await failure(() => checkAppLogin(probe));
          expect(error).toBeInstanceOf(ConfigError);
          return (error as Error).message;
        } finally {
          await probe.close();
        }
      };
      expect(await check(OUTSIDER)).toContain(`is not a member of pulse_app (GRANT pulse_app TO ${OUTSIDER})`);
      expect(await check(TABLE_OWNER)).toContain(`is or can become the owner of tables in the public schema: ${table} (owner ${TABLE_OWNER})`);
      // The login the server runs with passes the same check.
      await checkAppLogin(database());
    } finally {
      await database().db.execute(sql.raw(`drop table if exists ${table}`));
      await admin(`drop role if exists ${OUTSIDER}`);
      await admin(`drop role if exists ${TABLE_OWNER}`);
    }
  });

  it('closes the login\'s pool with the database', async () => {
    const a = await tenant();
    const probe = await openDatabase({ url: ownUrl(), appUrl: as(ownUrl(), LOGIN), poolSize: 2 });
    const pids = (await Promise.all([0, 1].map(() => rows<{ pid: number }>(probe.forOrganization(a.user.organizationId), sql`select pg_backend_pid() as pid, pg_sleep(0.1)`)))).flat().map((row) => row.pid);
    expect(pids.length).toBe(2);
    await probe.close();
    let left: number[] = pids;
    for (let attempt = 0; attempt < 50 && left.length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const open = (await rows<{ pid: number }>(database().db, sql`select pid from pg_stat_activity where usename = ${LOGIN}`)).map((row) => row.pid);
      left = pids.filter((pid) => open.includes(pid));
    }
    expect(left).toEqual([]);
  });
});
