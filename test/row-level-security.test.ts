import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { migrateDatabase, type Db } from '../src/db/database.js';
import { accounts } from '../src/modules/accounts/accounts.table.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount } from './factories/records.factory.js';
import { failure, rows, sqlState } from './helpers/sql-probes.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

/** The server's own database: `forOrganization` is the handle every signed-in request uses. */
const database = () => server().testDatabase.database;

interface Tenant {
  admin: SignedInUser;
  accountId: string;
}

async function tenant(): Promise<Tenant> {
  const admin = await signUpOrganization(server().client);
  const account = await createAccount(admin.client);
  return { admin, accountId: account.id };
}

describe('row-level security', () => {
  it('lets a query without any organisation filter see only its own organisation\'s rows', async () => {
    const a = await tenant();
    const b = await tenant();
    const asB = database().forOrganization(b.admin.organizationId);

    // No WHERE clause at all: the policy alone decides.
    const seen = await asB.select({ id: accounts.id, organizationId: accounts.organizationId }).from(accounts);
    expect(seen.map((row) => row.id)).toContain(b.accountId);
    expect(seen.every((row) => row.organizationId === b.admin.organizationId)).toBe(true);
    expect(seen.map((row) => row.id)).not.toContain(a.accountId);

    // Asking for A's row by id, as a query that forgot the organisation would.
    expect(await rows(asB, sql`select id from accounts where id = ${a.accountId}`)).toEqual([]);
    expect(await rows(asB, sql`select id from users where organization_id = ${a.admin.organizationId}`)).toEqual([]);
    expect(await rows(asB, sql`select id from organizations where id = ${a.admin.organizationId}`)).toEqual([]);

    // The same inside a transaction, which is how every write runs.
    const inTx = await asB.transaction(async (tx) => rows<{ id: string }>(tx, sql`select id from accounts`));
    expect(inTx.map((row) => row.id)).toEqual([b.accountId]);
    // ... and with the modes a read-only snapshot asks for.
    const inSnapshot = await asB.transaction(async (tx) => rows<{ id: string }>(tx, sql`select id from accounts`), {
      isolationLevel: 'repeatable read',
      accessMode: 'read only',
    });
    expect(inSnapshot.map((row) => row.id)).toEqual([b.accountId]);
  });

  it('refuses to write another organisation\'s rows and changes none of them', async () => {
    const a = await tenant();
    const b = await tenant();
    const asB = database().forOrganization(b.admin.organizationId);

    const insert = await failure(() =>
      asB.execute(sql`insert into accounts (id, organization_id, owner_id, name) values (${randomUUID()}, ${a.admin.organizationId}, ${a.admin.userId}, 'planted')`),
    );
    expect(sqlState(insert)).toBe('42501');
    // Moving B's own row into A is a write A's policy refuses as well.
    const move = await failure(() => asB.execute(sql`update accounts set organization_id = ${a.admin.organizationId} where id = ${b.accountId}`));
    expect(sqlState(move)).toBe('42501');

    await asB.transaction(async (tx) => {
      await tx.execute(sql`update accounts set name = 'changed by B'`);
      await tx.execute(sql`delete from notes`);
    });
    await asB.execute(sql`update users set name = 'changed by B' where organization_id = ${a.admin.organizationId}`);

    const aRows = await rows<{ name: string }>(database().db, sql`select name from accounts where organization_id = ${a.admin.organizationId}`);
    expect(aRows).toHaveLength(1);
    expect(aRows[0]?.name).not.toBe('changed by B');
    const aUsers = await rows<{ name: string }>(database().db, sql`select name from users where organization_id = ${a.admin.organizationId}`);
    expect(aUsers.map((row) => row.name)).not.toContain('changed by B');
  });

  it('returns nothing to the application role with no organisation set, or another one', async () => {
    const a = await tenant();
    const count = async (setting: string | null): Promise<number> =>
      database().db.transaction(async (tx) => {
        if (setting !== null) await tx.execute(sql`select set_config('pulse.organization_id', ${setting}, true)`);
        await tx.execute(sql.raw('set local role pulse_app'));
        const [row] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from accounts`);
        return row?.n ?? -1;
      });
    expect(await count(null)).toBe(0);
    expect(await count('')).toBe(0);
    expect(await count(randomUUID())).toBe(0);
    expect(await count(a.admin.organizationId)).toBe(1);
  });

  it('runs tenant work as a role that neither owns the tables nor bypasses security, and leaves nothing on the connection', async () => {
    const a = await tenant();
    const asA = database().forOrganization(a.admin.organizationId);
    const [who] = await rows<{ role: string; owner: string; superuser: boolean; bypass: boolean; organization: string }>(
      asA,
      sql`select current_user as role, pg_get_userbyid(c.relowner) as owner, r.rolsuper as superuser, r.rolbypassrls as bypass,
                 current_setting('pulse.organization_id') as organization
            from pg_class c, pg_roles r where c.oid = 'public.accounts'::regclass and r.rolname = current_user`,
    );
    expect(who).toEqual({ role: 'pulse_app', owner: expect.not.stringMatching(/^pulse_app$/), superuser: false, bypass: false, organization: a.admin.organizationId });

    // Many at once, so every pooled connection has served a tenant; then the pool's connections,
    // used outside a tenant handle, carry neither the role nor the organisation.
    await Promise.all(Array.from({ length: 30 }, () => rows(asA, sql`select id from accounts`)));
    const after = await Promise.all(
      Array.from({ length: 30 }, () => rows<{ role: string; organization: string | null }>(database().db, sql`select current_user as role, current_setting('pulse.organization_id', true) as organization`)),
    );
    for (const [row] of after) {
      expect(row?.role).not.toBe('pulse_app');
      expect(row?.organization ?? '').toBe('');
    }
  });

  it('keeps a transaction whose statement failed from reporting success', async () => {
    const a = await tenant();
    const asA = database().forOrganization(a.admin.organizationId);
    const error = await failure(() =>
      asA.transaction(async (tx) => {
        await tx.execute(sql`update accounts set name = 'half done' where id = ${a.accountId}`);
        await tx.execute(sql`select 1 / 0`).catch(() => undefined);
      }),
    );
    expect(error).toBeInstanceOf(Error);
    const [row] = await rows<{ name: string }>(asA, sql`select name from accounts where id = ${a.accountId}`);
    expect(row?.name).not.toBe('half done');
  });

  it.skipIf(!process.env['TEST_DATABASE_URL'])('keeps the pool whole when a tenant statement\'s connection is killed', async () => {
    const a = await tenant();
    const asA = database().forOrganization(a.admin.organizationId);
    const { db } = database();
    const sleeping = asA.execute(sql`select pg_sleep(5), 'rls-kill-me' as tag`).then(
      () => 'finished',
      () => 'failed',
    );
    let killed = 0;
    for (let attempt = 0; attempt < 100 && killed === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const done = await rows<{ done: boolean }>(
        db,
        sql`select pg_terminate_backend(pid) as done from pg_stat_activity where query like '%rls-kill-me%' and pid <> pg_backend_pid() and state = 'active'`,
      );
      killed = done.filter((row) => row.done).length;
    }
    expect(killed).toBe(1);
    expect(await sleeping).toBe('failed');
    // Every pooled connection serves again (a dead one put back among the open ones would fail one in ten).
    const answers = await Promise.all(Array.from({ length: 40 }, () => rows<{ id: string }>(asA, sql`select id from accounts`)));
    expect(answers.every((answer) => answer.length === 1)).toBe(true);
  });

  it('puts GraphQL reads and writes of a signed-in user under the policy', async () => {
    const a = await tenant();
    const { db } = database();
    const list = `{ accounts(first: 10) { nodes { id } } }`;
    expect((await a.admin.client.ok<{ accounts: { nodes: { id: string }[] } }>(list)).accounts.nodes.map((n) => n.id)).toEqual([a.accountId]);
    // A policy that admits nothing: the application's own filter still matches A's account, yet
    // the request sees none and may write none, so the request ran under the policy.
    await db.execute(sql.raw(`alter policy tenant_isolation on accounts using (false) with check (false)`));
    try {
      expect((await a.admin.client.ok<{ accounts: { nodes: unknown[] } }>(list)).accounts.nodes).toEqual([]);
      const created = await a.admin.client.request(`mutation { createAccount(input: { name: "refused" }) { id } }`);
      expect(created.errors?.[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await db.execute(sql.raw(`drop policy tenant_isolation on accounts`));
      await db.execute(sql.raw(`select pulse_apply_tenant_isolation()`));
    }
    expect((await a.admin.client.ok<{ accounts: { nodes: { id: string }[] } }>(list)).accounts.nodes.map((n) => n.id)).toEqual([a.accountId]);
  });

  it('covers every table with an organization_id, so a table added later cannot be missed', async () => {
    const { db } = database();
    const tables = await rows<{ table: string; column: string; secured: boolean; using: string | null; check: string | null }>(
      db,
      sql`select c.relname as table, a.attname as column, c.relrowsecurity as secured, p.qual as using, p.with_check as check
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
            join pg_attribute a on a.attrelid = c.oid and not a.attisdropped
              and (a.attname = 'organization_id' or (c.relname = 'organizations' and a.attname = 'id'))
            left join pg_policies p on p.schemaname = 'public' and p.tablename = c.relname and p.policyname = 'tenant_isolation'
           where c.relkind in ('r', 'p')
           order by 1`,
    );
    expect(tables.length).toBeGreaterThan(50);
    const uncovered = tables.filter(
      (t) => !t.secured || !t.using?.includes(t.column) || !t.using.includes('pulse.organization_id') || !t.check?.includes('pulse.organization_id'),
    );
    expect(uncovered.map((t) => t.table)).toEqual([]);

    // No other policy widens what the application role sees (permissive policies add up).
    const others = await rows<{ table: string; policy: string }>(
      db,
      sql`select tablename as table, policyname as policy from pg_policies where schemaname = 'public' and policyname <> 'tenant_isolation'`,
    );
    expect(others).toEqual([]);
    const [role] = await rows<{ superuser: boolean; bypass: boolean }>(db, sql`select rolsuper as superuser, rolbypassrls as bypass from pg_roles where rolname = 'pulse_app'`);
    expect(role).toEqual({ superuser: false, bypass: false });
  });

  it('secures a table a later migration adds with an organization_id when migrations run', async () => {
    const { db } = database();
    await db.execute(sql.raw(`create table rls_later_table (id uuid primary key, organization_id uuid not null)`));
    try {
      await migrateDatabase(database());
      const [row] = await rows<{ secured: boolean; policies: number }>(
        db,
        sql`select c.relrowsecurity as secured, (select count(*)::int from pg_policies p where p.tablename = 'rls_later_table') as policies
              from pg_class c where c.relname = 'rls_later_table'`,
      );
      expect(row).toEqual({ secured: true, policies: 1 });
    } finally {
      await db.execute(sql.raw(`drop table rls_later_table`));
    }
  });
});
