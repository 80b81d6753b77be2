import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization } from './factories/organizations.factory.js';
import { createAccount, createActivity, createContact, createDeal, createLead, createNote } from './factories/records.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

describe('leads', () => {
  it('normalises email and phone at the point of entry and defaults the status', async () => {
    const admin = await signUpOrganization(server().client);
    const email = uniqueEmail('Mixed.Case').toUpperCase();
    const { createLead: lead } = await admin.client.ok(
      `mutation($input: CreateLeadInput!) { createLead(input: $input) { id email phone status leadSource fullName owner { id } createdBy { id } version tags annualRevenue } }`,
      { input: { firstName: ' Ann ', lastName: 'Lee', email: `  ${email} `, phone: '(415) 555-0132', leadSource: 'twitter', annualRevenue: '1500000.50', tags: ['vip', 'vip', ' hot '] } },
    );
    expect(lead).toMatchObject({
      email: email.toLowerCase(),
      phone: '+14155550132',
      status: 'Not Contacted',
      leadSource: 'Twitter',
      fullName: 'Ann Lee',
      owner: { id: admin.userId },
      createdBy: { id: admin.userId },
      version: 1,
      tags: ['vip', 'hot'],
      annualRevenue: '1500000.50',
    });
  });

  it('refuses bad input with the field named, and writes nothing', async () => {
    const admin = await signUpOrganization(server().client);
    const create = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`;
    const cases: [Record<string, unknown>, string][] = [
      [{ lastName: '   ' }, 'lastName'],
      [{ lastName: 'X', email: 'nope@' }, 'email'],
      [{ lastName: 'X', phone: '12' }, 'phone'],
      [{ lastName: 'X', leadSource: 'Carrier Pigeon' }, 'leadSource'],
      [{ lastName: 'X', status: 'Converted' }, 'status'],
      [{ lastName: 'X', annualRevenue: '12.345' }, 'annualRevenue'],
      [{ lastName: 'X', employees: -3 }, 'employees'],
      [{ lastName: 'X', website: 'not a site' }, 'website'],
    ];
    for (const [input, field] of cases) {
      const error = await admin.client.fails('BAD_USER_INPUT', create, { input });
      expect(error.extensions?.['field'], JSON.stringify(input)).toBe(field);
    }
    const invalidOwner = await admin.client.fails('NOT_FOUND', create, { input: { lastName: 'X', ownerId: '00000000-0000-4000-8000-000000000000' } });
    expect(invalidOwner.extensions?.['field']).toBe('ownerId');
    const { leads } = await admin.client.ok(`{ leads { totalCount } }`);
    expect(leads.totalCount).toBe(0);
  });

  it('refuses a duplicate email with CONFLICT naming the existing record, unless allowed', async () => {
    const admin = await signUpOrganization(server().client);
    const first = await createLead(admin.client);
    const create = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`;
    const duplicate = await admin.client.fails('CONFLICT', create, { input: { lastName: 'Dup', email: first.email?.toUpperCase() } });
    expect(duplicate.extensions).toMatchObject({ existingType: 'LEAD', existingId: first.id, field: 'email' });
    const contact = await createContact(admin.client);
    const againstContact = await admin.client.fails('CONFLICT', create, { input: { lastName: 'Dup', email: contact.email } });
    expect(againstContact.extensions).toMatchObject({ existingType: 'CONTACT', existingId: contact.id });
    const allowed = await admin.client.ok(create, { input: { lastName: 'Dup', email: first.email, allowDuplicate: true } });
    expect(allowed.createLead.id).toBeTruthy();
    // Another organisation may hold the same email.
    const other = await signUpOrganization(server().client);
    await other.client.ok(create, { input: { lastName: 'Elsewhere', email: first.email } });
  });

  it('lets only one of two concurrent creates with the same email through', async () => {
    const admin = await signUpOrganization(server().client);
    const email = uniqueEmail('race');
    const create = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id } }`;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => admin.client.request(create, { input: { lastName: `Racer ${i}`, email } })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(5);
  });

  it('updates with optimistic concurrency: a stale version is a CONFLICT that changes nothing', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client, { status: 'Not Contacted' });
    const update = `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { version status title } }`;
    const first = await admin.client.ok(update, { input: { id: lead.id, expectedVersion: 1, status: 'Contacted' } });
    expect(first.updateLead).toEqual({ version: 2, status: 'Contacted', title: null });
    const stale = await admin.client.fails('CONFLICT', update, { input: { id: lead.id, expectedVersion: 1, title: 'CTO' } });
    expect(stale.extensions?.['currentVersion']).toBe(2);
    const { lead: after } = await admin.client.ok(`{ lead(id: "${lead.id}") { version title status } }`);
    expect(after).toEqual({ version: 2, title: null, status: 'Contacted' });
    // An update that changes nothing spends no version.
    const same = await admin.client.ok(update, { input: { id: lead.id, expectedVersion: 2, status: 'contacted' } });
    expect(same.updateLead.version).toBe(2);
  });

  it('writes every change on the timeline with old and new values and who made it', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client, { title: 'Engineer' });
    await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id } }`, {
      input: { id: lead.id, expectedVersion: 1, title: 'Director', status: 'Contacted' },
    });
    await createNote(admin.client, { type: 'LEAD', id: lead.id }, 'Called, wants a demo');
    await createActivity(admin.client, { relatedTo: { type: 'LEAD', id: lead.id }, subject: 'Send the demo link' });
    const { lead: read } = await admin.client.ok(
      `{ lead(id: "${lead.id}") { timeline(first: 10) { nodes { kind summary actor { id } changes { field oldValue newValue } } } notes { body } activities { subject } } }`,
    );
    const kinds = read.timeline.nodes.map((n: { kind: string }) => n.kind);
    expect(kinds).toEqual(['ACTIVITY_ADDED', 'NOTE_ADDED', 'UPDATED', 'CREATED']);
    const updated = read.timeline.nodes[2];
    expect(updated.actor.id).toBe(admin.userId);
    expect(updated.changes).toEqual(
      expect.arrayContaining([
        { field: 'title', oldValue: 'Engineer', newValue: 'Director' },
        { field: 'status', oldValue: 'Not Contacted', newValue: 'Contacted' },
      ]),
    );
    expect(read.notes).toEqual([{ body: 'Called, wants a demo' }]);
    expect(read.activities).toEqual([{ subject: 'Send the demo link' }]);
  });

  it('moves records to the recycle bin and back', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    const deleted = await admin.client.ok(`mutation { deleteLead(id: "${lead.id}") { deletedAt version } }`);
    expect(deleted.deleteLead.deletedAt).toBeTruthy();
    const lists = await admin.client.ok(`{ live: leads { totalCount } bin: leads(filter: {deleted: true}) { nodes { id } } }`);
    expect(lists.live.totalCount).toBe(0);
    expect(lists.bin.nodes).toEqual([{ id: lead.id }]);
    await admin.client.fails('NOT_FOUND', `mutation { updateLead(input: {id: "${lead.id}", expectedVersion: 2, title: "x"}) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { deleteLead(id: "${lead.id}") { id } }`);
    const restored = await admin.client.ok(`mutation { restoreLead(id: "${lead.id}") { deletedAt } }`);
    expect(restored.restoreLead.deletedAt).toBeNull();
    expect((await admin.client.ok(`{ leads { totalCount } }`)).leads.totalCount).toBe(1);
  });

  it('filters by status, source, owner, tag, text and dates', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const company = unique('Initech');
    const a = await createLead(admin.client, { status: 'Contacted', leadSource: 'Web', company, tags: ['hot'] });
    const b = await createLead(admin.client, { status: 'Junk Lead', leadSource: 'Twitter', ownerId: member.userId });
    const c = await createLead(admin.client, { status: 'Contacted', leadSource: 'Twitter', lastName: 'Zed_%' });
    const ids = async (filter: string): Promise<string[]> =>
      (await admin.client.ok(`{ leads(filter: ${filter}, orderBy: {field: CREATED_AT, direction: ASC}) { nodes { id } } }`)).leads.nodes.map((n: { id: string }) => n.id);
    expect(await ids(`{status: ["Contacted"]}`)).toEqual([a.id, c.id]);
    expect(await ids(`{leadSource: ["Twitter"]}`)).toEqual([b.id, c.id]);
    expect(await ids(`{ownerId: "${member.userId}"}`)).toEqual([b.id]);
    expect(await ids(`{tag: "hot"}`)).toEqual([a.id]);
    expect(await ids(`{search: "${company.toLowerCase().slice(0, 10)}"}`)).toEqual([a.id]);
    expect(await ids(`{search: "_%"}`)).toEqual([c.id]);
    expect(await ids(`{createdAfter: "2999-01-01T00:00:00Z"}`)).toEqual([]);
  });
});

