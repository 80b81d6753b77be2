import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.js';
import { onTeamNotice, type TeamNotice } from '../src/modules/organizations/team-notice.js';
import { requireFeature } from '../src/modules/organizations/plans.js';
import { uploadImport } from './factories/imports.factory.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

const SUBSCRIPTION = `mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { plan { name } seats activeUsers pendingSubscription { plan seats usersToDeactivate } } }`;

function captureNotices(): { notices: TeamNotice[]; stop: () => void } {
  const notices: TeamNotice[] = [];
  const stop = onTeamNotice(async (_tx, notice) => {
    notices.push(notice);
  });
  return { notices, stop };
}

async function createLead(user: SignedInUser, lastName = 'Lead'): Promise<string> {
  return (await user.client.ok(`mutation($n: String!) { createLead(input: {lastName: $n}) { id } }`, { n: lastName })).createLead.id;
}

describe('plans and seats', () => {
  it('shows the plan and refuses a fourth user on FREE with PLAN_LIMIT naming the limit', async () => {
    const admin = await signUpOrganization(server().client);
    const data = await admin.client.ok(`{ organization { plan { name seats maxSeats features limits } seats activeUsers paused } }`);
    expect(data.organization).toEqual({ plan: { name: 'FREE', seats: 3, maxSeats: 3, features: [], limits: { importRows: 5000 } }, seats: 3, activeUsers: 1, paused: false });
    await inviteMember(admin);
    await inviteMember(admin);
    const error = await admin.client.fails('PLAN_LIMIT', `mutation($input: InviteUserInput!) { inviteUser(input: $input) { user { id } } }`, {
      input: { name: 'Fourth', email: uniqueEmail('fourth'), role: 'SALES_REP' },
    });
    expect(error.extensions).toMatchObject({ limit: 'seats', max: 3, plan: 'FREE' });
    expect(() => requireFeature({ plan: 'FREE' } as never, 'workflows')).toThrow(/does not include workflows/);
    expect(() => requireFeature({ plan: 'PROFESSIONAL' } as never, 'workflows')).not.toThrow();
  });

  it('downgrades seats only with the users to deactivate named; their records stay', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(SUBSCRIPTION, { input: { plan: 'STANDARD', seats: 5 } });
    const members = [await inviteMember(admin), await inviteMember(admin), await inviteMember(admin)];
    const leaving = members[0] as SignedInUser;
    const leadId = await createLead(leaving, 'Kept');
    const refused = await admin.client.fails('PLAN_LIMIT', SUBSCRIPTION, { input: { plan: 'FREE' } });
    expect(refused.extensions).toMatchObject({ limit: 'seats', activeUsers: 4, seats: 3, mustDeactivate: 1 });
    await admin.client.fails('BAD_USER_INPUT', SUBSCRIPTION, { input: { plan: 'FREE', usersToDeactivate: [admin.userId] } });
    await admin.client.fails('PLAN_LIMIT', SUBSCRIPTION, { input: { plan: 'FREE', seats: 4, usersToDeactivate: [leaving.userId] } });
    // Only an active member frees a seat: an unknown id or another organisation's user does not.
    const stranger = await signUpOrganization(server().client);
    for (const id of ['00000000-0000-4000-8000-000000000000', stranger.userId]) {
      const notFreeing = await admin.client.fails('BAD_USER_INPUT', SUBSCRIPTION, { input: { plan: 'FREE', usersToDeactivate: [id] } });
      expect(notFreeing.extensions?.['field']).toBe('usersToDeactivate');
    }
    const { notices, stop } = captureNotices();
    try {
      const done = await admin.client.ok(SUBSCRIPTION, { input: { plan: 'FREE', usersToDeactivate: [leaving.userId] } });
      expect(done.updateSubscription).toMatchObject({ plan: { name: 'FREE' }, seats: 3, activeUsers: 3 });
    } finally {
      stop();
    }
    expect(notices.map((notice) => notice.kind)).toEqual(['DOWNGRADED']);
    expect(notices[0]?.recipients.map((recipient) => recipient.email).sort()).toEqual([admin.email, members[1]?.email, members[2]?.email].sort());
    await leaving.client.fails('UNAUTHENTICATED', `{ me { id } }`);
    const lead = await admin.client.ok(`query($id: ID!) { lead(id: $id) { lastName owner { id active } } }`, { id: leadId });
    expect(lead.lead).toEqual({ lastName: 'Kept', owner: { id: leaving.userId, active: false } });
  });

  it('applies a PERIOD_END change when the period ends', async () => {
    const admin = await signUpOrganization(server().client);
    const scheduled = await admin.client.ok(SUBSCRIPTION, { input: { plan: 'PROFESSIONAL', seats: 12, effective: 'PERIOD_END' } });
    expect(scheduled.updateSubscription).toMatchObject({ plan: { name: 'FREE' }, pendingSubscription: { plan: 'PROFESSIONAL', seats: 12, usersToDeactivate: [] } });
    const { jobs } = server().server.deps;
    expect(await jobs.runDue('organizations.apply-subscription')).toBe(0);
    await jobs.advanceTime(31 * 24 * 3600 * 1000);
    expect(await jobs.runDue('organizations.apply-subscription')).toBeGreaterThanOrEqual(1);
    const data = await admin.client.ok(`{ organization { plan { name features } seats pendingSubscription { plan } } }`);
    expect(data.organization).toEqual({ plan: { name: 'PROFESSIONAL', features: ['scoringRules', 'workflows', 'customReports', 'territories'] }, seats: 12, pendingSubscription: null });
  });
});

