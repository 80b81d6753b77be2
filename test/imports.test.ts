import iconv from 'iconv-lite';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCustomField } from './factories/custom-fields.factory.js';
import { leadsCsv, sample, uploadImport } from './factories/imports.factory.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { createRule, createTemplate, notificationsOf, runsOf } from './factories/workflows.factory.js';
import { rows as sqlRows } from './helpers/sql-probes.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';
import { runImport } from '../src/modules/imports/import-runner.js';
import { TRACKED_RUNS } from '../src/jobs/job-definitions.js';
import { sweepStalledRuns } from '../src/jobs/stalled-runs.js';
import { setLastRunState } from './helpers/job-state.js';

// Jobs run only when a test says so (runDue), never behind its back.
const server = useTestServer({ JOB_WORKERS: 'false' });

beforeAll(() => {
  // Jobs run in this process on PGlite, which holds the event loop while it works: the server's
  // keep-alive timer would then close idle sockets just as the client reuses them.
  server().server.httpServer.keepAliveTimeout = 120_000;
});

const IMPORT = `id status counts { rowsRead rowsValid rowsFailed created updated skipped } errors { row column field message } errorCount undoableUntil`;
const PREVIEW = `query($id: ID!) { previewImport(id: $id) { counts { rowsRead rowsValid rowsFailed created updated skipped } errors { row column field message } errorCount } }`;

async function configure(user: SignedInUser, input: Record<string, unknown>): Promise<void> {
  await user.client.ok(`mutation($input: UpdateImportMappingInput!) { updateImportMapping(input: $input) { id } }`, { input });
}

/** Commits and runs the job now (tests move the queue by hand). */
async function commit(user: SignedInUser, id: string): Promise<any> {
  await user.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id status } }`, { id });
  await server().server.deps.jobs.runDue('imports.commit');
  return (await user.client.ok(`query($id: ID!) { import(id: $id) { ${IMPORT} } }`, { id })).import;
}

/** The import's progress stream, replayed from `after`, ends with its FAILED event. */
async function expectFailedEvent(admin: SignedInUser, importId: string, after: string): Promise<void> {
  const ws = connectWs(server().wsUrl, admin.token);
  try {
    const progress = ws.subscribe(`subscription($id: ID!, $after: String) { importProgress(id: $id, after: $after) { status percentage } }`, { id: importId, after });
    await progress.waitFor(1);
    for (let i = 0; i < 50 && !progress.items.some((item: any) => item.importProgress.status === 'FAILED'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(progress.items[progress.items.length - 1]).toEqual({ importProgress: { status: 'FAILED', percentage: 100 } });
  } finally {
    await ws.dispose();
  }
}

async function leadEmails(user: SignedInUser): Promise<string[]> {
  const data = await user.client.ok(`{ leads(first: 200) { nodes { email } } }`);
  return data.leads.nodes.map((lead: { email: string | null }) => lead.email).sort();
}

describe('import upload and mapping', () => {
  it('proposes a mapping for the headers of common exports', async () => {
    const admin = await signUpOrganization(server().client);
    const expectations: [string, string, Record<string, string>][] = [
      ['google-contacts.csv', 'leads', { 'First Name': 'firstName', 'Last Name': 'lastName', 'E-mail 1 - Value': 'email', 'Organization Name': 'company', 'Organization Title': 'title', 'Phone 1 - Value': 'phone', 'Address 1 - City': 'city' }],
      ['outlook.csv', 'contacts', { 'E-mail Address': 'email', 'Mobile Phone': 'mobile', 'Business Phone': 'phone', 'Job Title': 'title', Department: 'department', 'Business City': 'city' }],
      ['linkedin-connections.csv', 'leads', { 'Email Address': 'email', Company: 'company', Position: 'title' }],
      ['mailchimp-audience.csv', 'leads', { 'Email Address': 'email', 'Phone Number': 'phone', TAGS: 'tags', NOTES: 'description' }],
      ['zoho-leads.csv', 'leads', { Email: 'email', Company: 'company', Mobile: 'mobile', 'Lead Source': 'leadSource', 'Lead Status': 'status', 'No of Employees': 'employees', 'Annual Revenue': 'annualRevenue', 'Zip Code': 'postalCode' }],
      ['salesforce-leads.csv', 'leads', { Email: 'email', Title: 'title', 'No. of Employees': 'employees', 'Zip/Postal Code': 'postalCode', 'State/Province': 'state' }],
      ['hubspot-contacts.csv', 'contacts', { Email: 'email', 'Phone Number': 'phone', 'Job Title': 'title', 'State/Region': 'state', 'Country/Region': 'country', 'Original Source': 'leadSource' }],
      ['hubspot-contacts.csv', 'accounts', { 'Company Name': 'name', 'Website URL': 'website' }],
    ];
    for (const [file, module, expected] of expectations) {
      const { status, body } = await uploadImport(server().url, admin, module, sample(file), file);
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.status).toBe('READY');
      const mapped = Object.fromEntries(body.mapping.filter((entry) => entry.field).map((entry) => [entry.column, entry.field]));
      for (const [column, field] of Object.entries(expected)) expect(mapped[column], `${file} ${column}`).toBe(field);
      // Never two columns into one field.
      const fields = Object.values(mapped);
      expect(new Set(fields).size).toBe(fields.length);
    }
    // Outlook's "Title" is a salutation: "Job Title" wins the field.
    const outlook = await uploadImport(server().url, admin, 'leads', sample('outlook.csv'));
    expect(outlook.body.mapping.find((entry) => entry.column === 'Title')?.field).toBeNull();
  });

  it('reads other encodings, delimiters, a preamble and multi-line cells', async () => {
    const admin = await signUpOrganization(server().client);
    const email = uniqueEmail('muller');
    const text = `Exported contacts\r\nVorname;Nachname;Email Address;Company;Notes\r\nJürgen;Müller;${email};Bäckerei Groß;"line one\r\nline two; still notes"\r\n`;
    const { body } = await uploadImport(server().url, admin, 'leads', iconv.encode(text, 'windows-1252'));
    expect(body.encoding).toBe('windows1252');
    expect(body.headers).toEqual(['Vorname', 'Nachname', 'Email Address', 'Company', 'Notes']);
    await configure(admin, {
      id: body.id,
      mapping: [
        { column: 'Vorname', field: 'firstName' },
        { column: 'Nachname', field: 'lastName' },
        { column: 'Email Address', field: 'email' },
        { column: 'Company', field: 'company' },
        { column: 'Notes', field: 'description' },
      ],
    });
    const done = await commit(admin, body.id);
    expect(done.status).toBe('COMPLETED');
    const lead = (await admin.client.ok(`{ leads(filter: {email: "${email}"}) { nodes { firstName lastName company description } } }`)).leads.nodes[0];
    expect(lead).toEqual({ firstName: 'Jürgen', lastName: 'Müller', company: 'Bäckerei Groß', description: 'line one\r\nline two; still notes' });

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(`Last Name\tEmail\r\nTanaka\t${uniqueEmail('t')}\r\n`, 'utf16le')]);
    const second = await uploadImport(server().url, admin, 'leads', utf16);
    expect(second.body.encoding).toBe('utf16le');
    expect(second.body.headers).toEqual(['Last Name', 'Email']);
  });

  it('saves a mapping for the next import of the module', async () => {
    const admin = await signUpOrganization(server().client);
    const first = await uploadImport(server().url, admin, 'leads', 'Surname,Electronic Mail,Firm\nKim,a@b.example,X\n');
    await configure(admin, {
      id: first.body.id,
      mapping: [
        { column: 'Surname', field: 'lastName' },
        { column: 'Electronic Mail', field: 'email' },
        { column: 'Firm', field: 'company' },
      ],
      saveAs: 'Our old CRM',
    });
    const saved = await admin.client.ok(`{ savedImportMappings(module: LEADS) { name mapping { column field } } }`);
    expect(saved.savedImportMappings[0].name).toBe('Our old CRM');
    const next = await uploadImport(server().url, admin, 'leads', 'Surname,Electronic Mail,Firm\nLee,c@d.example,Y\n');
    expect(next.body.mapping.map((entry) => entry.field)).toEqual(['lastName', 'email', 'company']);
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateImportMappingInput!) { updateImportMapping(input: $input) { id } }`, {
      input: { id: next.body.id, mapping: [{ column: 'Surname', field: 'shoeSize' }] },
    });
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateImportMappingInput!) { updateImportMapping(input: $input) { id } }`, {
      input: { id: next.body.id, mapping: [{ column: 'Surname', customField: 'cf_shoe' }] },
    });
  });

  it('needs a token, and another organisation cannot see the import', async () => {
    const admin = await signUpOrganization(server().client);
    const other = await signUpOrganization(server().client);
    const form = new FormData();
    form.append('module', 'leads');
    form.append('file', new Blob(['Last Name\nX\n']), 'x.csv');
    expect((await fetch(`${server().url}/imports`, { method: 'POST', body: form })).status).toBe(401);
    const { body } = await uploadImport(server().url, admin, 'leads', 'Last Name\nX\n');
    await other.client.fails('NOT_FOUND', `query($id: ID!) { import(id: $id) { id } }`, { id: body.id });
    expect((await fetch(`${server().url}/imports/${body.id}/errors.csv`, { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(404);
  });

  it('uploads to the URL createImport returns', async () => {
    const admin = await signUpOrganization(server().client);
    const created = await admin.client.ok(`mutation { createImport(input: {module: CONTACTS, fileName: "c.csv"}) { id status uploadUrl } }`);
    expect(created.createImport.status).toBe('UPLOADING');
    const path = new URL(created.createImport.uploadUrl).pathname;
    const response = await fetch(`${server().url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' }, body: `Last Name|E-mail\nOkafor|${uniqueEmail('o')}\n` });
    expect(response.status).toBe(200);
    const data = await admin.client.ok(`query($id: ID!) { import(id: $id) { status delimiter headers mapping { column field } } }`, { id: created.createImport.id });
    expect(data.import).toMatchObject({ status: 'READY', delimiter: 'pipe', headers: ['Last Name', 'E-mail'] });
    expect(data.import.mapping.map((entry: { field: string }) => entry.field)).toEqual(['lastName', 'email']);
  });
});

