import { sql } from 'drizzle-orm';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { createProfile, inviteInto, modulesExcept } from './factories/access.factory.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { createDeal } from './factories/records.factory.js';
import { TRACKED_RUNS } from '../src/jobs/job-definitions.js';
import { sweepStalledRuns } from '../src/jobs/stalled-runs.js';
import { deleteJob, setLastRunState } from './helpers/job-state.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'false' });

async function csvOf(user: SignedInUser | null, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server().url}${path}`, { headers: user ? { authorization: `Bearer ${user.token}` } : {} });
  return { status: response.status, text: await response.text() };
}

function unzip(buffer: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const files = new Map<string, string>();
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const parts: Buffer[] = [];
          stream.on('data', (part: Buffer) => parts.push(part));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(parts).toString('utf8'));
            zip.readEntry();
          });
        }),
      );
      zip.on('end', () => resolve(files));
      zip.readEntry();
    });
  });
}

describe('module CSV export', () => {
  it('exports custom fields as columns, leaves out fields the profile hides, needs the export permission, and is audited', async () => {
    const admin = await signUpOrganization(server().client);
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'regions', label: 'Regions', type: 'MULTI_PICKLIST', options: ['EU', 'US'] });
    await createDeal(admin.client, { name: 'Tagged', amount: '10.00', customFields: { segment: 'SMB', regions: ['EU', 'US'] } });
    await createDeal(admin.client, { name: 'Plain', amount: '20.00' });
    const full = await csvOf(admin, '/export/deals.csv');
    const rows = parse(full.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.find((row) => row['name'] === 'Tagged')).toMatchObject({ amount: '10.00', 'customFields.segment': 'SMB', 'customFields.regions': 'EU; US' });
    expect(rows.find((row) => row['name'] === 'Plain')).toMatchObject({ 'customFields.segment': '' });

    const hidesAmount = await createProfile(admin, { modules: modulesExcept('DEALS', []), fieldAccess: [{ module: 'DEALS', field: 'amount', access: 'HIDDEN' }] });
    const member = await inviteInto(admin, { profileId: hidesAmount });
    const masked = parse((await csvOf(member, '/export/deals.csv')).text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(masked).toHaveLength(2);
    expect(Object.keys(masked[0] ?? {})).not.toContain('amount');
    const noExport = await createProfile(admin, { modules: modulesExcept('DEALS', ['EXPORT']) });
    const other = await inviteInto(admin, { profileId: noExport });
    expect((await csvOf(other, '/export/deals.csv')).status).toBe(403);
    // The refusal, meant for people, names the module as the organisation calls it.
    await admin.client.ok(`mutation { updateModuleLabels(input: { module: DEALS, singular: "Property", plural: "Properties" }) { label } }`);
    const refused = await csvOf(other, '/export/deals.csv');
    expect(JSON.parse(refused.text)).toMatchObject({ code: 'FORBIDDEN', error: 'You may not export Properties' });

    const { auditLog } = await admin.client.ok(`{ auditLog(filter: {actions: [EXPORTED]}) { nodes { action summary } } }`);
    expect(auditLog.nodes.length).toBeGreaterThanOrEqual(2);
  });

  it('streams every row the caller may read, escaped and safe from formula injection, with the API filter', async () => {
    const admin = await signUpOrganization(server().client);
    const other = await signUpOrganization(server().client);
    const tricky = 'He said "hi", then\nleft';
    await admin.client.ok(`mutation($d: String!) { createLead(input: {lastName: "=HYPERLINK(\\"http://evil\\")", company: "@SUM(A1)", description: $d, phone: "+49 30 100000", status: "Contacted"}) { id } }`, { d: tricky });
    for (let i = 0; i < 205; i += 1) await admin.client.ok(`mutation { createLead(input: {lastName: "Bulk${i}", email: "${uniqueEmail(`b${i}`)}"}) { id } }`);
    await other.client.ok(`mutation { createLead(input: {lastName: "Foreign"}) { id } }`);

    const all = await csvOf(admin, '/export/leads.csv');
    expect(all.status).toBe(200);
    const rows = parse(all.text.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(206);
    const first = rows.find((row) => row['description'] === tricky);
    expect(first).toMatchObject({ lastName: `'=HYPERLINK("http://evil")`, company: `'@SUM(A1)`, phone: '+4930100000', status: 'Contacted' });
    expect(rows.some((row) => row['lastName'] === 'Foreign')).toBe(false);
    expect(Object.keys(rows[0] ?? {})).not.toContain('organizationId');

    const filtered = await csvOf(admin, `/export/leads.csv?filter=${encodeURIComponent(JSON.stringify({ status: ['Contacted'] }))}`);
    expect(parse(filtered.text.replace(/^\uFEFF/, ''), { columns: true })).toHaveLength(1);
    expect((await csvOf(admin, `/export/leads.csv?filter=${encodeURIComponent('{"status": 5}')}`)).status).toBe(400);
    expect((await csvOf(null, '/export/leads.csv')).status).toBe(401);
    expect((await csvOf(admin, '/export/secrets.csv')).status).toBe(400);
    const theirs = await csvOf(other, '/export/leads.csv');
    expect(parse(theirs.text.replace(/^\uFEFF/, ''), { columns: true })).toEqual([expect.objectContaining({ lastName: 'Foreign' })]);
  });
});