describe('a PERIOD_END change the re-check refuses', () => {
  it('is dropped, its requester and the administrators are told in the app and by email, and the job does not retry', async () => {
    const name = unique('Grown');
    const admin = await signUpOrganization(server().client, { organizationName: name });
    await admin.client.ok(SUBSCRIPTION, { input: { plan: 'STANDARD', seats: 5 } });
    const otherAdmin = await inviteMember(admin, 'ADMIN');
    const member = await inviteMember(admin);
    await admin.client.ok(SUBSCRIPTION, { input: { plan: 'FREE', effective: 'PERIOD_END' } });
    // The team grows meanwhile: at the period's end 4 active users do not fit FREE's 3 seats.
    await inviteMember(admin);
    const { jobs } = server().server.deps;
    await jobs.runDue('organizations.apply-subscription');
    const { notices, stop } = captureNotices();
    try {
      await jobs.advanceTime(31 * 24 * 3600 * 1000);
      expect(await jobs.runDue('organizations.apply-subscription')).toBe(1);
    } finally {
      stop();
    }
    const data = await admin.client.ok(`{ organization { plan { name } seats pendingSubscription { plan } } }`);
    expect(data.organization).toEqual({ plan: { name: 'STANDARD' }, seats: 5, pendingSubscription: null });
    // The requester and every administrator, by email through the team-notice job; not the other members.
    expect(notices.map((notice) => notice.kind)).toEqual(['PLAN_CHANGE_FAILED']);
    expect(notices[0]?.recipients.map((recipient) => recipient.email).sort()).toEqual([admin.email, otherAdmin.email].sort());
    expect(notices[0]?.subject).toBe(`${name} was not moved to the FREE plan`);
    expect(notices[0]?.text).toContain('4 users are active and 3 seats remain');
    const NOTIFICATIONS = `{ notifications(first: 5) { nodes { title body } } }`;
    for (const told of [admin, otherAdmin]) {
      expect((await told.client.ok(NOTIFICATIONS)).notifications.nodes).toEqual([{ title: `${name} was not moved to the FREE plan`, body: notices[0]?.text }]);
    }
    expect((await member.client.ok(NOTIFICATIONS)).notifications.nodes).toEqual([]);
    // A rule failure is final: nothing is retried.
    await jobs.advanceTime(24 * 3600 * 1000);
    expect(await jobs.runDue('organizations.apply-subscription')).toBe(0);
  });

  it('is retried when the database fails rather than a rule', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(SUBSCRIPTION, { input: { plan: 'STANDARD', effective: 'PERIOD_END' } });
    const { db, jobs } = server().server.deps;
    await jobs.runDue('organizations.apply-subscription');
    await db.execute(sql.raw(`create or replace function refuse_plan() returns trigger language plpgsql as $$ begin if new.id = '${admin.organizationId}' then raise exception 'database unavailable' using errcode = '57P03'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger refuse_plan before update on organizations for each row execute function refuse_plan()`));
    try {
      await jobs.advanceTime(31 * 24 * 3600 * 1000);
      expect(await jobs.runDue('organizations.apply-subscription')).toBe(1);
    } finally {
      await db.execute(sql.raw(`drop trigger refuse_plan on organizations`));
    }
    expect((await admin.client.ok(`{ organization { pendingSubscription { plan } } }`)).organization.pendingSubscription).toEqual({ plan: 'STANDARD' });
    await jobs.advanceTime(3600 * 1000);
    expect(await jobs.runDue('organizations.apply-subscription')).toBe(1);
    expect((await admin.client.ok(`{ organization { plan { name } pendingSubscription { plan } } }`)).organization).toEqual({ plan: { name: 'STANDARD' }, pendingSubscription: null });
  });
});