describe('preview', () => {
  it('validates every row as the API does and reports errors by row and column, writing nothing', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', sample('google-contacts.csv'));
    const preview = (await admin.client.ok(PREVIEW, { id: body.id })).previewImport;
    expect(preview.counts).toMatchObject({ rowsRead: 25, rowsValid: 23, rowsFailed: 2, created: 22, skipped: 1 });
    expect(preview.errors).toEqual([
      { row: 4, column: 'E-mail 1 - Value', field: 'email', message: 'email is not a valid email address: "not-an-email"' },
      { row: 8, column: 'Last Name', field: 'lastName', message: 'lastName is required' },
    ]);
    // The API says the same about the same values.
    const api = await admin.client.fails('BAD_USER_INPUT', `mutation { createLead(input: {lastName: "X", email: "not-an-email"}) { id } }`);
    expect(api.message).toBe(preview.errors[0].message);
    expect(await leadEmails(admin)).toEqual([]);
  });
});

describe('commit', () => {
  it('is all or nothing by default, and keeps the good rows when asked', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', sample('google-contacts.csv'));
    const failed = await commit(admin, body.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.errorCount).toBe(2);
    expect(await leadEmails(admin)).toEqual([]);
    const csv = await (await fetch(`${server().url}/imports/${body.id}/errors.csv`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    expect(csv.split('\r\n')[0]).toBe('row,column,field,message');
    expect(csv).toContain('4,E-mail 1 - Value,email,"email is not a valid email address: ""not-an-email"""');
    expect(csv).toContain('8,Last Name,lastName,lastName is required');

    const again = await uploadImport(server().url, admin, 'leads', sample('google-contacts.csv'));
    await configure(admin, { id: again.body.id, keepGoodRows: true });
    const done = await commit(admin, again.body.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ rowsRead: 25, rowsFailed: 2, created: 22, skipped: 1, updated: 0 });
    const emails = await leadEmails(admin);
    expect(emails).toHaveLength(22);
    expect(emails).toContain('kofi.eriksen0@granite.example');
    // Imported records went through the record store: a timeline and the importer as owner.
    const lead = (await admin.client.ok(`{ leads(filter: {email: "kofi.eriksen0@granite.example"}) { nodes { owner { id } company phone city: address { city } timeline(first: 5) { nodes { kind summary } } } } }`)).leads.nodes[0];
    expect(lead.owner.id).toBe(admin.userId);
    expect(lead.company).toBe('Granite Health');
    expect(lead.phone).toBe('+4930100000');
    expect(lead.timeline.nodes[0]).toMatchObject({ kind: 'CREATED', summary: 'Lead imported' });
  });

  it('applies the duplicate policy: skip, update by the chosen field, or create anyway', async () => {
    const admin = await signUpOrganization(server().client);
    const known = uniqueEmail('known');
    const fresh = uniqueEmail('fresh');
    await admin.client.ok(`mutation { createLead(input: {lastName: "Original", company: "Old Co", email: "${known}"}) { id } }`);
    const file = leadsCsv([{ last: 'Changed', email: known.toUpperCase(), company: 'New Co' }, { last: 'Fresh', email: fresh }, { last: 'Again', email: fresh, company: 'Later Co' }]);

    const skip = await uploadImport(server().url, admin, 'leads', file);
    expect((await commit(admin, skip.body.id)).counts).toMatchObject({ created: 1, skipped: 2, updated: 0 });
    const byEmail = async (email: string) => (await admin.client.ok(`{ leads(filter: {email: "${email}"}) { totalCount nodes { lastName company version } } }`)).leads;
    expect((await byEmail(known)).nodes[0]).toMatchObject({ lastName: 'Original', company: 'Old Co' });

    const update = await uploadImport(server().url, admin, 'leads', file);
    await configure(admin, { id: update.body.id, duplicatePolicy: 'UPDATE', matchField: 'email' });
    expect((await commit(admin, update.body.id)).counts).toMatchObject({ created: 0, updated: 3, skipped: 0 });
    expect((await byEmail(known)).nodes[0]).toMatchObject({ lastName: 'Changed', company: 'New Co', version: 2 });
    expect((await byEmail(fresh)).nodes[0]).toMatchObject({ lastName: 'Again', company: 'Later Co' });

    const anyway = await uploadImport(server().url, admin, 'leads', file);
    await configure(admin, { id: anyway.body.id, duplicatePolicy: 'CREATE_ANYWAY' });
    expect((await commit(admin, anyway.body.id)).counts).toMatchObject({ created: 3 });
    expect((await byEmail(fresh)).totalCount).toBe(3);
  });

  it('matches a row with a record an earlier batch of the same file created, and with one the organisation had', async () => {
    const admin = await signUpOrganization(server().client);
    const known = uniqueEmail('before');
    await admin.client.ok(`mutation { createLead(input: {lastName: "Before", email: "${known}"}) { id } }`);
    // 1,100 rows: row 1,050 repeats row 10's email (another case) and row 1,060 has the known one, both in the second batch.
    const rows = Array.from({ length: 1100 }, (_, index) => ({ last: `Row${index}`, email: uniqueEmail(`x${index}`) }));
    rows[1050] = { last: 'Second batch', email: rows[10]!.email.toUpperCase() };
    rows[1060] = { last: 'Known again', email: known };
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv(rows));
    await configure(admin, { id: body.id, duplicatePolicy: 'UPDATE', matchField: 'email' });
    // The preview writes nothing: it knows the earlier batch's key without a record to find.
    const preview = (await admin.client.ok(PREVIEW, { id: body.id })).previewImport;
    expect(preview.counts).toMatchObject({ rowsRead: 1100, created: 1098, updated: 2, skipped: 0 });
    expect((await commit(admin, body.id)).counts).toMatchObject({ rowsRead: 1100, created: 1098, updated: 2, skipped: 0 });
    const byEmail = async (email: string) => (await admin.client.ok(`query($email: String!) { leads(filter: {email: $email}) { nodes { lastName } } }`, { email })).leads.nodes;
    expect(await byEmail(rows[10]!.email)).toEqual([{ lastName: 'Second batch' }]);
    expect(await byEmail(known)).toEqual([{ lastName: 'Known again' }]);
    // A batch's records and their CREATED entries (made in SQL) get time-ordered ids (UUID v7).
    const imported = (await admin.client.ok(`query($email: String!) { leads(filter: {email: $email}) { nodes { id timeline { nodes { id kind } } } } }`, { email: rows[20]!.email })).leads.nodes[0];
    expect([imported.id, ...imported.timeline.nodes.map((node: { id: string }) => node.id)]).toEqual([expect.stringMatching(/^[0-9a-f-]{14}7/), expect.stringMatching(/^[0-9a-f-]{14}7/)]);
  });

  it('matches duplicates whose values hold commas, quotes, backslashes, braces or the word NULL', async () => {
    const admin = await signUpOrganization(server().client);
    const names = [`Smith, Jones & "Partners" ${unique('a')}`, `Back\\slash {Ltd} ${unique('b')}`, `NULL`, `  spaced ${unique('c')}  `];
    for (const name of names) await admin.client.ok(`mutation($name: String!) { createAccount(input: {name: $name}) { id } }`, { name });
    const quoted = (value: string): string => `"${value.replace(/"/g, '""')}"`;
    const file = `Account Name,Website\n${names.map((name) => `${quoted(name.toUpperCase())},https://example.com`).join('\n')}\n${quoted(`Fresh ${unique('d')}`)},\n`;
    const { body } = await uploadImport(server().url, admin, 'accounts', file);
    expect((await commit(admin, body.id)).counts).toMatchObject({ rowsRead: 5, created: 1, skipped: 4 });
  });

  it('imports once per import id, however often it is committed or its job runs', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv([{ last: 'Once', email: uniqueEmail('once') }, { last: 'Twice', email: uniqueEmail('twice') }]));
    await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    const second = await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id status } }`, { id: body.id });
    expect(second.commitImport.status).toBe('QUEUED');
    expect(await server().server.deps.jobs.runDue('imports.commit')).toBe(1);
    // A retried job (a crash after commit, before pg-boss heard) finds the import done.
    await runImport(server().server.deps.database.forOrganization(admin.organizationId), { organizationId: admin.organizationId, importId: body.id });
    expect(await leadEmails(admin)).toHaveLength(2);
  });

  it('leaves nothing behind when the write fails midway, and the retry imports everything', async () => {
    const admin = await signUpOrganization(server().client);
    const rows = Array.from({ length: 1200 }, (_, index) => ({ last: `Row${index}`, email: uniqueEmail(`r${index}`) }));
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv(rows));
    const { db } = server().server.deps;
    // The database refuses the third batch of this import's timeline rows: a crash after 1,000 rows were written.
    const { sql } = await import('drizzle-orm');
    await db.execute(sql.raw(`create or replace function fail_import() returns trigger language plpgsql as $$ begin if (select count(*) from timeline_entries where organization_id = '${admin.organizationId}') >= 1000 then raise exception 'disk full'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger fail_import before insert on timeline_entries for each statement execute function fail_import()`));
    await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    // As the job runs it: under the organisation's policy.
    const asJob = server().server.deps.database.forOrganization(admin.organizationId);
    try {
      await expect(runImport(asJob, { organizationId: admin.organizationId, importId: body.id })).rejects.toThrow();
    } finally {
      await db.execute(sql.raw(`drop trigger fail_import on timeline_entries`));
    }
    expect(await admin.client.ok(`{ leads { totalCount } }`)).toEqual({ leads: { totalCount: 0 } });
    await runImport(asJob, { organizationId: admin.organizationId, importId: body.id });
    expect(await admin.client.ok(`{ leads { totalCount } }`)).toEqual({ leads: { totalCount: 1200 } });
  });

  it('fails with a reason for people, nothing written, once the last retry of its job crashes too', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv([{ last: 'Never', email: uniqueEmail('never') }]));
    const { db, jobs } = server().server.deps;
    const { sql } = await import('drizzle-orm');
    // Other tests' jobs run first, so that the runs counted below are this one's.
    await jobs.runDue('imports.commit');
    // The database refuses this organisation's timeline rows on every run: not a rule the data breaks, a crash.
    await db.execute(sql.raw(`create or replace function crash_import() returns trigger language plpgsql as $$ begin if new.organization_id = '${admin.organizationId}' then raise exception 'disk full'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger crash_import before insert on timeline_entries for each row execute function crash_import()`));
    const STATUS = `query($id: ID!) { import(id: $id) { status errorCount errors { row field message } } }`;
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: (await defaultPipeline(admin.client)).id });
    try {
      await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
      expect(await jobs.runDue('imports.commit')).toBe(1);
      expect((await admin.client.ok(STATUS, { id: body.id })).import.status).toBe('RUNNING');
      let runs = 1;
      for (let i = 0; i < 10 && (await admin.client.ok(STATUS, { id: body.id })).import.status === 'RUNNING'; i += 1) {
        await jobs.advanceTime(3600 * 1000);
        runs += await jobs.runDue('imports.commit');
      }
      // The first run and its three retries (retryLimit 3).
      expect(runs).toBe(4);
    } finally {
      await db.execute(sql.raw(`drop trigger crash_import on timeline_entries`));
    }
    const failed = (await admin.client.ok(STATUS, { id: body.id })).import;
    expect(failed).toMatchObject({ status: 'FAILED', errorCount: 1, errors: [{ row: 0, field: null }] });
    expect(failed.errors[0].message).toMatch(/^The import could not be finished, and its retries failed too; nothing was written/);
    expect(failed.errors[0].message).not.toMatch(/disk full|Failed query|insert into/);
    expect(await admin.client.ok(`{ leads { totalCount } }`)).toEqual({ leads: { totalCount: 0 } });
    // Subscribers hear the end, as with any other failure.
    await expectFailedEvent(admin, body.id, dealsBoard.cursor);
  });

  it('fails with a reason for people and tells subscribers, once pg-boss gives up on a last run that outlived its time limit', async () => {
    const admin = await signUpOrganization(server().client);
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv([{ last: 'Hung', email: uniqueEmail('hung') }]));
    const { db, jobs, database, logger } = server().server.deps;
    const sweep = () => sweepStalledRuns(database, TRACKED_RUNS, logger);
    const { sql } = await import('drizzle-orm');
    await jobs.runDue('imports.commit');
    const STATUS = `query($id: ID!) { import(id: $id) { status errorCount errors { row field message } } }`;
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: (await defaultPipeline(admin.client)).id });
    await admin.client.ok(`mutation($id: ID!) { commitImport(id: $id) { id } }`, { id: body.id });
    // Its last run started, then hung; while it is active the sweep leaves it alone.
    await db.execute(sql`update imports set status = 'RUNNING' where id = ${body.id}`);
    await setLastRunState(db, 'imports.commit', 'importId', body.id, 'active');
    await sweep();
    expect((await admin.client.ok(STATUS, { id: body.id })).import.status).toBe('RUNNING');
    // Its time limit passed: pg-boss fails the job without calling the handler again.
    await setLastRunState(db, 'imports.commit', 'importId', body.id, 'failed');
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    const failed = (await admin.client.ok(STATUS, { id: body.id })).import;
    expect(failed).toMatchObject({ status: 'FAILED', errorCount: 1, errors: [{ row: 0, field: null }] });
    expect(failed.errors[0].message).toMatch(/^The import stopped: it ran longer than its time limit, and nothing was written/);
    expect(await admin.client.ok(`{ leads { totalCount } }`)).toEqual({ leads: { totalCount: 0 } });
    expect(await jobs.runDue('imports.commit')).toBe(0);
    // Subscribers hear the end, as with any other failure.
    await expectFailedEvent(admin, body.id, dealsBoard.cursor);
  });

  it('imports contacts, accounts, deals and activities through their own validation', async () => {
    const admin = await signUpOrganization(server().client);
    const contacts = await uploadImport(server().url, admin, 'contacts', sample('outlook.csv'));
    await configure(admin, { id: contacts.body.id, keepGoodRows: true });
    expect((await commit(admin, contacts.body.id)).counts).toMatchObject({ rowsRead: 25, rowsFailed: 2, created: 22, skipped: 1 });
    const accounts = await uploadImport(server().url, admin, 'accounts', 'Account Name,Website,Employees\nGlobex,globex.example,120\nInitech,not a site,5\n');
    await configure(admin, { id: accounts.body.id, keepGoodRows: true });
    const accountResult = await commit(admin, accounts.body.id);
    expect(accountResult.counts).toMatchObject({ created: 1, rowsFailed: 1 });
    expect(accountResult.errors[0]).toMatchObject({ row: 2, column: 'Website', field: 'website' });
    const deals = await uploadImport(server().url, admin, 'deals', 'Deal Name,Amount,Closing Date\nBig one,1200.50,2027-01-31\nBad date,10,31/01/2027\n');
    await configure(admin, { id: deals.body.id, keepGoodRows: true });
    const dealResult = await commit(admin, deals.body.id);
    expect(dealResult.counts).toMatchObject({ created: 1, rowsFailed: 1 });
    expect(dealResult.errors[0]).toMatchObject({ row: 2, column: 'Closing Date', field: 'closingDate' });
    const deal = (await admin.client.ok(`{ deals { nodes { name amount closingDate stage { name } } } }`)).deals.nodes[0];
    expect(deal).toMatchObject({ name: 'Big one', amount: '1200.50', closingDate: '2027-01-31' });
    const activities = await uploadImport(server().url, admin, 'activities', 'Type,Subject,Start,End\nmeeting,Kick-off,2027-01-01T10:00:00Z,2027-01-01T11:00:00Z\nMeeting,No times,,\n');
    await configure(admin, { id: activities.body.id, keepGoodRows: true });
    const activityResult = await commit(admin, activities.body.id);
    expect(activityResult.counts).toMatchObject({ created: 1, rowsFailed: 1 });
    expect(activityResult.errors[0]).toMatchObject({ row: 2, field: 'startAt', message: 'A meeting needs startAt' });
  });
});

describe('automation on imported records', () => {
  it('updates, from a later batch, a record an earlier batch created and scored', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'VPs', fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'VP', points: 30 }] },
    });
    await server().server.deps.jobs.runDue();
    // Row 10 is created a VP in the first batch (its score written after its insert, while the
    // second batch is prepared); row 1,050, in the second batch, makes it a buyer.
    const emails = Array.from({ length: 1100 }, (_, index) => uniqueEmail(`later${index}`));
    emails[1050] = emails[10]!;
    const lines = emails.map((email, index) => `Row${index},${email},${index === 10 ? 'VP Sales' : 'Buyer'}`);
    const { body } = await uploadImport(server().url, admin, 'leads', `Last Name,Email,Title\n${lines.join('\n')}\n`);
    await configure(admin, { id: body.id, duplicatePolicy: 'UPDATE', matchField: 'email' });
    const done = await commit(admin, body.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ created: 1099, updated: 1, rowsFailed: 0 });
    const { leads } = await admin.client.ok(`query($email: String!) { leads(filter: {email: $email}) { nodes { title score scoreHistory { previousScore score reason } } } }`, { email: emails[10] });
    expect(leads.nodes).toEqual([
      {
        title: 'Buyer',
        score: 0,
        scoreHistory: [
          { previousScore: 30, score: 0, reason: expect.stringContaining('title') },
          { previousScore: 0, score: 30, reason: 'Record created' },
        ],
      },
    ]);
  });

  it('applies assignment, scoring and workflow rules to every imported record, batch after batch', async () => {
    const admin = await signUpOrganization(server().client);
    const [a, b, c] = [await inviteMember(admin), await inviteMember(admin), await inviteMember(admin)];
    await admin.client.ok(`mutation($input: CreateAssignmentRuleInput!) { createAssignmentRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Web in turn', entries: [{ criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Web' }], strategy: 'ROUND_ROBIN', userIds: [a.userId, b.userId, c.userId] }] },
    });
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'VPs', fieldScores: [{ field: 'title', operator: 'CONTAINS', value: 'VP', points: 30 }] },
    });
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'From the web', fieldScores: [{ field: 'leadSource', operator: 'EQUALS', value: 'Web', points: 5 }] },
    });
    await admin.client.ok(`mutation($input: CreateWorkflowRuleInput!) { createWorkflowRule(input: $input) { id } }`, {
      input: { name: 'Tag Twitter', module: 'LEADS', trigger: { type: 'ON_CREATE' }, criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Twitter' }], actions: [{ type: 'ADD_TAGS', tags: ['twitter'] }] },
    });
    await server().server.deps.jobs.runDue();
    // 1,500 rows: more than one batch, so turns and rules carry across batches.
    const emails = Array.from({ length: 1500 }, (_, index) => uniqueEmail(`auto${index}`));
    const lines = emails.map((email, index) => `Row${index},${email},${index % 2 === 0 ? 'Web' : 'Twitter'},${index % 3 === 0 ? 'VP Sales' : 'Buyer'}`);
    const { body } = await uploadImport(server().url, admin, 'leads', `Last Name,Email,Lead Source,Title\n${lines.join('\n')}\n`);
    let committed: any;
    const { statements } = await server().countStatements(async () => {
      committed = await commit(admin, body.id);
    });
    expect(committed.counts).toMatchObject({ created: 1500, rowsFailed: 0 });
    // The job acts as the importer with the organisation's rule version, so the rule caches serve
    // it: each kind of rule is read at most once for the whole file, never once per row.
    const ruleReads = statements.filter((q) => /from "(scoring_rules|assignment_rules|workflow_rules)"/.test(q));
    expect(ruleReads.length).toBeLessThanOrEqual(3);
    const count = async (filter: Record<string, unknown>) => (await admin.client.ok(`query($filter: LeadFilter) { leads(filter: $filter) { totalCount } }`, { filter })).leads.totalCount;
    // 750 web leads in turn, 250 each; the rotation goes on where the import left it (750 turns: a next).
    for (const seller of [a, b, c]) expect(await count({ leadSource: ['Web'], ownerId: seller.userId })).toBe(250);
    expect(await count({ leadSource: ['Twitter'], ownerId: admin.userId })).toBe(750);
    const next = (await admin.client.ok(`mutation { createLead(input: {lastName: "Next", leadSource: "Web"}) { owner { id } } }`)).createLead;
    expect(next.owner.id).toBe(a.userId);
    const lead = async (email: string) => {
      const node = (await admin.client.ok(`query($filter: LeadFilter) { leads(filter: $filter) { nodes { score tags scoreBreakdown { rules { ruleName } } } } }`, { filter: { email } })).leads.nodes[0];
      return { score: node.score, tags: node.tags, rules: node.scoreBreakdown.rules.map((rule: { ruleName: string }) => rule.ruleName) };
    };
    // Each record keeps its own breakdown (a batch sends each distinct one once). Row 0: web, VP;
    // row 1: Twitter, not a VP; row 2: web, not a VP; row 1,497: Twitter, VP, in the second batch.
    expect(await lead(emails[0]!)).toEqual({ score: 35, tags: [], rules: ['VPs', 'From the web'] });
    expect(await lead(emails[1]!)).toEqual({ score: 0, tags: ['twitter'], rules: [] });
    expect(await lead(emails[2]!)).toEqual({ score: 5, tags: [], rules: ['From the web'] });
    expect(await lead(emails[1497]!)).toEqual({ score: 30, tags: ['twitter'], rules: ['VPs'] });
  });
  it("rolls back a failing workflow action's savepoint without undoing any batch's records", async () => {
    const admin = await signUpOrganization(server().client);
    const template = await createTemplate(admin.client, { subject: 'Hi', body: 'Hello' });
    // Leads without an email: the tag is added, the email fails (no address), in a savepoint rolled back per batch.
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'email', operator: 'IS_EMPTY' }],
      actions: [{ type: 'ADD_TAGS', tags: ['no-address'] }, { type: 'SEND_EMAIL', templateId: template.id }],
    });
    await server().server.deps.jobs.runDue();
    // 2,500 rows: three batches, each with failing actions while the next batch's insert is under way.
    const lines = Array.from({ length: 2500 }, (_, index) => `Savepoint${index},${index % 5 === 0 ? '' : uniqueEmail(`sp${index}`)}`);
    const { body } = await uploadImport(server().url, admin, 'leads', `Last Name,Email\n${lines.join('\n')}\n`);
    const committed = await commit(admin, body.id);
    expect(committed.counts).toMatchObject({ rowsRead: 2500, created: 2500, rowsFailed: 0 });
    const count = async (filter: Record<string, unknown>) => (await admin.client.ok(`query($filter: LeadFilter) { leads(filter: $filter) { totalCount } }`, { filter })).leads.totalCount;
    expect(await count({})).toBe(2500);
    expect(await count({ tag: 'no-address' })).toBe(500);
    const { workflowRuns } = await admin.client.ok(`query($f: WorkflowRunFilter) { workflowRuns(filter: $f, first: 1) { totalCount nodes { status actions { status } } } }`, { f: { ruleId: rule.id } });
    expect(workflowRuns.totalCount).toBe(500);
    expect(workflowRuns.nodes[0]).toEqual({ status: 'FAILED', actions: [{ status: 'DONE' }, { status: 'FAILED' }] });
    // Every record's undo entry is there too: undo removes all 2,500.
    const undone = (await admin.client.ok(`mutation($id: ID!) { undoImport(id: $id) { id status } }`, { id: body.id })).undoImport;
    expect(undone.status).toBe('UNDONE');
    expect(await count({})).toBe(0);
  }, 120_000);

  it('writes the workflow runs an import fires a batch at a time, delayed actions and all', async () => {
    const admin = await signUpOrganization(server().client);
    const template = await createTemplate(admin.client, { subject: 'Hello {{lead.lastName}}', body: 'Following up' });
    const rule = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'ON_CREATE' },
      criteria: [{ field: 'email', operator: 'IS_NOT_EMPTY' }],
      actions: [{ type: 'NOTIFY', message: 'Imported {{lead.lastName}}' }, { type: 'SEND_EMAIL', templateId: template.id, delay: { amount: 2, unit: 'DAYS' } }],
    });
    await server().server.deps.jobs.runDue();
    // 1,200 rows: two batches (1,000 and 200), a chunk of runs each.
    const rows = Array.from({ length: 1200 }, (_, index) => ({ last: `W${index}`, email: uniqueEmail(`wf${index}`) }));
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv(rows));
    let committed: any;
    const { statements } = await server().countStatements(async () => {
      committed = await commit(admin, body.id);
    });
    expect(committed.counts).toMatchObject({ created: 1200, rowsFailed: 0 });
    // Per chunk of up to 1,000 runs, one statement for the runs, one for their actions and one for their notifications;
    // the emails, due in two days, get their jobs from the promoter shortly before (pg-boss' many-jobs insert; the
    // import's own job is a single send).
    expect(statements.filter((q) => /^insert into "workflow_runs"/.test(q))).toHaveLength(2);
    expect(statements.filter((q) => /^insert into "workflow_run_actions"/.test(q))).toHaveLength(2);
    // The runs' foreign-key checks (their rules) may keep generic plans; the actions' (the runs the import is filling) only
    // once workflow_runs is large on disk: one made while the table looked empty scanned every run of the organisation for
    // each action (src/db/generic-plans.ts).
    const planMode = (index: number): string => statements.slice(0, index).findLast((q) => /plan_cache_mode/.test(q)) ?? '';
    statements.forEach((q, index) => {
      if (/^insert into "workflow_runs"/.test(q)) expect(planMode(index)).toMatch(/plan_cache_mode = auto/);
      if (/^insert into "workflow_run_actions"/.test(q)) expect(planMode(index)).toMatch(/case when pg_relation_size\('public.workflow_runs'::regclass\) >= 262144 then 'auto' else current_setting/);
    });
    expect(statements.filter((q) => /with defaults as[\s\S]*insert into pgboss\.job/i.test(q))).toHaveLength(0);
    expect(statements.filter((q) => /^insert into "notifications"/.test(q))).toHaveLength(2);
    const { workflowRuns } = await admin.client.ok(`query($f: WorkflowRunFilter) { workflowRuns(filter: $f, first: 1) { totalCount } }`, { f: { ruleId: rule.id } });
    expect(workflowRuns.totalCount).toBe(1200);
    expect((await notificationsOf(admin.client)).totalCount).toBe(1200);
    const [run] = await runsOf(admin.client, { ruleId: rule.id });
    expect(run?.actions.map((action) => [action.type, action.status])).toEqual([
      ['NOTIFY', 'DONE'],
      ['SEND_EMAIL', 'SCHEDULED'],
    ]);
    // A day on, no email is near: none has a job. Two days on, the promoter sends all 1,200 (in two batches), each for its time.
    const queued = async (): Promise<number> =>
      (
        await sqlRows<{ n: number }>(
          server().testDatabase.database.db,
          sql`select count(*)::int as n from pgboss.job where name = 'workflows.action' and state = 'created' and data->>'organizationId' = ${admin.organizationId}`,
        )
      )[0]?.n ?? -1;
    const jobs = server().server.deps.jobs;
    await jobs.advanceTime(24 * 3600 * 1000);
    await jobs.runSweeps();
    expect(await queued()).toBe(0);
    await jobs.advanceTime(24 * 3600 * 1000 - 5 * 60_000);
    await jobs.runSweeps();
    expect(await queued()).toBe(1200);
    await jobs.runSweeps();
    expect(await queued()).toBe(1200);
  }, 120_000);
});

