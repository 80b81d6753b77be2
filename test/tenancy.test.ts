import { sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount, createActivity, createContact, createDeal, createLead, createNote } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

interface OrgA {
  admin: SignedInUser;
  lead: { id: string; email: string | null };
  contact: { id: string; email: string | null };
  account: { id: string };
  deal: { id: string; stage: { id: string } };
  activity: { id: string };
  note: { id: string };
  pipelineId: string;
}

async function seedOrganization(): Promise<OrgA> {
  const admin = await signUpOrganization(server().client);
  const account = await createAccount(admin.client);
  const contact = await createContact(admin.client, { accountId: account.id });
  const lead = await createLead(admin.client);
  const deal = await createDeal(admin.client, { accountId: account.id, contactId: contact.id });
  const activity = await createActivity(admin.client, { relatedTo: { type: 'DEAL', id: deal.id } });
  const note = await createNote(admin.client, { type: 'ACCOUNT', id: account.id });
  const { pipelines } = await admin.client.ok(`{ pipelines { id } }`);
  return { admin, lead, contact, account, deal, activity, note, pipelineId: pipelines[0].id };
}

/** Everything organisation A owns, read back by A, to prove B changed nothing. */
async function snapshot(a: OrgA): Promise<unknown> {
  return a.admin.client.ok(`{
    lead(id: "${a.lead.id}") { version status convertedAt deletedAt timeline { nodes { kind } } }
    contact(id: "${a.contact.id}") { version deletedAt }
    account(id: "${a.account.id}") { version deletedAt notes { body } }
    deal(id: "${a.deal.id}") { version deletedAt stage { id } }
    activity(id: "${a.activity.id}") { version deletedAt }
    users { id active }
  }`);
}