describe('pause', () => {
  it('refuses every write, over GraphQL and HTTP, while reads, exports and sign-in go on', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const leadId = await createLead(admin, 'Readable');
    const form = (await admin.client.ok(`mutation { createWebForm(input: {name: "Contact", fields: [{name: "last", leadField: "lastName"}]}) { publicKey } }`)).createWebForm.publicKey;
    await member.client.fails('FORBIDDEN', `mutation { pauseOrganization { paused } }`);
    const { notices, stop } = captureNotices();
    try {
      expect((await admin.client.ok(`mutation { pauseOrganization { paused pausedAt } }`)).pauseOrganization.paused).toBe(true);
    } finally {
      stop();
    }
    expect(notices.map((notice) => notice.kind)).toEqual(['PAUSED']);

    const refused = await member.client.fails('FORBIDDEN', `mutation { createLead(input: {lastName: "No"}) { id } }`);
    expect(refused.extensions).toMatchObject({ reason: 'ORGANIZATION_PAUSED' });
    await admin.client.fails('FORBIDDEN', `mutation { updateOrganization(input: {name: "Renamed"}) { name } }`);
    await admin.client.fails('FORBIDDEN', `mutation($id: ID!) { updateLead(input: {id: $id, expectedVersion: 1, lastName: "X"}) { id } }`, { id: leadId });
    await admin.client.fails('FORBIDDEN', `mutation { createImport(input: {module: LEADS}) { id } }`);
    const upload = await uploadImport(server().url, admin, 'leads', 'Last Name\nNope\n');
    expect(upload.status).toBe(403);
    expect(upload.body.reason).toBe('ORGANIZATION_PAUSED');
    const posted = await fetch(`${server().url}/forms/${form}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ last: 'Spam' }) });
    expect(posted.status).toBe(403);

    // Reads, sign-in, exports.
    expect((await member.client.ok(`{ leads { totalCount } }`)).leads.totalCount).toBe(1);
    await server().client.ok(`mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: { email: member.email, password: member.password } });
    const csv = await fetch(`${server().url}/export/leads.csv`, { headers: { authorization: `Bearer ${member.token}` } });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain('Readable');
    expect((await admin.client.ok(`mutation { exportOrganization { status } }`)).exportOrganization.status).toBe('QUEUED');

    await admin.client.ok(`mutation { resumeOrganization { paused } }`);
    await createLead(member, 'Allowed again');
  });
});