describe('progress, events and undo', () => {
  it('streams progress and one import event instead of one per record', async () => {
    const admin = await signUpOrganization(server().client);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const rows = Array.from({ length: 4500 }, (_, index) => ({ last: `P${index}`, email: uniqueEmail(`p${index}`) }));
      const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv(rows));
      // From a cursor read before the commit: the stream replays what it missed, so QUEUED is never lost to timing.
      const pipeline = await defaultPipeline(admin.client);
      const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
      const progress = ws.subscribe(`subscription($id: ID!, $after: String) { importProgress(id: $id, after: $after) { importId status rowsRead rowsWritten rowsFailed percentage } }`, {
        id: body.id,
        after: dealsBoard.cursor,
      });
      const deals = ws.subscribe(`subscription { dealEvents { kind } }`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await commit(admin, body.id);
      const items = await progress.waitFor(1, 10_000).then(async () => {
        for (let i = 0; i < 50 && !progress.items.some((item: any) => item.importProgress.status === 'COMPLETED'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
        return progress.items.map((item: any) => item.importProgress);
      });
      expect(items[0]).toMatchObject({ status: 'QUEUED', percentage: 0 });
      const reading = items.filter((item) => item.status === 'RUNNING' && item.rowsRead > 0);
      expect(reading.map((item) => item.rowsRead)).toEqual(expect.arrayContaining([2000, 4000]));
      expect(items[items.length - 1]).toEqual({ importId: body.id, status: 'COMPLETED', rowsRead: 4500, rowsWritten: 4500, rowsFailed: 0, percentage: 100 });
      const percentages = items.map((item) => item.percentage);
      expect([...percentages].sort((a, b) => a - b)).toEqual(percentages);
      // Every event the import wrote: its own progress, none per lead.
      const { sql } = await import('drizzle-orm');
      const result = await server().server.deps.db.execute(sql`select topic, count(*)::int as n from events where organization_id = ${admin.organizationId} group by topic`);
      const byTopic = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { topic: string; n: number }[];
      expect(byTopic.map((row) => row.topic)).toEqual(['import']);
      expect(deals.items).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('undoes an import: created records go, updated ones get their values back', async () => {
    const admin = await signUpOrganization(server().client);
    const known = uniqueEmail('undo');
    const created = await admin.client.ok(`mutation { createLead(input: {lastName: "Before", company: "Before Co", email: "${known}"}) { id } }`);
    const { body } = await uploadImport(server().url, admin, 'leads', leadsCsv([{ last: 'After', email: known, company: '' }, { last: 'New', email: uniqueEmail('new') }]));
    await configure(admin, { id: body.id, duplicatePolicy: 'UPDATE' });
    const done = await commit(admin, body.id);
    expect(done.counts).toMatchObject({ created: 1, updated: 1 });
    expect(done.undoableUntil).toBeTruthy();
    const undone = await admin.client.ok(`mutation($id: ID!) { undoImport(id: $id) { status } }`, { id: body.id });
    expect(undone.undoImport.status).toBe('UNDONE');
    const leads = (await admin.client.ok(`{ leads { nodes { id lastName company } } }`)).leads.nodes;
    expect(leads).toEqual([{ id: created.createLead.id, lastName: 'Before', company: 'Before Co' }]);
    await admin.client.fails('CONFLICT', `mutation($id: ID!) { undoImport(id: $id) { status } }`, { id: body.id });
  });
});

describe('custom fields', () => {
  /** Every custom field type on leads, labelled as the file's headers; billing email unique, region required. */
  async function leadFields(admin: SignedInUser): Promise<void> {
    const fields: [string, string, string, Record<string, unknown>][] = [
      ['note', 'Note', 'TEXT', {}],
      ['story', 'Story', 'TEXTAREA', {}],
      ['seats', 'Seats', 'INTEGER', {}],
      ['ratio', 'Ratio', 'DECIMAL', {}],
      ['budget', 'Budget', 'CURRENCY', {}],
      ['share', 'Share', 'PERCENT', {}],
      ['vip', 'VIP', 'BOOLEAN', {}],
      ['renewal', 'Renewal Date', 'DATE', {}],
      ['callback', 'Callback', 'DATETIME', {}],
      ['billingEmail', 'Billing Email', 'EMAIL', { unique: true }],
      ['fax', 'Fax Number', 'PHONE', {}],
      ['portal', 'Portal', 'URL', {}],
      ['tier', 'Tier', 'PICKLIST', { options: ['Gold', 'Silver', 'Bronze'] }],
      ['interests', 'Interests', 'MULTI_PICKLIST', { options: ['CRM', 'ERP', 'BI'] }],
      ['referrer', 'Referrer', 'LOOKUP', { lookupModule: 'ACCOUNTS' }],
      ['region', 'Region', 'TEXT', { required: true }],
    ];
    for (const [apiName, label, type, extra] of fields) await createCustomField(admin.client, { module: 'LEADS', apiName, label, type, ...extra });
  }

  const HEADER = 'Last Name,Email,Note,Story,Seats,Ratio,Budget,Share,VIP,Renewal Date,Callback,Billing Email,Fax Number,Portal,Tier,Interests,Referrer,Region';
  const CREATE = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`;

  it('maps columns to custom fields of every type: proposed, validated as the API validates, written, updated, undone and exported', async () => {
    const admin = await signUpOrganization(server().client);
    await leadFields(admin);
    const account = (await admin.client.ok(`mutation { createAccount(input: {name: "Referrer Inc"}) { id } }`)).createAccount.id;
    const foreign = (await (await signUpOrganization(server().client)).client.ok(`mutation { createAccount(input: {name: "Elsewhere"}) { id } }`)).createAccount.id;
    const taken = uniqueEmail('taken');
    await admin.client.ok(CREATE, { input: { lastName: 'Holder', customFields: { billingEmail: taken, region: 'EU' } } });
    const [first, second] = [uniqueEmail('first'), uniqueEmail('second')];
    const billing = uniqueEmail('billing');
    const rows = [
      `Typed,${first}, hello ,A long story,12,3.1400,2500.50,40,true,2027-01-31,2026-12-01T10:00:00+02:00,${billing.toUpperCase()},(415) 555-0132,example.com/portal,gold,"crm; BI; CRM",${account},EU`,
      `BadTier,${uniqueEmail('x')},,,,,,,,,,,,,Platinum,,,EU`,
      `NoRegion,${uniqueEmail('x')},,,,,,,,,,,,,,,,`,
      `Foreign,${uniqueEmail('x')},,,,,,,,,,,,,,,${foreign},EU`,
      `SameBilling,${uniqueEmail('x')},,,,,,,,,,${billing},,,,,,EU`,
      `TakenBilling,${uniqueEmail('x')},,,,,,,,,,${taken},,,,,,EU`,
      `BadSeats,${uniqueEmail('x')},,,1.5,,,,,,,,,,,,,EU`,
      `Second,${second},,,5,,,,false,,,,,,Bronze,ERP,,APAC`,
    ];
    const { body } = await uploadImport(server().url, admin, 'leads', `${HEADER}\n${rows.join('\n')}\n`);
    // Proposed from the custom fields' labels; the import lists what can be mapped.
    const proposed = Object.fromEntries(body.mapping.map((entry: { column: string; field: string | null; customField?: string | null }) => [entry.column, entry.field ?? entry.customField]));
    expect(proposed).toMatchObject({ 'Last Name': 'lastName', Email: 'email', 'Renewal Date': 'renewal', 'Billing Email': 'billingEmail', 'Fax Number': 'fax', Interests: 'interests', Region: 'region' });
    const available = (await admin.client.ok(`query($id: ID!) { import(id: $id) { availableCustomFields mapping { column customField } } }`, { id: body.id })).import;
    expect(available.availableCustomFields).toContain('referrer');
    expect(available.mapping.find((entry: { column: string }) => entry.column === 'Tier').customField).toBe('tier');
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateImportMappingInput!) { updateImportMapping(input: $input) { id } }`, {
      input: { id: body.id, mapping: [{ column: 'Tier', customField: 'tier' }, { column: 'Note', customField: 'tier' }] },
    });

    // The API's own messages for the same values.
    const api = async (code: string, customFields: Record<string, unknown>) => (await admin.client.fails(code, CREATE, { input: { lastName: 'Api', customFields } })).message;
    const preview = (await admin.client.ok(PREVIEW, { id: body.id })).previewImport;
    expect(preview.counts).toMatchObject({ rowsRead: 8, rowsValid: 2, rowsFailed: 6, created: 2 });
    expect(preview.errors).toEqual([
      { row: 2, column: 'Tier', field: 'customFields.tier', message: await api('BAD_USER_INPUT', { tier: 'Platinum', region: 'EU' }) },
      { row: 3, column: 'Region', field: 'customFields.region', message: await api('BAD_USER_INPUT', {}) },
      { row: 4, column: 'Referrer', field: 'customFields.referrer', message: await api('NOT_FOUND', { referrer: foreign, region: 'EU' }) },
      { row: 5, column: 'Billing Email', field: 'customFields.billingEmail', message: `Another Lead already has Billing Email "${billing}"` },
      { row: 6, column: 'Billing Email', field: 'customFields.billingEmail', message: await api('CONFLICT', { billingEmail: taken, region: 'EU' }) },
      { row: 7, column: 'Seats', field: 'customFields.seats', message: await api('BAD_USER_INPUT', { seats: '1.5', region: 'EU' }) },
    ]);
    // All or nothing by default: nothing written.
    expect((await commit(admin, body.id)).status).toBe('FAILED');
    expect(await leadEmails(admin)).toEqual([null]);

    const again = await uploadImport(server().url, admin, 'leads', `${HEADER}\n${rows.join('\n')}\n`);
    await configure(admin, { id: again.body.id, keepGoodRows: true });
    const done = await commit(admin, again.body.id);
    expect(done.counts).toMatchObject({ rowsRead: 8, created: 2, rowsFailed: 6 });
    const LEAD = `query($filter: LeadFilter) { leads(filter: $filter) { nodes { id lastName customFields } } }`;
    const byEmail = async (email: string) => (await admin.client.ok(LEAD, { filter: { email } })).leads.nodes[0];
    const typed = await byEmail(first);
    expect(typed.customFields).toEqual({
      note: 'hello',
      story: 'A long story',
      seats: 12,
      ratio: '3.14',
      budget: '2500.50',
      share: 40,
      vip: true,
      renewal: '2027-01-31',
      callback: '2026-12-01T08:00:00.000Z',
      billingEmail: billing,
      fax: '+14155550132',
      portal: 'example.com/portal',
      tier: 'Gold',
      interests: ['CRM', 'BI'],
      referrer: account,
      region: 'EU',
    });
    expect((await byEmail(second)).customFields).toEqual({ seats: 5, vip: false, tier: 'Bronze', interests: ['ERP'], region: 'APAC' });
    // The typed copy filters use was written, and the unique value is claimed.
    const names = async (customFields: unknown[]) => ((await admin.client.ok(LEAD, { filter: { customFields } })).leads.nodes as { lastName: string }[]).map((node) => node.lastName).sort();
    expect(await names([{ apiName: 'tier', equals: 'gold' }])).toEqual(['Typed']);
    expect(await names([{ apiName: 'interests', in: ['ERP'] }])).toEqual(['Second']);
    expect(await names([{ apiName: 'seats', min: 4, max: 12 }])).toEqual(['Second', 'Typed']);
    await admin.client.fails('CONFLICT', CREATE, { input: { lastName: 'Late', customFields: { billingEmail: billing, region: 'EU' } } });
    // The export shows them.
    const exported = await (await fetch(`${server().url}/export/leads.csv`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    const [head, ...lines] = exported.replace(/^\uFEFF/, '').split('\r\n');
    expect(head).toContain('customFields.tier');
    expect(head).toContain('customFields.interests');
    const typedLine = lines.find((line) => line.includes(first));
    expect(typedLine).toContain('Gold');
    expect(typedLine).toContain('CRM; BI');
    expect(typedLine).toContain(billing);

    // Update on duplicate: the row's custom cells change the record (empty cells never clear), its own unique value is no conflict.
    const update = await uploadImport(server().url, admin, 'leads', `Last Name,Email,Seats,Tier,Interests,Billing Email,Region\nTyped,${first},20,Silver,,${billing},\n`);
    await configure(admin, { id: update.body.id, duplicatePolicy: 'UPDATE', mapping: [
      { column: 'Last Name', field: 'lastName' },
      { column: 'Email', field: 'email' },
      { column: 'Seats', field: 'customFields.seats' },
      { column: 'Tier', customField: 'tier' },
      { column: 'Interests', customField: 'interests' },
      { column: 'Billing Email', customField: 'billingEmail' },
    ] });
    // The required region is not in this file: rows are validated as creates, so give it a default.
    const regionId = (await admin.client.ok(`{ customFields(module: LEADS) { id apiName } }`)).customFields.find((field: { apiName: string }) => field.apiName === 'region').id;
    await admin.client.ok(`mutation($input: UpdateCustomFieldInput!) { updateCustomField(input: $input) { id } }`, { input: { id: regionId, defaultValue: 'EU' } });
    expect((await commit(admin, update.body.id)).counts).toMatchObject({ updated: 1, created: 0, rowsFailed: 0 });
    expect((await byEmail(first)).customFields).toMatchObject({ seats: 20, tier: 'Silver', interests: ['CRM', 'BI'], billingEmail: billing, region: 'EU' });
    expect(await names([{ apiName: 'tier', equals: 'Silver' }])).toEqual(['Typed']);
    expect(await names([{ apiName: 'tier', equals: 'Gold' }])).toEqual([]);
    // Undo puts the values back, in the record and in the typed copy.
    await admin.client.ok(`mutation($id: ID!) { undoImport(id: $id) { status } }`, { id: update.body.id });
    expect((await byEmail(first)).customFields).toMatchObject({ seats: 12, tier: 'Gold' });
    expect(await names([{ apiName: 'tier', equals: 'Gold' }])).toEqual(['Typed']);
    expect(await names([{ apiName: 'seats', min: 20 }])).toEqual([]);
  });
});