describe('organisation export', () => {
  it('zips every table with a manifest, downloads with its token, and verifies', async () => {
    const admin = await signUpOrganization(server().client);
    const other = await signUpOrganization(server().client);
    await admin.client.ok(`mutation { createLead(input: {lastName: "Exported", description: "a, \\"quoted\\"\\nvalue"}) { id } }`);
    await admin.client.ok(`mutation { createAccount(input: {name: "Exported Co"}) { id } }`);
    await other.client.ok(`mutation { createLead(input: {lastName: "NotMine"}) { id } }`);
    const started = await admin.client.ok(`mutation { exportOrganization { id status downloadUrl } }`);
    expect(started.exportOrganization).toMatchObject({ status: 'QUEUED', downloadUrl: null });
    const id = started.exportOrganization.id;
    await server().server.deps.jobs.runDue('exports.organization');
    const done = (await admin.client.ok(`query($id: ID!) { organizationExport(id: $id) { status tablesDone tableCount files { file rows sha256 } archiveBytes downloadUrl expiresAt } }`, { id })).organizationExport;
    expect(done.status).toBe('COMPLETED');
    expect(done.tablesDone).toBe(done.tableCount);
    const rowsOf = (file: string) => done.files.find((entry: { file: string }) => entry.file === file)?.rows;
    expect(rowsOf('leads.csv')).toBe(1);
    expect(rowsOf('accounts.csv')).toBe(1);
    expect(rowsOf('users.csv')).toBe(1);
    expect(rowsOf('organizations.csv')).toBe(1);
    expect(rowsOf('stages.csv')).toBeGreaterThan(0);
    expect(rowsOf('timeline_entries.csv')).toBe(2);

    const url = new URL(done.downloadUrl);
    const download = await fetch(`${server().url}${url.pathname}${url.search}`);
    expect(download.status).toBe(200);
    const files = await unzip(Buffer.from(await download.arrayBuffer()));
    const manifest = JSON.parse(files.get('manifest.json') ?? '{}');
    expect(manifest.files.map((entry: { file: string }) => entry.file).sort()).toEqual([...files.keys()].filter((name) => name !== 'manifest.json').sort());
    const leads = parse(files.get('leads.csv') ?? '', { columns: true }) as Record<string, string>[];
    expect(leads).toEqual([expect.objectContaining({ last_name: 'Exported', description: 'a, "quoted"\nvalue' })]);
    expect(files.get('users.csv')).not.toContain('password_hash');
    expect(files.get('leads.csv')).not.toContain('NotMine');

    expect((await fetch(`${server().url}${url.pathname}?token=wrong`)).status).toBe(404);
    expect((await fetch(`${server().url}${url.pathname}`, { headers: { authorization: `Bearer ${other.token}` } })).status).toBe(404);
    expect((await fetch(`${server().url}${url.pathname}`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(200);
    await other.client.fails('NOT_FOUND', `query($id: ID!) { organizationExport(id: $id) { id } }`, { id });

    const verified = await admin.client.ok(`mutation($id: ID!) { verifyExport(id: $id) { verifiedAt verifyProblems } }`, { id });
    expect(verified.verifyExport.verifyProblems).toEqual([]);
    expect(verified.verifyExport.verifiedAt).toBeTruthy();

    // A damaged archive is caught.
    const { db } = server().server.deps;
    await db.execute(sql`update organization_export_chunks set data = overlay(data placing '\\x00'::bytea from 40 for 1) where export_id = ${id} and seq = 0`);
    const damaged = await admin.client.ok(`mutation($id: ID!) { verifyExport(id: $id) { verifiedAt verifyProblems } }`, { id });
    expect(damaged.verifyExport.verifiedAt).toBeNull();
    expect(damaged.verifyExport.verifyProblems).toContain('The archive does not match its checksum');
  });
});

describe('organisation export that keeps failing', () => {
  it('is FAILED with a readable reason once its last retry fails, leaving no partial archive', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation { createLead(input: {lastName: "Unlucky"}) { id } }`);
    const { db, jobs } = server().server.deps;
    // Other tests' jobs run first, so that the runs counted below are this one's.
    await jobs.runDue('exports.organization');
    // The database refuses this organisation's archive chunks: every run of the job crashes.
    await db.execute(sql.raw(`create or replace function fail_export() returns trigger language plpgsql as $$ begin if new.organization_id = '${admin.organizationId}' then raise exception 'disk full'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger fail_export before insert on organization_export_chunks for each row execute function fail_export()`));
    const EXPORT = `query($id: ID!) { organizationExport(id: $id) { status downloadUrl archiveBytes error } }`;
    try {
      const { id } = (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
      expect(await jobs.runDue('exports.organization')).toBe(1);
      // A failure with retries left stays RUNNING: the retry starts over.
      expect((await admin.client.ok(EXPORT, { id })).organizationExport).toMatchObject({ status: 'RUNNING', error: null });
      let runs = 1;
      for (let i = 0; i < 10 && (await admin.client.ok(EXPORT, { id })).organizationExport.status === 'RUNNING'; i += 1) {
        await jobs.advanceTime(3600 * 1000);
        runs += await jobs.runDue('exports.organization');
      }
      // The first run and its three retries (retryLimit 3), then nothing more.
      expect(runs).toBe(4);
      const failed = (await admin.client.ok(EXPORT, { id })).organizationExport;
      expect(failed).toMatchObject({ status: 'FAILED', downloadUrl: null, archiveBytes: 0 });
      // Meant for people: no driver message, no stack.
      expect(failed.error).toMatch(/^The export could not be written, and its retries failed too/);
      expect(failed.error).not.toMatch(/disk full|Failed query|insert into|\n\s+at /);
      await jobs.advanceTime(24 * 3600 * 1000);
      expect(await jobs.runDue('exports.organization')).toBe(0);
      const chunks = await db.execute(sql`select count(*)::int as n from organization_export_chunks where export_id = ${id}`);
      expect(((Array.isArray(chunks) ? chunks : (chunks as { rows: unknown[] }).rows) as { n: number }[])[0]?.n).toBe(0);
      await admin.client.fails('CONFLICT', `mutation($id: ID!) { verifyExport(id: $id) { id } }`, { id });
    } finally {
      await db.execute(sql.raw(`drop trigger fail_export on organization_export_chunks`));
    }
  });
});

describe('organisation export whose job ended without it', () => {
  const EXPORT = `query($id: ID!) { organizationExport(id: $id) { status downloadUrl archiveBytes error } }`;
  const sweep = () => sweepStalledRuns(server().server.deps.database, TRACKED_RUNS, server().server.deps.logger);
  const chunksOf = async (id: string): Promise<number> => {
    const result = await server().server.deps.db.execute(sql`select count(*)::int as n from organization_export_chunks where export_id = ${id}`);
    return ((Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { n: number }[])[0]?.n ?? -1;
  };

  it('is FAILED with a readable reason, its partial archive dropped, once pg-boss gives up on a last run that outlived its time limit', async () => {
    const admin = await signUpOrganization(server().client);
    const { db, jobs } = server().server.deps;
    await jobs.runDue('exports.organization');
    const { id } = (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
    // Its last run got as far as a first chunk, then hung.
    await db.execute(sql`update organization_exports set status = 'RUNNING' where id = ${id}`);
    await db.execute(sql`insert into organization_export_chunks (organization_id, export_id, seq, data) values (${admin.organizationId}, ${id}, 0, decode('00ff', 'hex'))`);
    // While that run is active (or a retry waits), the sweep leaves it alone.
    await setLastRunState(db, 'exports.organization', 'exportId', id, 'active');
    await sweep();
    expect((await admin.client.ok(EXPORT, { id })).organizationExport).toMatchObject({ status: 'RUNNING', error: null });
    expect(await chunksOf(id)).toBe(1);
    // Its time limit passed: pg-boss fails the job without calling the handler again.
    await setLastRunState(db, 'exports.organization', 'exportId', id, 'failed');
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    const failed = (await admin.client.ok(EXPORT, { id })).organizationExport;
    expect(failed).toMatchObject({ status: 'FAILED', downloadUrl: null, archiveBytes: 0 });
    expect(failed.error).toMatch(/^The export stopped: it ran longer than its time limit/);
    expect(await chunksOf(id)).toBe(0);
    // Once is enough: a FAILED export is not swept again, and the job is not run again.
    await sweep();
    expect((await admin.client.ok(EXPORT, { id })).organizationExport.error).toBe(failed.error);
    expect(await jobs.runDue('exports.organization')).toBe(0);
    await admin.client.fails('CONFLICT', `mutation($id: ID!) { verifyExport(id: $id) { id } }`, { id });
  });

  it('is FAILED when its job was cancelled or is gone, and left alone while its job waits', async () => {
    const admin = await signUpOrganization(server().client);
    const { db, jobs } = server().server.deps;
    await jobs.runDue('exports.organization');
    const exportOf = async () => (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization.id as string;
    const [cancelled, gone, waiting] = [await exportOf(), await exportOf(), await exportOf()];
    await setLastRunState(db, 'exports.organization', 'exportId', cancelled, 'cancelled');
    await deleteJob(db, 'exports.organization', 'exportId', gone);
    await sweep();
    for (const id of [cancelled, gone]) expect((await admin.client.ok(EXPORT, { id })).organizationExport).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^The export stopped/) });
    expect((await admin.client.ok(EXPORT, { id: waiting })).organizationExport.status).toBe('QUEUED');
    // The waiting one still runs to the end.
    expect(await jobs.runDue('exports.organization')).toBe(1);
    expect((await admin.client.ok(EXPORT, { id: waiting })).organizationExport.status).toBe('COMPLETED');
  });
});

describe('archive sizes', () => {
  it('stores and reports sizes past 2 GiB (beyond GraphQL Int), for exports, their files and restores', async () => {
    const admin = await signUpOrganization(server().client);
    const { db, jobs } = server().server.deps;
    const { id } = (await admin.client.ok(`mutation { exportOrganization { id } }`)).exportOrganization;
    await jobs.runDue('exports.organization');
    const big = 5 * 1024 ** 3 + 7;
    await db.execute(sql`update organization_exports set archive_bytes = ${big}, files = jsonb_set(files, '{0,bytes}', to_jsonb(${big}::bigint)) where id = ${id}`);
    const read = (await admin.client.ok(`query($id: ID!) { organizationExport(id: $id) { archiveBytes files { bytes } } }`, { id })).organizationExport;
    expect(read.archiveBytes).toBe(big);
    expect(read.files[0].bytes).toBe(big);
    const restore = (await admin.client.ok(`mutation { restoreOrganization { id } }`)).restoreOrganization;
    await db.execute(sql`update organization_restores set archive_bytes = ${big} where id = ${restore.id}`);
    expect((await admin.client.ok(`query($id: ID!) { organizationRestore(id: $id) { archiveBytes } }`, { id: restore.id })).organizationRestore.archiveBytes).toBe(big);
    // Imports keep their file's size the same way (it drives the progress percentage).
    const created = (await admin.client.ok(`mutation { createImport(input: {module: LEADS}) { id } }`)).createImport;
    await db.execute(sql`update imports set file_bytes = ${big} where id = ${created.id}`);
    const stored = await db.execute(sql`select file_bytes from imports where id = ${created.id}`);
    expect(String(((Array.isArray(stored) ? stored : (stored as { rows: unknown[] }).rows) as { file_bytes: unknown }[])[0]?.file_bytes)).toBe(String(big));
  });
});