describe('deletion', () => {
  async function tenantTables(): Promise<string[]> {
    const { db } = server().server.deps;
    return rowsOf<{ table_name: string }>(await db.execute(sql`select distinct table_name from information_schema.columns where column_name = 'organization_id' and table_schema = 'public'`)).map((row) => row.table_name);
  }
  async function rowCounts(organizationId: string): Promise<Record<string, number>> {
    const { db } = server().server.deps;
    const counts: Record<string, number> = {};
    for (const table of await tenantTables()) {
      const [row] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where organization_id = ${organizationId}`));
      counts[table] = row?.n ?? -1;
    }
    const [org] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from organizations where id = ${organizationId}`));
    counts['organizations'] = org?.n ?? -1;
    return counts;
  }

  it('needs the name and a verified recent export (or withoutExport), then removes every row and every sign-in', async () => {
    const keep = await signUpOrganization(server().client);
    await createLead(keep, 'Untouched');
    const name = unique('Doomed');
    const doomed = await signUpOrganization(server().client, { organizationName: name });
    const member = await inviteMember(doomed);
    await createLead(member, 'Gone');
    await doomed.client.ok(`mutation { createAccount(input: {name: "Gone Co"}) { id } }`);
    const imported = await uploadImport(server().url, doomed, 'leads', `Last Name,Email\nImported,${uniqueEmail('i')}\n`);
    await doomed.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: imported.body.id });
    await server().server.deps.jobs.runDue('imports.commit');
    const before = await rowCounts(keep.organizationId);

    const DELETE = `mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) }`;
    await member.client.fails('FORBIDDEN', DELETE, { input: { confirmName: name, withoutExport: true } });
    await doomed.client.fails('BAD_USER_INPUT', DELETE, { input: { confirmName: 'Wrong name', withoutExport: true } });
    await doomed.client.fails('BAD_USER_INPUT', DELETE, { input: { confirmName: name } });
    const started = await doomed.client.ok(`mutation { exportOrganization { id } }`);
    const exportId = started.exportOrganization.id;
    await server().server.deps.jobs.runDue('exports.organization');
    const unverified = await doomed.client.fails('BAD_USER_INPUT', DELETE, { input: { confirmName: name, exportId } });
    expect(unverified.extensions?.['field']).toBe('exportId');
    expect((await doomed.client.ok(`mutation($id: ID!) { verifyExport(id: $id) { verifiedAt verifyProblems } }`, { id: exportId })).verifyExport.verifyProblems).toEqual([]);
    // Another organisation's export does not count.
    await keep.client.fails('BAD_USER_INPUT', DELETE, { input: { confirmName: (await keep.client.ok(`{ organization { name } }`)).organization.name, exportId } });

    const { notices, stop } = captureNotices();
    try {
      expect((await doomed.client.ok(DELETE, { input: { confirmName: name, exportId } })).deleteOrganization).toBe(doomed.organizationId);
    } finally {
      stop();
    }
    expect(notices[0]?.kind).toBe('DELETION_SCHEDULED');
    expect(notices[0]?.recipients).toHaveLength(2);
    const after = await rowCounts(doomed.organizationId);
    expect(Object.keys(after).length).toBeGreaterThan(20);
    for (const [table, count] of Object.entries(after)) expect(count, table).toBe(0);
    expect(await rowCounts(keep.organizationId)).toEqual(before);
    await doomed.client.fails('UNAUTHENTICATED', `{ me { id } }`);
    await member.client.fails('UNAUTHENTICATED', `{ leads { totalCount } }`);
    await server().client.fails('UNAUTHENTICATED', `mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: { email: doomed.email, password: doomed.password } });
    expect((await keep.client.ok(`{ leads { nodes { lastName } } }`)).leads.nodes).toEqual([{ lastName: 'Untouched' }]);
  });
});

describe('team notices in the app', () => {
  const NOTIFICATIONS = `{ notifications(first: 20) { totalCount unreadCount nodes { title body module recordId ruleId read } } }`;
  type Live = { notifications: { id: string; title: string; body: string; cursor: string } };

  /** `user`'s live notifications, from the organisation's current cursor (nothing is missed while the socket opens). */
  async function follow(user: SignedInUser) {
    const { salesSignals } = await user.client.ok(`{ salesSignals(first: 0) { cursor } }`);
    const ws = connectWs(server().wsUrl, user.token);
    const live = ws.subscribe<Live>(`subscription($after: String) { notifications(after: $after) { id title body cursor } }`, { after: salesSignals.cursor });
    return { live, ws };
  }

  it('tells every active member in the app, live and in the notifications query, when the organisation is paused, resumed or downgraded', async () => {
    const name = unique('Noticed');
    const admin = await signUpOrganization(server().client, { organizationName: name });
    await admin.client.ok(SUBSCRIPTION, { input: { plan: 'STANDARD', seats: 5 } });
    const member = await inviteMember(admin);
    const leaving = await inviteMember(admin);
    const outsider = await signUpOrganization(server().client);
    const { live, ws } = await follow(member);
    try {
      await admin.client.ok(`mutation { pauseOrganization { paused } }`);
      const [paused] = await live.waitFor(1);
      expect(paused?.notifications).toMatchObject({ title: `${name} is paused`, body: expect.stringContaining('nothing can be changed until it is resumed') });
      expect(paused?.notifications.cursor).toBeTruthy();
      await admin.client.ok(`mutation { resumeOrganization { paused } }`);
      await admin.client.ok(SUBSCRIPTION, { input: { plan: 'FREE', seats: 2, usersToDeactivate: [leaving.userId] } });
      const all = await live.waitFor(3);
      expect(all.map((item) => item.notifications.title)).toEqual([`${name} is paused`, `${name} is active again`, `${name} is now on the FREE plan`]);
      expect(all[2]?.notifications.body).toContain('1 users were deactivated; their records are kept.');
    } finally {
      await ws.dispose();
    }

    const listed = (await member.client.ok(NOTIFICATIONS)).notifications;
    expect(listed).toMatchObject({ totalCount: 3, unreadCount: 3 });
    expect(listed.nodes.map((node: { title: string }) => node.title)).toEqual([`${name} is now on the FREE plan`, `${name} is active again`, `${name} is paused`]);
    expect(listed.nodes[0]).toMatchObject({ module: null, recordId: null, ruleId: null, read: false });
    // The administrator who made the change is a member too; the deactivated user got only the notices before.
    expect((await admin.client.ok(NOTIFICATIONS)).notifications.totalCount).toBe(3);
    const { db } = server().server.deps;
    const kept = rowsOf<{ title: string }>(await db.execute(sql`select title from notifications where organization_id = ${admin.organizationId} and user_id = ${leaving.userId} order by created_at`));
    expect(kept.map((row) => row.title)).toEqual([`${name} is paused`, `${name} is active again`]);
    expect((await outsider.client.ok(NOTIFICATIONS)).notifications.totalCount).toBe(0);
  });

  it('schedules a deletion: members are told in the app and live, the day comes and everything goes, or an administrator cancels it', async () => {
    const name = unique('Leaving');
    const admin = await signUpOrganization(server().client, { organizationName: name });
    const member = await inviteMember(admin);
    const DELETE = `mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) }`;
    await admin.client.fails('BAD_USER_INPUT', DELETE, { input: { confirmName: name, withoutExport: true, inDays: -1 } });
    const { jobs } = server().server.deps;
    const { live, ws } = await follow(member);
    try {
      expect((await admin.client.ok(DELETE, { input: { confirmName: name, withoutExport: true, inDays: 7 } })).deleteOrganization).toBe(admin.organizationId);
      const [scheduled] = await live.waitFor(1);
      const day = (await admin.client.ok(`{ organization { deletionScheduledAt } }`)).organization.deletionScheduledAt.slice(0, 10);
      expect(scheduled?.notifications).toMatchObject({ title: `${name} will be deleted on ${day}`, body: expect.stringContaining('an administrator can cancel it') });
      // Until then the organisation works as usual.
      await createLead(member, 'Still working');
      expect(await jobs.runDue('organizations.delete')).toBe(0);
      await member.client.fails('FORBIDDEN', `mutation { cancelOrganizationDeletion { id } }`);
      expect((await admin.client.ok(`mutation { cancelOrganizationDeletion { deletionScheduledAt } }`)).cancelOrganizationDeletion.deletionScheduledAt).toBeNull();
      await live.waitFor(2);
      expect(live.items[1]?.notifications.title).toBe(`${name} will not be deleted`);
    } finally {
      await ws.dispose();
    }
    const listed = (await member.client.ok(NOTIFICATIONS)).notifications;
    expect(listed.nodes.map((node: { title: string }) => node.title)).toEqual([`${name} will not be deleted`, expect.stringMatching(/ will be deleted on /)]);
    // The cancelled schedule's job finds nothing to do; a new schedule is carried out on its day.
    await jobs.advanceTime(8 * 24 * 3600 * 1000);
    expect(await jobs.runDue('organizations.delete')).toBe(1);
    expect((await member.client.ok(`{ leads { totalCount } }`)).leads.totalCount).toBe(1);
    await admin.client.ok(DELETE, { input: { confirmName: name, withoutExport: true, inDays: 1 } });
    await jobs.advanceTime(2 * 24 * 3600 * 1000);
    expect(await jobs.runDue('organizations.delete')).toBe(1);
    await member.client.fails('UNAUTHENTICATED', `{ leads { totalCount } }`);
    await admin.client.fails('UNAUTHENTICATED', `{ me { id } }`);
  });
});
