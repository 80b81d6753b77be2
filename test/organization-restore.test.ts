import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { createRole } from './factories/access.factory.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { MOVE } from './factories/pipelines.factory.js';
import { createAccount, createActivity, createContact, createDeal, createLead, createNote } from './factories/records.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { createRule, createTemplate } from './factories/workflows.factory.js';
import { TRACKED_RUNS } from '../src/jobs/job-definitions.js';
import { sweepStalledRuns } from '../src/jobs/stalled-runs.js';
import { setLastRunState } from './helpers/job-state.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

type Files = Map<string, Buffer>;

async function unzip(buffer: Buffer): Promise<Files> {
  const zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true });
  const files: Files = new Map();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStreamPromise(entry).then(async (stream) => {
        const parts: Buffer[] = [];
        for await (const part of stream) parts.push(part as Buffer);
        files.set(entry.fileName, Buffer.concat(parts));
        zip.readEntry();
      }, reject);
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return files;
}

async function zipOf(files: Files): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of files) zip.addBuffer(content, name);
  zip.end();
  const parts: Buffer[] = [];
  for await (const part of zip.outputStream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** exportOrganization, run, verified, downloaded: the archive and its files. */
async function exportOf(admin: SignedInUser): Promise<{ id: string; archive: Buffer; files: Files }> {
  const { id } = (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
  await server().server.deps.jobs.runDue('exports.organization');
  const verified = (await admin.client.ok(`mutation($id: ID!) { verifyExport(id: $id) { status verifyProblems downloadUrl } }`, { id })).verifyExport;
  expect(verified).toMatchObject({ status: 'COMPLETED', verifyProblems: [] });
  const url = new URL(verified.downloadUrl);
  const archive = Buffer.from(await (await fetch(`${server().url}${url.pathname}${url.search}`)).arrayBuffer());
  return { id, archive, files: await unzip(archive) };
}

async function upload(user: SignedInUser, archive: Buffer, path = '/restores', multipart = false): Promise<{ status: number; body: Record<string, any> }> {
  const form = new FormData();
  form.append('file', new Blob([archive], { type: 'application/zip' }), 'pulse-export.zip');
  const response = await fetch(`${server().url}${path}`, {
    method: 'POST',
    headers: multipart ? { authorization: `Bearer ${user.token}` } : { authorization: `Bearer ${user.token}`, 'content-type': 'application/zip' },
    body: multipart ? form : archive,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const RESTORE = `query($id: ID!) { organizationRestore(id: $id) { status archiveBytes sourceOrganizationId sourceExportId tables { table rows } placeholderUsers matchedUserId problems } }`;

async function restored(admin: SignedInUser, archive: Buffer, multipart = false): Promise<Record<string, any>> {
  const started = await upload(admin, archive, '/restores', multipart);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  expect(started.body).toMatchObject({ status: 'QUEUED', uploadUrl: null });
  expect(await server().server.deps.jobs.runDue('exports.restore')).toBe(1);
  return (await admin.client.ok(RESTORE, { id: started.body['id'] })).organizationRestore;
}

type CsvRow = Record<string, string>;
const rowsOf = (files: Files, file: string): CsvRow[] => parse(files.get(file) ?? Buffer.alloc(0), { columns: true }) as CsvRow[];

/** Every CSV's rows as sorted lines, the organisation's id replaced by a marker. */
function normalised(files: Files, organizationId: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  for (const [name, content] of files) {
    if (!name.endsWith('.csv')) continue;
    const rows = parse(content, { columns: true }) as CsvRow[];
    tables.set(
      name,
      rows.map((row) => JSON.stringify(row).split(organizationId).join('<org>')).sort(),
    );
  }
  return tables;
}

/** A varied organisation built through the API: what a year of use leaves behind. */
async function buildOrganization(admin: SignedInUser): Promise<{ member: SignedInUser; dealId: string; leadId: string }> {
  await admin.client.ok(`mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { id } }`, { input: { plan: 'PROFESSIONAL', seats: 10 } });
  const member = await inviteMember(admin);
  await admin.client.ok(`mutation { updateOrganization(input: {currency: "EUR"}) { id } }`);
  const top = await createRole(admin, unique('Sales VP'), null);
  await createRole(admin, unique('Rep'), top);
  await createCustomField(admin.client, { module: 'DEALS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
  await createCustomField(admin.client, { module: 'DEALS', apiName: 'regions', label: 'Regions', type: 'MULTI_PICKLIST', options: ['EU', 'US'] });
  await createCustomField(admin.client, { module: 'DEALS', apiName: 'budget', label: 'Budget', type: 'CURRENCY' });
  await createCustomField(admin.client, { module: 'DEALS', apiName: 'signed_on', label: 'Signed on', type: 'DATE' });
  await createCustomField(admin.client, { module: 'LEADS', apiName: 'vip', label: 'VIP', type: 'BOOLEAN' });
  await createCustomField(admin.client, { module: 'LEADS', apiName: 'nickname', label: 'Nickname', type: 'TEXT', unique: true, defaultValue: '' });
  await createCustomField(admin.client, { module: 'LEADS', apiName: 'headcount', label: 'Headcount', type: 'INTEGER' });
  await admin.client.ok(`mutation($input: UpdatePicklistInput!) { updatePicklist(input: $input) { name } }`, { input: { name: 'LEAD_SOURCE', add: ['Podcast'], retire: ['Trade Show'] } });
  const pipeline = (
    await admin.client.ok(`mutation { createPipeline(input: {name: "Renewals", stages: [{name: "Due", probability: 30}, {name: "Quoted", probability: 60}, {name: "Renewed", probability: 100, kind: WON}]}) { id stages { id name } } }`)
  ).createPipeline;
  const account = await createAccount(admin.client, { name: unique('Acme'), annualRevenue: '1250000.50' });
  const contact = await createContact(member.client, { lastName: 'Stone', email: uniqueEmail('contact'), accountId: account.id });
  const deal = await createDeal(admin.client, {
    name: 'Renewal 2027',
    amount: '1250.50',
    pipelineId: pipeline.id,
    accountId: account.id,
    contactId: contact.id,
    ownerId: member.userId,
    customFields: { segment: 'SMB', regions: ['EU', 'US'], budget: '9000.10', signed_on: '2026-11-02' },
  });
  let version = deal.version;
  for (const stage of pipeline.stages.slice(1)) version = (await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: version, stageId: stage.id } })).moveDeal.version;
  await createDeal(admin.client, { name: 'Plain deal', amount: '10.00' });
  const lead = await createLead(admin.client, { lastName: 'Quoted "Lead", with\nlines', email: uniqueEmail('lead'), leadSource: 'Podcast', description: '', customFields: { vip: true, nickname: 'Ace', headcount: 42 } });
  await createLead(member.client, { lastName: 'Second', tags: ['warm', 'q4'] });
  await createNote(admin.client, { type: 'DEAL', id: deal.id }, 'Met at the fair, they want "more"');
  await createNote(member.client, { type: 'LEAD', id: lead.id });
  await createActivity(admin.client, { type: 'CALL', subject: 'Intro call', relatedTo: { type: 'DEAL', id: deal.id }, callDirection: 'OUTBOUND', callDurationSeconds: 300 });
  await createActivity(member.client, { type: 'TASK', subject: 'Send quote', relatedTo: { type: 'LEAD', id: lead.id }, dueAt: '2026-12-01T10:00:00.000Z' });
  await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { id } }`, { input: { leadId: lead.id, subject: 'Hello', text: 'See https://example.com/offer' } });
  await admin.client.ok(`mutation($id: ID!) { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: $id, occurredAt: "2026-11-03T10:00:00.000Z"}) { id } }`, { id: lead.id });
  const template = await createTemplate(admin.client, { subject: 'Welcome', body: 'Hi {{lead.firstName}}' });
  await createRule(admin.client, {
    module: 'LEADS',
    name: 'Podcast leads',
    trigger: { type: 'ON_CREATE' },
    criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Podcast' }],
    actions: [{ type: 'ADD_TAGS', tags: ['podcast'] }, { type: 'SEND_EMAIL', templateId: template.id }],
  });
  await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
    input: { module: 'LEADS', name: 'Visitors', fieldScores: [{ field: 'leadSource', operator: 'EQUALS', value: 'Podcast', points: 15 }] },
  });
  await admin.client.ok(`mutation($input: CreateAssignmentRuleInput!) { createAssignmentRule(input: $input) { id } }`, {
    input: { module: 'LEADS', name: 'Web to Sam', entries: [{ criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Web' }], strategy: 'USER', userIds: [member.userId] }] },
  });
  const region = (await admin.client.ok(`mutation($input: CreateTerritoryInput!) { createTerritory(input: $input) { id } }`, { input: { name: 'Europe', users: [{ userId: member.userId, manager: true }] } })).createTerritory;
  await admin.client.ok(`mutation($input: CreateTerritoryInput!) { createTerritory(input: $input) { id } }`, { input: { name: 'Spain', parentId: region.id, criteria: [{ field: 'country', operator: 'EQUALS', value: 'Spain' }] } });
  // Everything queued (scoring runs, workflow actions, email delivery) has happened before the backup.
  await server().server.deps.jobs.runDue();
  return { member, dealId: deal.id, leadId: lead.id };
}

/** What a user sees of the restored data through the API (ids included: they are kept). */
const DEAL = `query($id: ID!) { deal(id: $id) { id name amount probability closedAt version customFields tags owner { id name email } createdBy { id } account { id name annualRevenue }
  contact { id lastName } stage { id name } pipeline { id name stages { id name probability } } stageHistory { fromStage { name } toStage { name } movedBy { id } }
  notes { id body author { id } } activities { id subject type callDurationSeconds } timeline(first: 50) { nodes { id kind summary at actor { id } changes { field } } } } }`;
const LEAD = `query($id: ID!) { lead(id: $id) { id lastName description leadSource customFields tags score owner { id } emails { subject status } signals { kind }
  notes { body } activities { subject dueAt } timeline(first: 50) { nodes { kind summary } } } }`;
const SETTINGS = `{ organization { currency } customFields(module: DEALS) { apiName type options position } leads: customFields(module: LEADS) { apiName type unique defaultValue }
  picklist(name: LEAD_SOURCE) { values { value retired } } pipelines { id name isDefault stages { id name probability kind position } }
  workflowRules { name trigger { type } actions { type } } scoringRules { name } assignmentRules { name entries { users { id } } } territories { name parent { name } users { user { id } } } }`;

describe('organisation restore', () => {
  it('round trip: export, restore into a new organisation, export again - every table the same, and the API shows the same records', async () => {
    const source = await signUpOrganization(server().client);
    const { member, dealId, leadId } = await buildOrganization(source);
    const first = await exportOf(source);

    const target = await signUpOrganization(server().client);
    const restore = await restored(target, first.archive);
    expect(restore).toMatchObject({ status: 'COMPLETED', sourceOrganizationId: source.organizationId, sourceExportId: first.id, placeholderUsers: 2, matchedUserId: null, problems: [] });
    const written = new Map(restore.tables.map((entry: { table: string; rows: number }) => [entry.table, entry.rows]));
    for (const table of ['leads', 'deals', 'deal_stage_history', 'notes', 'activities', 'email_messages', 'sales_signals', 'custom_fields', 'custom_field_values', 'workflow_rules', 'scoring_rules', 'assignment_rules', 'territories', 'timeline_entries', 'picklist_values']) {
      expect(written.get(table), table).toBe(rowsOf(first.files, `${table}.csv`).length);
      expect(written.get(table), table).toBeGreaterThan(0);
    }

    const second = await exportOf(target);
    const before = normalised(first.files, source.organizationId);
    const after = normalised(second.files, target.organizationId);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    // Left out of the comparison, by design (README, "Restore"):
    const notRestored = ['login_identities.csv', 'invitations.csv', 'api_keys.csv', 'organization_exports.csv', 'organization_restores.csv'];
    // The new organisation's own history continues beside the restored one.
    const ownHistoryToo = ['audit_log.csv', 'notifications.csv'];
    for (const [file, rows] of before) {
      if (notRestored.includes(file) || file === 'users.csv' || file === 'organizations.csv') continue;
      if (ownHistoryToo.includes(file)) expect(after.get(file), file).toEqual(expect.arrayContaining(rows));
      else expect(after.get(file), file).toEqual(rows);
    }
    // Users: the same people with the same ids, as inactive placeholders; plus the new administrator.
    const strip = (row: CsvRow): CsvRow => ({ ...row, organization_id: '', active: '', deactivated_at: '' });
    const byId = (a: CsvRow, b: CsvRow): number => (a['id'] ?? '').localeCompare(b['id'] ?? '');
    const usersAfter = rowsOf(second.files, 'users.csv');
    expect(usersAfter.filter((row) => row['id'] !== target.userId).map(strip).sort(byId)).toEqual(
      rowsOf(first.files, 'users.csv').map(strip).sort(byId),
    );
    expect(usersAfter.filter((row) => row['id'] !== target.userId).map((row) => row['active'])).toEqual(['false', 'false']);
    // Organisation: settings restored; name, plan, seats, dates (a scheduled deletion too) and cache versions are the new organisation's own.
    const settings = (files: Files) => {
      const { id: _id, name: _name, plan: _plan, seats: _seats, created_at: _created, paused_at: _paused, period_ends_at: _period, pending_subscription: _pending, deletion_scheduled_at: _deletion, access_version: _access, automation_version: _automation, ...rest } = rowsOf(files, 'organizations.csv')[0] ?? {};
      return rest;
    };
    expect(settings(second.files)).toEqual(settings(first.files));
    expect(settings(first.files)['currency']).toBe('EUR');

    // Through the API, as the new administrator: the same records, owners, history and settings.
    const read = async (user: SignedInUser, query: string, variables: Record<string, unknown> = {}) => JSON.parse(JSON.stringify(await user.client.ok(query, variables)).split(user.organizationId).join('<org>'));
    const dealNow = await read(target, DEAL, { id: dealId });
    expect(dealNow).toEqual(await read(source, DEAL, { id: dealId }));
    expect(dealNow.deal).toMatchObject({ amount: '1250.50', owner: { id: member.userId }, customFields: { segment: 'SMB', regions: ['EU', 'US'], budget: '9000.10', signed_on: '2026-11-02' } });
    expect(dealNow.deal.stageHistory.length).toBeGreaterThanOrEqual(3);
    expect(await read(target, LEAD, { id: leadId })).toEqual(await read(source, LEAD, { id: leadId }));
    expect(await read(target, SETTINGS)).toEqual(await read(source, SETTINGS));
    const { auditLog } = await target.client.ok(`{ auditLog(filter: {actions: [ORGANIZATION_RESTORED]}) { nodes { summary actor { id } } } }`);
    expect(auditLog.nodes).toEqual([{ summary: `Restored export ${first.id} of organisation ${source.organizationId}`, actor: { id: target.userId } }]);
    const owner = await target.client.ok(`query($id: ID!) { user(id: $id) { email active } }`, { id: member.userId });
    expect(owner.user).toEqual({ email: member.email, active: false });

    // The restored organisation works: the administrator kept a working administrator profile, and nothing ran on the restored rows.
    const created = await createLead(target.client, { lastName: 'After restore', leadSource: 'Podcast' });
    await server().server.deps.jobs.runDue();
    const fresh = (await target.client.ok(`query($id: ID!) { lead(id: $id) { tags score } }`, { id: created.id })).lead;
    expect(fresh).toEqual({ tags: ['podcast'], score: 15 });
    const { me } = await target.client.ok(`{ me { profile { name } hierarchyRole { name parent { id } } } }`);
    expect(me).toMatchObject({ profile: { name: 'Administrator' }, hierarchyRole: { parent: null } });
    // The source organisation is untouched.
    expect((await source.client.ok(`{ leads { totalCount } }`)).leads.totalCount).toBe(2);
  });

  it('gives the records of the exported user with the same email to the restoring administrator (backup, delete, sign up again, restore)', async () => {
    const name = unique('Moving');
    const source = await signUpOrganization(server().client, { organizationName: name });
    const member = await inviteMember(source);
    const mine = await createLead(source.client, { lastName: 'Mine' });
    const theirs = await createLead(member.client, { lastName: 'Theirs' });
    await createNote(source.client, { type: 'LEAD', id: mine.id }, 'my note');
    const backup = await exportOf(source);
    await source.client.ok(`mutation($input: DeleteOrganizationInput!) { deleteOrganization(input: $input) }`, { input: { confirmName: name, exportId: backup.id } });

    const again = await server().client.ok(`mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } organization { id } } }`, {
      input: { organizationName: unique('Moved'), name: 'Ada Again', email: source.email, password: source.password },
    });
    const target: SignedInUser = { ...source, token: again.signUp.token, userId: again.signUp.user.id, organizationId: again.signUp.organization.id, client: source.client.as(again.signUp.token) };
    // This time as a multipart form (field "file"), as a browser sends it.
    const restore = await restored(target, backup.archive, true);
    expect(restore).toMatchObject({ status: 'COMPLETED', matchedUserId: source.userId, placeholderUsers: 1 });
    const leads = (await target.client.ok(`{ leads(orderBy: {field: LAST_NAME, direction: ASC}) { nodes { id lastName owner { id active } notes { body author { id } } } } }`)).leads.nodes;
    expect(leads).toEqual([
      { id: mine.id, lastName: 'Mine', owner: { id: target.userId, active: true }, notes: [{ body: 'my note', author: { id: target.userId } }] },
      { id: theirs.id, lastName: 'Theirs', owner: { id: member.userId, active: false }, notes: [] },
    ]);
    const users = (await target.client.ok(`{ users(includeInactive: true) { id email active } }`)).users;
    expect(users).toHaveLength(2);
    expect(users).not.toContainEqual(expect.objectContaining({ id: source.userId }));
    // Placeholders cannot sign in.
    await server().client.fails('UNAUTHENTICATED', `mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: { email: member.email, password: member.password } });
  });

  it('refuses a damaged or incomplete archive (BAD_USER_INPUT, nothing written), an organisation that is not new (CONFLICT), and anyone but an administrator', async () => {
    const source = await signUpOrganization(server().client);
    await createLead(source.client, { lastName: 'Backed up' });
    await createAccount(source.client, { name: 'Backed up Co' });
    const { archive, files } = await exportOf(source);
    const target = await signUpOrganization(server().client);

    const tampered = new Map(files);
    tampered.set('leads.csv', Buffer.from((files.get('leads.csv') ?? Buffer.alloc(0)).toString('utf8').replace('Backed up', 'Backed uq')));
    const changed = await upload(target, await zipOf(tampered));
    expect(changed.status).toBe(400);
    expect(changed.body).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file', problems: ['leads.csv: checksum mismatch'] });

    const incomplete = new Map(files);
    incomplete.delete('accounts.csv');
    expect((await upload(target, await zipOf(incomplete))).body['problems']).toEqual(['accounts.csv is missing']);
    const truncated = await upload(target, archive.subarray(0, Math.floor(archive.length / 2)));
    expect(truncated).toMatchObject({ status: 400, body: { problems: ['The file is not a readable zip archive'] } });
    const oldFormat = new Map(files);
    oldFormat.set('manifest.json', Buffer.from(JSON.stringify({ ...JSON.parse((files.get('manifest.json') ?? Buffer.alloc(0)).toString('utf8')), version: 1 })));
    expect((await upload(target, await zipOf(oldFormat))).body['problems']).toEqual([expect.stringContaining('export format version 1')]);

    const refused = (await target.client.ok(`{ organizationRestores { status problems uploadUrl } }`)).organizationRestores;
    expect(refused).toHaveLength(4);
    expect(refused.every((row: { status: string }) => row.status === 'FAILED')).toBe(true);
    expect((await target.client.ok(`{ leads { totalCount } accounts { totalCount } }`)).leads.totalCount).toBe(0);

    // Not a new organisation: the source itself, or any organisation with a record.
    expect(await upload(source, archive)).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    const busy = await signUpOrganization(server().client);
    await createLead(busy.client, { lastName: 'Already here' });
    await busy.client.fails('CONFLICT', `mutation { restoreOrganization { id } }`);

    // The two-step upload (restoreOrganization's uploadUrl) works like POST /restores; an archive is uploaded once.
    const started = (await target.client.ok(`mutation { restoreOrganization { id status uploadUrl } }`)).restoreOrganization;
    expect(started).toMatchObject({ status: 'UPLOADING', uploadUrl: expect.stringMatching(/\/restores\/[0-9a-f-]+\/file$/) });
    const other = await signUpOrganization(server().client);
    await other.client.fails('NOT_FOUND', `query($id: ID!) { organizationRestore(id: $id) { id } }`, { id: started.id });
    const path = new URL(started.uploadUrl).pathname;
    expect((await upload(other, archive, path)).status).toBe(404);
    expect(await upload(target, archive, path)).toMatchObject({ status: 200, body: { status: 'QUEUED', uploadUrl: null } });
    expect((await upload(target, archive, path)).status).toBe(409);

    // Administrators only.
    const member = await inviteMember(target);
    await member.client.fails('FORBIDDEN', `mutation { restoreOrganization { id } }`);
    await member.client.fails('FORBIDDEN', `query($id: ID!) { organizationRestore(id: $id) { id } }`, { id: started.id });
    expect((await upload(member, archive)).status).toBe(403);
    // The job checks again in its transaction: with a second user the organisation is no longer new, and nothing is written.
    await server().server.deps.jobs.runDue('exports.restore');
    const failed = (await target.client.ok(RESTORE, { id: started.id })).organizationRestore;
    expect(failed).toMatchObject({ status: 'FAILED', tables: [], problems: [expect.stringContaining('is not new (it holds users)')] });
    expect((await target.client.ok(`{ leads { totalCount } pipelines { name } }`)).leads.totalCount).toBe(0);
  });

  it('fails with a reason for people, nothing written and the archive dropped, once the last retry of its job crashes too', async () => {
    const source = await signUpOrganization(server().client);
    await createLead(source.client, { lastName: 'Crashing' });
    const { archive } = await exportOf(source);
    const target = await signUpOrganization(server().client);
    const { db, jobs } = server().server.deps;
    const { sql } = await import('drizzle-orm');
    // Other tests' jobs run first, so that the runs counted below are this one's.
    await jobs.runDue('exports.restore');
    // The database refuses the new organisation's leads on every run: no rule the archive breaks (not 22xxx/23xxx), a crash.
    await db.execute(sql.raw(`create or replace function crash_restore() returns trigger language plpgsql as $$ begin if new.organization_id = '${target.organizationId}' then raise exception 'disk full' using errcode = '53100'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger crash_restore before insert on leads for each row execute function crash_restore()`));
    let id: string;
    try {
      const started = await upload(target, archive);
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      id = started.body['id'];
      expect(await jobs.runDue('exports.restore')).toBe(1);
      expect((await target.client.ok(RESTORE, { id })).organizationRestore.status).toBe('RUNNING');
      let runs = 1;
      for (let i = 0; i < 10 && (await target.client.ok(RESTORE, { id })).organizationRestore.status === 'RUNNING'; i += 1) {
        await jobs.advanceTime(3600 * 1000);
        runs += await jobs.runDue('exports.restore');
      }
      // The first run and its three retries (retryLimit 3).
      expect(runs).toBe(4);
    } finally {
      await db.execute(sql.raw(`drop trigger crash_restore on leads`));
    }
    const failed = (await target.client.ok(RESTORE, { id })).organizationRestore;
    expect(failed).toMatchObject({ status: 'FAILED', tables: [], problems: [expect.stringMatching(/^The restore could not be finished, and its retries failed too; nothing was restored/)] });
    expect(failed.problems[0]).not.toMatch(/disk full|Failed query|53100/);
    expect((await target.client.ok(`{ leads { totalCount } users(includeInactive: true) { id } }`))).toEqual({ leads: { totalCount: 0 }, users: [{ id: target.userId }] });
    const chunks = await db.execute(sql`select count(*)::int as n from organization_restore_chunks where restore_id = ${id}`);
    expect(((Array.isArray(chunks) ? chunks : (chunks as { rows: unknown[] }).rows) as { n: number }[])[0]?.n).toBe(0);
  });

  it('fails with a reason for people and drops the archive, once pg-boss gives up on a last run that outlived its time limit', async () => {
    const source = await signUpOrganization(server().client);
    await createLead(source.client, { lastName: 'Hung' });
    const { archive } = await exportOf(source);
    const target = await signUpOrganization(server().client);
    const { db, jobs, database, logger } = server().server.deps;
    const sweep = () => sweepStalledRuns(database, TRACKED_RUNS, logger);
    const { sql } = await import('drizzle-orm');
    await jobs.runDue('exports.restore');
    const started = await upload(target, archive);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id: string = started.body['id'];
    // Its last run started, then hung; while it is active the sweep leaves it alone.
    await db.execute(sql`update organization_restores set status = 'RUNNING' where id = ${id}`);
    await setLastRunState(db, 'exports.restore', 'restoreId', id, 'active');
    await sweep();
    expect((await target.client.ok(RESTORE, { id })).organizationRestore.status).toBe('RUNNING');
    // Its time limit passed: pg-boss fails the job without calling the handler again.
    await setLastRunState(db, 'exports.restore', 'restoreId', id, 'failed');
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    const failed = (await target.client.ok(RESTORE, { id })).organizationRestore;
    expect(failed).toMatchObject({ status: 'FAILED', tables: [], problems: [expect.stringMatching(/^The restore stopped: it ran longer than its time limit, and nothing was restored/)] });
    expect((await target.client.ok(`{ leads { totalCount } }`))).toEqual({ leads: { totalCount: 0 } });
    const chunks = await db.execute(sql`select count(*)::int as n from organization_restore_chunks where restore_id = ${id}`);
    expect(((Array.isArray(chunks) ? chunks : (chunks as { rows: unknown[] }).rows) as { n: number }[])[0]?.n).toBe(0);
    expect(await jobs.runDue('exports.restore')).toBe(0);
  });

  it('is all or nothing: an archive that passes its checksums but breaks midway leaves the new organisation as it was', async () => {
    const source = await signUpOrganization(server().client);
    const lead = await createLead(source.client, { lastName: 'Half' });
    await createNote(source.client, { type: 'LEAD', id: lead.id }, 'noted');
    const { files } = await exportOf(source);
    // A column this Pulse does not have, in a file written late (notes come after leads), with checksums recomputed.
    const notes = (files.get('notes.csv') ?? Buffer.alloc(0)).toString('utf8').replace('\r\n', ',bogus\r\n').replace(/\r\n(?=.)/g, ',x\r\n').replace(',bogus,x', ',bogus');
    const edited = new Map(files);
    edited.set('notes.csv', Buffer.from(notes));
    const manifest = JSON.parse((files.get('manifest.json') ?? Buffer.alloc(0)).toString('utf8'));
    for (const entry of manifest.files) if (entry.file === 'notes.csv') entry.sha256 = createHash('sha256').update(notes).digest('hex');
    edited.set('manifest.json', Buffer.from(JSON.stringify(manifest)));

    const target = await signUpOrganization(server().client);
    const before = await target.client.ok(`{ pipelines { id name stages { id } } me { profile { id } } }`);
    const started = await upload(target, await zipOf(edited));
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    await server().server.deps.jobs.runDue('exports.restore');
    const failed = (await target.client.ok(RESTORE, { id: started.body['id'] })).organizationRestore;
    expect(failed).toMatchObject({ status: 'FAILED', tables: [], problems: ['notes.csv has columns this Pulse does not have (bogus)'] });
    expect((await target.client.ok(`{ leads { totalCount } users(includeInactive: true) { id } }`))).toEqual({ leads: { totalCount: 0 }, users: [{ id: target.userId }] });
    expect(await target.client.ok(`{ pipelines { id name stages { id } } me { profile { id } } }`)).toEqual(before);
  });
});
