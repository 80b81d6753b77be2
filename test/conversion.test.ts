import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount, createActivity, createLead, createNote } from './factories/records.factory.js';
import { unique } from './factories/unique.js';
import { createCustomField } from './factories/custom-fields.factory.js';
import { createRule, runsOf } from './factories/workflows.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { usesPostgres } from './helpers/test-database.js';

const server = useTestServer();

const CONVERT = `mutation($input: ConvertLeadInput!) {
  convertLead(input: $input) {
    lead { status convertedAt version convertedContact { id } convertedAccount { id } convertedDeal { id } }
    contact { id firstName lastName email account { id name } notes { body } activities { subject } }
    account { id name }
    deal { id name amount stage { name } contact { id } account { id } }
  }
}`;

async function counts(admin: SignedInUser) {
  return admin.client.ok(`{ contacts { totalCount } accounts { totalCount } deals { totalCount } }`);
}

describe('lead conversion', () => {
  it('turns a lead into a contact, an account and a deal, moving its notes and activities', async () => {
    const admin = await signUpOrganization(server().client);
    const company = unique('Globex');
    const lead = await createLead(admin.client, { company });
    await createNote(admin.client, { type: 'LEAD', id: lead.id }, 'met at the fair');
    await createActivity(admin.client, { relatedTo: { type: 'LEAD', id: lead.id }, subject: 'follow up' });
    const { convertLead } = await admin.client.ok(CONVERT, {
      input: { id: lead.id, createDeal: { name: 'Globex rollout', amount: '6500.00', closingDate: '2026-12-31' } },
    });
    expect(convertLead.lead).toMatchObject({
      status: 'Converted',
      convertedContact: { id: convertLead.contact.id },
      convertedAccount: { id: convertLead.account.id },
      convertedDeal: { id: convertLead.deal.id },
    });
    expect(convertLead.contact).toMatchObject({ email: lead.email, account: { name: company }, notes: [{ body: 'met at the fair' }], activities: [{ subject: 'follow up' }] });
    expect(convertLead.deal).toMatchObject({ amount: '6500.00', stage: { name: 'Qualification' }, contact: { id: convertLead.contact.id }, account: { id: convertLead.account.id } });
    const { lead: read } = await admin.client.ok(`{ lead(id: "${lead.id}") { notes { body } activities { subject } timeline { nodes { kind } } } }`);
    expect(read.notes).toEqual([]);
    expect(read.activities).toEqual([]);
    expect(read.timeline.nodes[0].kind).toBe('CONVERTED');
    // A converted lead can no longer be edited or converted again.
    await admin.client.fails('CONFLICT', `mutation { updateLead(input: {id: "${lead.id}", expectedVersion: ${convertLead.lead.version}, title: "x"}) { id } }`);
    await admin.client.fails('CONFLICT', CONVERT, { input: { id: lead.id } });
  });

  it('rescores the lead and fires workflow edit triggers through the same write hooks as any edit', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Converted leads', fieldScores: [{ field: 'status', operator: 'EQUALS', value: 'Converted', points: 50 }, { field: 'company', operator: 'IS_NOT_EMPTY', points: 5 }] },
    });
    const onConversion = await createRule(admin.client, {
      module: 'LEADS',
      trigger: { type: 'FIELD_UPDATED', field: 'status', value: 'Converted' },
      actions: [{ type: 'NOTIFY', message: '{{lead.lastName}} was converted' }],
    });
    const lead = await createLead(admin.client);
    const before = await admin.client.ok(`{ lead(id: "${lead.id}") { score } }`);
    expect(before.lead.score).toBe(5);
    await admin.client.ok(CONVERT, { input: { id: lead.id } });
    const { lead: read } = await admin.client.ok(`{ lead(id: "${lead.id}") { score scoreHistory { previousScore score reason } timeline { nodes { kind } } } }`);
    expect(read.score).toBe(55);
    expect(read.scoreHistory[0]).toMatchObject({ previousScore: 5, score: 55 });
    expect(read.scoreHistory[0].reason).toMatch(/status/i);
    expect(read.timeline.nodes.map((node: { kind: string }) => node.kind)).toEqual(expect.arrayContaining(['CONVERTED', 'SCORE_CHANGED']));
    expect(read.timeline.nodes.map((node: { kind: string }) => node.kind)).not.toContain('UPDATED');
    const runs = await runsOf(admin.client, { ruleId: onConversion.id });
    expect(runs.map((run) => [run.recordId, run.trigger, run.status])).toEqual([[lead.id, 'FIELD_UPDATED', 'COMPLETED']]);
  });

  it('carries custom values to the contact, account and deal whose fields share the API name and type', async () => {
    const admin = await signUpOrganization(server().client);
    for (const module of ['LEADS', 'CONTACTS', 'ACCOUNTS', 'DEALS']) {
      await createCustomField(admin.client, { module, apiName: 'segment', label: 'Segment', type: 'PICKLIST', options: ['Enterprise', 'SMB'] });
    }
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'seats', label: 'Seats', type: 'INTEGER' });
    await createCustomField(admin.client, { module: 'CONTACTS', apiName: 'seats', label: 'Seats', type: 'TEXT' });
    const { createLead: lead } = await admin.client.ok(`mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`, {
      input: { lastName: 'Carried', company: unique('Initech'), customFields: { segment: 'SMB', seats: 40 } },
    });
    const { convertLead } = await admin.client.ok(
      `mutation($input: ConvertLeadInput!) { convertLead(input: $input) { contact { customFields account { customFields } } deal { customFields } } }`,
      { input: { id: lead.id, createDeal: { name: 'Initech seats', amount: '100.00' } } },
    );
    expect(convertLead.contact.customFields).toEqual({ segment: 'SMB' });
    expect(convertLead.contact.account.customFields).toEqual({ segment: 'SMB' });
    expect(convertLead.deal.customFields).toEqual({ segment: 'SMB' });
  });

  it('reuses an account with the same company name, or the one named', async () => {
    const admin = await signUpOrganization(server().client);
    const existing = await createAccount(admin.client, { name: unique('Umbrella') });
    const lead = await createLead(admin.client, { company: existing.name.toUpperCase() });
    const { convertLead } = await admin.client.ok(CONVERT, { input: { id: lead.id } });
    expect(convertLead.account.id).toBe(existing.id);
    expect(convertLead.deal).toBeNull();
    const chosen = await createAccount(admin.client);
    const other = await createLead(admin.client, { company: existing.name });
    const second = await admin.client.ok(CONVERT, { input: { id: other.id, accountId: chosen.id } });
    expect(second.convertLead.account.id).toBe(chosen.id);
    expect((await counts(admin)).accounts.totalCount).toBe(2);
  });

  it('leaves nothing behind when a step fails midway', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    await createNote(admin.client, { type: 'LEAD', id: lead.id }, 'stays on the lead');
    const before = await counts(admin);
    // The deal's stage does not exist: contact and account were already written in the transaction.
    await admin.client.fails('NOT_FOUND', CONVERT, {
      input: { id: lead.id, createDeal: { name: 'x', stageId: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(await counts(admin)).toEqual(before);
    const { lead: read } = await admin.client.ok(`{ lead(id: "${lead.id}") { status convertedAt version notes { body } } }`);
    expect(read).toEqual({ status: 'Not Contacted', convertedAt: null, version: 1, notes: [{ body: 'stays on the lead' }] });
  });

  it.skipIf(!usesPostgres)('leaves nothing behind when the connection is killed mid-transaction', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    await createActivity(admin.client, { relatedTo: { type: 'LEAD', id: lead.id }, subject: 'still the lead\'s' });
    const before = await counts(admin);
    const url = server().testDatabase.url!;
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      // Make the deal insert (after contact and account are written) hold still long enough to be killed.
      await sql.unsafe(`
        create or replace function pulse_test_stall() returns trigger language plpgsql as $$
        begin perform pg_sleep(5); return new; end $$;
        create trigger pulse_test_stall before insert on deals for each row execute function pulse_test_stall();
      `);
      const converting = admin.client.request(CONVERT, { input: { id: lead.id, createDeal: { name: 'Doomed deal' } } });
      let killed = 0;
      for (let attempt = 0; attempt < 100 && killed === 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const rows = await sql`
          select pg_terminate_backend(pid) as done from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query ilike '%insert into "deals"%' and query not ilike '%pg_stat_activity%' and state = 'active'`;
        killed = rows.filter((row) => row['done']).length;
      }
      expect(killed).toBe(1);
      const result = await converting;
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(result.errors)).not.toMatch(/terminat|sql|deals|postgres/i);
    } finally {
      await sql.unsafe(`drop trigger if exists pulse_test_stall on deals; drop function if exists pulse_test_stall();`);
      await sql.end();
    }
    // The server carries on, and nothing of the conversion exists: not in the transaction, not after it.
    expect(await counts(admin)).toEqual(before);
    const { lead: read } = await admin.client.ok(`{ lead(id: "${lead.id}") { status convertedAt version activities { subject } timeline { nodes { kind } } } }`);
    expect(read).toEqual({ status: 'Not Contacted', convertedAt: null, version: 1, activities: [{ subject: "still the lead's" }], timeline: { nodes: [{ kind: 'ACTIVITY_ADDED' }, { kind: 'CREATED' }] } });
  }, 60_000);
});