describe('accounts, contacts and deals', () => {
  it('links contacts and deals to accounts and resolves every relation', async () => {
    const admin = await signUpOrganization(server().client);
    const account = await createAccount(admin.client, { industry: 'software', accountType: 'Customer', address: { city: 'Lisbon', country: 'PT' } });
    const contact = await createContact(admin.client, { accountId: account.id });
    const deal = await createDeal(admin.client, { accountId: account.id, contactId: contact.id, amount: '2000.00' });
    await createDeal(admin.client, { accountId: account.id, contactId: contact.id, amount: '4500.00' });
    const { account: read } = await admin.client.ok(`{
      account(id: "${account.id}") {
        industry accountType address { city country }
        contacts { id account { id } }
        deals { amount contact { id } account { name } stage { name probability pipeline { isDefault } } probability weightedAmount currency }
      }
    }`);
    expect(read.industry).toBe('Software');
    expect(read.address).toEqual({ city: 'Lisbon', country: 'PT' });
    expect(read.contacts).toEqual([{ id: contact.id, account: { id: account.id } }]);
    expect(read.deals.map((d: { amount: string }) => d.amount).sort()).toEqual(['2000.00', '4500.00']);
    expect(read.deals[0]).toMatchObject({ stage: { name: 'Qualification', probability: 10, pipeline: { isDefault: true } }, probability: 10, currency: 'USD' });
    const { deal: one } = await admin.client.ok(`{ deal(id: "${deal.id}") { weightedAmount } }`);
    expect(one.weightedAmount).toBe('200.00');
  });

  it('keeps money exact and filters deals by amount, stage and closing date', async () => {
    const admin = await signUpOrganization(server().client);
    const { pipelines } = await admin.client.ok(`{ pipelines { id stages { id name probability } } }`);
    const stages = pipelines[0].stages;
    const won = stages.find((s: { name: string }) => s.name === 'Closed Won');
    const small = await createDeal(admin.client, { amount: '0.10', closingDate: '2026-01-31' });
    const big = await createDeal(admin.client, { amount: '99999999999999.99', stageId: won.id, closingDate: '2026-03-01' });
    const ids = async (filter: string): Promise<string[]> =>
      (await admin.client.ok(`{ deals(filter: ${filter}, orderBy: {field: AMOUNT, direction: ASC}) { nodes { id } } }`)).deals.nodes.map((n: { id: string }) => n.id);
    expect(await ids(`{amountMin: "0.10", amountMax: "0.10"}`)).toEqual([small.id]);
    expect(await ids(`{stageKind: WON}`)).toEqual([big.id]);
    expect(await ids(`{closingFrom: "2026-02-01"}`)).toEqual([big.id]);
    const { deal } = await admin.client.ok(`{ deal(id: "${big.id}") { amount probability weightedAmount } }`);
    expect(deal).toEqual({ amount: '99999999999999.99', probability: 100, weightedAmount: '99999999999999.99' });
    await admin.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: {name: "x", amount: "1.005"}) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: {name: "x", closingDate: "2026-02-30"}) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: {name: "x", probability: 101}) { id } }`);
  });

  it('moves a deal to another stage with that stage\'s probability, and refuses a stage of another pipeline', async () => {
    const admin = await signUpOrganization(server().client);
    const { pipelines } = await admin.client.ok(`{ pipelines { id stages { id name } } }`);
    const negotiation = pipelines[0].stages.find((s: { name: string }) => s.name === 'Negotiation/Review');
    const deal = await createDeal(admin.client);
    const { updateDeal } = await admin.client.ok(
      `mutation($input: UpdateDealInput!) { updateDeal(input: $input) { probability stage { name } version timeline { nodes { kind summary } } } }`,
      { input: { id: deal.id, expectedVersion: 1, stageId: negotiation.id } },
    );
    expect(updateDeal).toMatchObject({ probability: 90, stage: { name: 'Negotiation/Review' }, version: 2 });
    expect(updateDeal.timeline.nodes[0].kind).toBe('UPDATED');
    const other = await signUpOrganization(server().client);
    const { pipelines: foreign } = await other.client.ok(`{ pipelines { stages { id } } }`);
    await admin.client.fails('NOT_FOUND', `mutation($input: UpdateDealInput!) { updateDeal(input: $input) { id } }`, {
      input: { id: deal.id, expectedVersion: 2, stageId: foreign[0].stages[0].id },
    });
  });

  it('refuses a contact email that another contact has, naming it', async () => {
    const admin = await signUpOrganization(server().client);
    const contact = await createContact(admin.client);
    const error = await admin.client.fails('CONFLICT', `mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, {
      input: { lastName: 'Twin', email: contact.email },
    });
    expect(error.extensions).toMatchObject({ existingType: 'CONTACT', existingId: contact.id });
  });
});

