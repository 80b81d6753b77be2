import { beforeAll, describe, expect, it } from 'vitest';
import { createProfile, inviteInto, modulesExcept, setSharing } from './factories/access.factory.js';
import { leadsCsv, uploadImport } from './factories/imports.factory.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

// Jobs run only when a test says so (runDue), never behind its back.
const server = useTestServer({ JOB_WORKERS: 'false' });

beforeAll(() => {
  // Jobs run in this process on PGlite, which holds the event loop while it works (see imports.test.ts).
  server().server.httpServer.keepAliveTimeout = 120_000;
});

const MAPPING = `mutation($input: UpdateImportMappingInput!) { updateImportMapping(input: $input) { id keepGoodRows } }`;
const COMMIT = `mutation($id: ID!) { commitImport(id: $id) { id status } }`;
const UNDO = `mutation($id: ID!) { undoImport(id: $id) { id status } }`;
const STATUS = `query($id: ID!) { import(id: $id) { status createdBy { id } } }`;

/** An uploaded leads import of `user`, READY. */
async function uploaded(user: SignedInUser, rows: { last: string; email?: string }[]): Promise<string> {
  const { status, body } = await uploadImport(server().url, user, 'leads', leadsCsv(rows.map((row) => ({ email: uniqueEmail('row'), ...row }))));
  expect(status, JSON.stringify(body)).toBe(201);
  return body.id;
}

/** Commits as `user` and runs the job now. */
async function committed(user: SignedInUser, id: string): Promise<string> {
  await user.client.ok(COMMIT, { id });
  await server().server.deps.jobs.runDue('imports.commit');
  return (await user.client.ok(STATUS, { id })).import.status;
}

async function liveLeads(user: SignedInUser): Promise<string[]> {
  return (await user.client.ok(`{ leads(first: 100) { nodes { lastName } } }`)).leads.nodes.map((lead: { lastName: string }) => lead.lastName).sort();
}

describe('who may change, commit and undo an import', () => {
  it('its creator, a profile with the IMPORTS setting, or an administrator; every other member reads it and gets FORBIDDEN', async () => {
    const admin = await signUpOrganization(server().client);
    const creator = await inviteMember(admin);
    const other = await inviteMember(admin);
    const importer = await inviteInto(admin, { profileId: await createProfile(admin, { modules: modulesExcept('LEADS', []), settings: ['IMPORTS'] }) });

    const id = await uploaded(creator, [{ last: 'Mine' }]);
    // Every member reads every import.
    expect((await other.client.ok(STATUS, { id })).import).toEqual({ status: 'READY', createdBy: { id: creator.userId } });
    const refused = await other.client.fails('FORBIDDEN', MAPPING, { input: { id, keepGoodRows: true } });
    expect(refused.message).toBe('Only the user who created this import, or a user whose profile manages imports, may change, commit or undo it');
    await other.client.fails('FORBIDDEN', COMMIT, { id });
    expect((await importer.client.ok(MAPPING, { input: { id, keepGoodRows: true } })).updateImportMapping.keepGoodRows).toBe(true);
    expect(await committed(creator, id)).toBe('COMPLETED');
    // commitImport is idempotent for those who may commit; it tells nobody else that all is well.
    await other.client.fails('FORBIDDEN', COMMIT, { id });
    await other.client.fails('FORBIDDEN', UNDO, { id });
    expect((await creator.client.ok(STATUS, { id })).import.status).toBe('COMPLETED');
    expect(await liveLeads(admin)).toEqual(['Mine']);
    expect((await admin.client.ok(UNDO, { id })).undoImport.status).toBe('UNDONE');

    // Another member's file cannot be sent to an import either.
    const waiting = (await creator.client.ok(`mutation { createImport(input: {module: LEADS}) { id uploadUrl } }`)).createImport;
    const response = await fetch(`${server().url}${new URL(waiting.uploadUrl).pathname}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.token}`, 'content-type': 'text/csv' },
      body: 'Last Name\nIntruder\n',
    });
    expect(response.status).toBe(403);

    // The IMPORTS setting commits and undoes anyone's import.
    const second = await uploaded(creator, [{ last: 'Theirs' }]);
    expect(await committed(importer, second)).toBe('COMPLETED');
    expect((await importer.client.ok(UNDO, { id: second })).undoImport.status).toBe('UNDONE');

    // Another organisation's import stays NOT_FOUND, whatever its settings.
    const outsider = await signUpOrganization(server().client);
    await outsider.client.fails('NOT_FOUND', COMMIT, { id: second });
    await outsider.client.fails('NOT_FOUND', UNDO, { id: second });
  });
});

describe('undoImport', () => {
  it('is all or nothing: refused with FORBIDDEN, nothing changed, when the undoer cannot reach every record; an administrator undoes it all', async () => {
    const admin = await signUpOrganization(server().client);
    const creator = await inviteMember(admin);
    const peer = await inviteMember(admin);
    await setSharing(admin, 'LEADS', 'PRIVATE');
    const id = await uploaded(creator, [{ last: 'Kept' }, { last: 'Handed on' }]);
    expect(await committed(creator, id)).toBe('COMPLETED');
    // One imported lead now belongs to a peer: private sharing hides it from the creator.
    const { leads } = await admin.client.ok(`{ leads(first: 10) { nodes { id lastName version } } }`);
    const handedOn = leads.nodes.find((lead: { lastName: string }) => lead.lastName === 'Handed on');
    await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, { input: { id: handedOn.id, expectedVersion: handedOn.version, ownerId: peer.userId } });
    expect(await liveLeads(creator)).toEqual(['Kept']);

    const refused = await creator.client.fails('FORBIDDEN', UNDO, { id });
    expect(refused.message).toMatch(/^This import cannot be undone by you: .*it was not undone/);
    expect(refused.extensions?.['reason']).toBe('RECORDS_OUT_OF_REACH');
    // Nothing changed: both leads live, the import still COMPLETED.
    expect(await liveLeads(admin)).toEqual(['Handed on', 'Kept']);
    expect((await creator.client.ok(STATUS, { id })).import.status).toBe('COMPLETED');

    expect((await admin.client.ok(UNDO, { id })).undoImport.status).toBe('UNDONE');
    expect(await liveLeads(admin)).toEqual([]);
  });

  it('sends an UNDONE progress event with the import counts', async () => {
    const admin = await signUpOrganization(server().client);
    const id = await uploaded(admin, [{ last: 'One' }, { last: 'Two' }, { last: 'Three' }]);
    expect(await committed(admin, id)).toBe('COMPLETED');
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const { salesSignals } = await admin.client.ok(`{ salesSignals(first: 0) { cursor } }`);
      const progress = ws.subscribe(`subscription($id: ID!, $after: String) { importProgress(id: $id, after: $after) { status rowsRead rowsWritten rowsFailed percentage } }`, { id, after: salesSignals.cursor });
      await admin.client.ok(UNDO, { id });
      const [undone] = await progress.waitFor(1);
      expect(undone).toEqual({ importProgress: { status: 'UNDONE', rowsRead: 3, rowsWritten: 3, rowsFailed: 0, percentage: 100 } });
    } finally {
      await ws.dispose();
    }
  });
});