describe('tenant isolation', () => {
  it('makes another organisation\'s records indistinguishable from records that do not exist', async () => {
    const a = await seedOrganization();
    const before = await snapshot(a);
    const b = await signUpOrganization(server().client);
    const missing = randomUUID();

    const reads: [string, string][] = [
      ['lead', a.lead.id],
      ['contact', a.contact.id],
      ['account', a.account.id],
      ['deal', a.deal.id],
      ['activity', a.activity.id],
      ['user', a.admin.userId],
      ['pipeline', a.pipelineId],
    ];
    for (const [field, id] of reads) {
      const foreign = await b.client.fails('NOT_FOUND', `{ ${field}(id: "${id}") { id } }`);
      const absent = await b.client.fails('NOT_FOUND', `{ ${field}(id: "${missing}") { id } }`);
      expect(foreign.message, field).toBe(absent.message);
    }

    const lists = await b.client.ok(`{
      leads { totalCount nodes { id } } contacts { totalCount } accounts { totalCount } deals { totalCount }
      activities { totalCount } users { id } pipelines { id }
      bin: leads(filter: {deleted: true}) { totalCount }
      byEmail: leads(filter: {email: "${a.lead.email}"}) { totalCount }
      byAccount: contacts(filter: {accountId: "${a.account.id}"}) { totalCount }
      dealsOfAccount: deals(filter: {accountId: "${a.account.id}"}) { totalCount }
      activitiesOfDeal: activities(filter: {relatedTo: {type: DEAL, id: "${a.deal.id}"}}) { totalCount }
    }`);
    expect(lists).toMatchObject({
      leads: { totalCount: 0, nodes: [] },
      contacts: { totalCount: 0 },
      accounts: { totalCount: 0 },
      deals: { totalCount: 0 },
      activities: { totalCount: 0 },
      users: [{ id: b.userId }],
      bin: { totalCount: 0 },
      byEmail: { totalCount: 0 },
      byAccount: { totalCount: 0 },
      dealsOfAccount: { totalCount: 0 },
      activitiesOfDeal: { totalCount: 0 },
    });
    expect(lists.pipelines.map((p: { id: string }) => p.id)).not.toContain(a.pipelineId);

    const writes: [string, Record<string, unknown>][] = [
      [`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, { input: { id: a.lead.id, expectedVersion: 1, title: 'pwned' } }],
      [`mutation($input: UpdateContactInput!) { updateContact(input: $input) { id } }`, { input: { id: a.contact.id, expectedVersion: 1, title: 'pwned' } }],
      [`mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }`, { input: { id: a.account.id, expectedVersion: 1, name: 'pwned' } }],
      [`mutation($input: UpdateDealInput!) { updateDeal(input: $input) { id } }`, { input: { id: a.deal.id, expectedVersion: 1, name: 'pwned' } }],
      [`mutation($input: UpdateActivityInput!) { updateActivity(input: $input) { id } }`, { input: { id: a.activity.id, expectedVersion: 1, subject: 'pwned' } }],
      [`mutation($input: UpdateNoteInput!) { updateNote(input: $input) { id } }`, { input: { id: a.note.id, expectedVersion: 1, body: 'pwned' } }],
      [`mutation { deleteLead(id: "${a.lead.id}") { id } }`, {}],
      [`mutation { deleteContact(id: "${a.contact.id}") { id } }`, {}],
      [`mutation { deleteAccount(id: "${a.account.id}") { id } }`, {}],
      [`mutation { deleteDeal(id: "${a.deal.id}") { id } }`, {}],
      [`mutation { deleteActivity(id: "${a.activity.id}") { id } }`, {}],
      [`mutation { deleteNote(id: "${a.note.id}") { id } }`, {}],
      [`mutation { restoreLead(id: "${a.lead.id}") { id } }`, {}],
      [`mutation { deactivateUser(id: "${a.admin.userId}") { id } }`, {}],
      [`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { lead { id } } }`, { input: { id: a.lead.id } }],
    ];
    for (const [mutation, variables] of writes) await b.client.fails('NOT_FOUND', mutation, variables);

    const references: [string, Record<string, unknown>, string][] = [
      [`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: { lastName: 'x', accountId: a.account.id } }, 'accountId'],
      [`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'x', accountId: a.account.id } }, 'accountId'],
      [`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'x', contactId: a.contact.id } }, 'contactId'],
      [`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'x', stageId: a.deal.stage.id } }, 'stageId'],
      [`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'x', pipelineId: a.pipelineId } }, 'pipelineId'],
      [`mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`, { input: { lastName: 'x', ownerId: a.admin.userId } }, 'ownerId'],
      [`mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`, { input: { type: 'TASK', subject: 'x', relatedTo: { type: 'DEAL', id: a.deal.id } } }, 'relatedTo.id'],
      [`mutation($input: CreateNoteInput!) { createNote(input: $input) { id } }`, { input: { body: 'x', relatedTo: { type: 'LEAD', id: a.lead.id } } }, 'relatedTo.id'],
      [`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { lead { id } } }`, { input: { id: (await createLead(b.client)).id, accountId: a.account.id } }, 'accountId'],
    ];
    for (const [mutation, variables, field] of references) {
      const error = await b.client.fails('NOT_FOUND', mutation, variables);
      expect(error.extensions?.['field'], mutation).toBe(field);
    }

    // Every statement a signed-in request sends names the organisation (the sign-in lookup joins by the token's ids).
    const recorded = await server().countStatements(() =>
      b.client.ok(`{ leads { totalCount nodes { owner { name } timeline { nodes { actor { id } } } } } deals(first: 5) { nodes { account { name } contact { email } stage { name } } } accounts { nodes { contacts { id } deals { id } notes { id } activities { id } } } }`),
    );
    // The hourly retention job (all organisations by design) may run meanwhile; it is not a request's.
    const requestStatements = recorded.statements.filter((statement) => !/^\s*with deleted as \(\s*delete from events/.test(statement));
    for (const statement of requestStatements) expect(statement).toMatch(/"organization_id"|organization_id = /);

    // The email of A's lead is free in B: duplicate checks stay within the organisation.
    await createLead(b.client, { email: a.lead.email });
    expect(await snapshot(a)).toEqual(before);
  });
});

describe('an organisation\'s rows', () => {
  it('all go with the organisation, in one statement, and nobody else\'s do', async () => {
    const keep = await seedOrganization();
    const doomed = await seedOrganization();
    await doomed.admin.client.ok(`mutation { moveDeal(input: {id: "${doomed.deal.id}", expectedVersion: 1, stageId: "${(await doomed.admin.client.ok(`{ pipelines { stages { id } } }`)).pipelines[0].stages[3].id}"}) { id } }`);
    const before = await snapshot(keep);
    const { db } = server().server.deps;
    const rows = (result: unknown): Record<string, unknown>[] => (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows);
    const tables = rows(await db.execute(sql`select table_name from information_schema.columns where column_name = 'organization_id' and table_schema = 'public'`)).map((row) => String(row['table_name']));
    expect(tables.length).toBeGreaterThan(15);
    await db.execute(sql`delete from organizations where id = ${doomed.admin.organizationId}`);
    for (const table of tables) {
      const [count] = rows(await db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where organization_id = ${doomed.admin.organizationId}`));
      expect(count?.['n'], table).toBe(0);
    }
    expect(await snapshot(keep)).toEqual(before);
  });
});