describe('activities and notes', () => {
  it('validates the shape of meetings and calls, and completes tasks', async () => {
    const admin = await signUpOrganization(server().client);
    const deal = await createDeal(admin.client);
    const create = `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id status completedAt relatedTo { __typename ... on Deal { id } } } }`;
    const noEnd = await admin.client.fails('BAD_USER_INPUT', create, { input: { type: 'MEETING', subject: 'Kick-off', startAt: '2026-12-01T10:00:00Z' } });
    expect(noEnd.extensions?.['field']).toBe('endAt');
    const backwards = await admin.client.fails('BAD_USER_INPUT', create, {
      input: { type: 'MEETING', subject: 'Kick-off', startAt: '2026-12-01T10:00:00Z', endAt: '2026-12-01T09:00:00Z' },
    });
    expect(backwards.extensions?.['field']).toBe('endAt');
    await admin.client.fails('BAD_USER_INPUT', create, { input: { type: 'TASK', subject: 'x', callDirection: 'INBOUND' } });
    const meeting = await admin.client.ok(create, {
      input: { type: 'MEETING', subject: 'Kick-off', startAt: '2026-12-01T10:00:00Z', endAt: '2026-12-01T11:00:00Z', relatedTo: { type: 'DEAL', id: deal.id } },
    });
    expect(meeting.createActivity.relatedTo).toEqual({ __typename: 'Deal', id: deal.id });
    const task = await createActivity(admin.client, { dueAt: '2020-01-01T00:00:00Z' });
    const overdue = await admin.client.ok(`{ activities(filter: {overdue: true}) { nodes { id } } }`);
    expect(overdue.activities.nodes).toEqual([{ id: task.id }]);
    const done = await admin.client.ok(`mutation { updateActivity(input: {id: "${task.id}", expectedVersion: 1, status: COMPLETED}) { status completedAt } }`);
    expect(done.updateActivity.completedAt).toBeTruthy();
    expect((await admin.client.ok(`{ activities(filter: {overdue: true}) { nodes { id } } }`)).activities.nodes).toEqual([]);
  });

  it('lets the author edit a note with a version check', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const account = await createAccount(admin.client);
    const note = await createNote(member.client, { type: 'ACCOUNT', id: account.id }, 'first');
    const edit = `mutation($input: UpdateNoteInput!) { updateNote(input: $input) { body version author { id } relatedTo { ... on Account { id } } } }`;
    const edited = await member.client.ok(edit, { input: { id: note.id, expectedVersion: 1, body: 'second' } });
    expect(edited.updateNote).toEqual({ body: 'second', version: 2, author: { id: member.userId }, relatedTo: { id: account.id } });
    await member.client.fails('CONFLICT', edit, { input: { id: note.id, expectedVersion: 1, body: 'third' } });
    const other = await inviteMember(admin);
    await other.client.fails('FORBIDDEN', edit, { input: { id: note.id, expectedVersion: 2, body: 'mine now' } });
  });
});
