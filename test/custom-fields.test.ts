import { describe, expect, it } from 'vitest';
import { createCustomField } from './factories/custom-fields.factory.js';
import { inviteMember, signUpOrganization } from './factories/organizations.factory.js';
import { createAccount, createLead } from './factories/records.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const CREATE_LEAD = `mutation($input: CreateLeadInput!) { createLead(input: $input) { id version customFields } }`;
const UPDATE_LEAD = `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id version customFields } }`;
const LIST = `query($filter: LeadFilter, $orderBy: LeadOrderBy, $first: Int, $after: String) {
  leads(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount nodes { id lastName customFields } pageInfo { hasNextPage endCursor }
  }
}`;

/** One field of every type on leads. */
async function everyType(client: Parameters<typeof createCustomField>[0]) {
  const fields: [string, string, Record<string, unknown>][] = [
    ['note', 'TEXT', {}],
    ['story', 'TEXTAREA', {}],
    ['seats', 'INTEGER', {}],
    ['ratio', 'DECIMAL', {}],
    ['budget', 'CURRENCY', {}],
    ['share', 'PERCENT', {}],
    ['vip', 'BOOLEAN', {}],
    ['renewal', 'DATE', {}],
    ['callback', 'DATETIME', {}],
    ['billingEmail', 'EMAIL', {}],
    ['fax', 'PHONE', {}],
    ['portal', 'URL', {}],
    ['tier', 'PICKLIST', { options: ['Gold', 'Silver', 'Bronze'] }],
    ['interests', 'MULTI_PICKLIST', { options: ['CRM', 'ERP', 'BI'] }],
    ['referrer', 'LOOKUP', { lookupModule: 'ACCOUNTS' }],
  ];
  for (const [apiName, type, extra] of fields) await createCustomField(client, { module: 'LEADS', apiName, label: apiName.toUpperCase(), type, ...extra });
}

describe('custom fields', () => {
  it('stores, returns, updates, filters and sorts every field type', async () => {
    const admin = await signUpOrganization(server().client);
    await everyType(admin.client);
    const account = await createAccount(admin.client);
    const values = {
      note: ' hello ',
      story: 'A long story',
      seats: 12,
      ratio: '3.1400',
      budget: '2500.50',
      share: 40,
      vip: true,
      renewal: '2027-01-31',
      callback: '2026-12-01T10:00:00+02:00',
      billingEmail: 'Billing@Example.COM',
      fax: '(415) 555-0132',
      portal: 'example.com/portal',
      tier: 'gold',
      interests: ['crm', 'BI', 'CRM'],
      referrer: account.id,
    };
    const { createLead: lead } = await admin.client.ok(CREATE_LEAD, { input: { lastName: 'Typed', customFields: values } });
    expect(lead.customFields).toEqual({
      note: 'hello',
      story: 'A long story',
      seats: 12,
      ratio: '3.14',
      budget: '2500.50',
      share: 40,
      vip: true,
      renewal: '2027-01-31',
      callback: '2026-12-01T08:00:00.000Z',
      billingEmail: 'billing@example.com',
      fax: '+14155550132',
      portal: 'example.com/portal',
      tier: 'Gold',
      interests: ['CRM', 'BI'],
      referrer: account.id,
    });
    const single = await admin.client.ok(`query($id: ID!) { lead(id: $id) { tier: customField(apiName: "tier") missing: customField(apiName: "nope") } }`, { id: lead.id });
    expect(single.lead).toEqual({ tier: 'Gold', missing: null });

    // Every type refuses a wrong value, naming the field.
    const bad: [string, unknown][] = [
      ['note', 'x'.repeat(256)],
      ['seats', 1.5],
      ['ratio', 'abc'],
      ['budget', '1.234'],
      ['share', 101],
      ['vip', 'yes'],
      ['renewal', '2027-02-30'],
      ['callback', '2026-12-01 10:00'],
      ['billingEmail', 'nope@'],
      ['fax', '12'],
      ['portal', 'not a site'],
      ['tier', 'Platinum'],
      ['interests', ['CRM', 'Nope']],
    ];
    for (const [apiName, value] of bad) {
      const error = await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'Bad', customFields: { [apiName]: value } } });
      expect(error.extensions?.['field'], apiName).toBe(`customFields.${apiName}`);
    }
    const other = await signUpOrganization(server().client);
    const foreign = await createAccount(other.client);
    const lookup = await admin.client.fails('NOT_FOUND', CREATE_LEAD, { input: { lastName: 'Bad', customFields: { referrer: foreign.id } } });
    expect(lookup.extensions?.['field']).toBe('customFields.referrer');
    await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'Bad', customFields: { unknownField: 1 } } });

    // Update merges: sent keys change, null clears, others stay; the timeline names the fields.
    const { updateLead: updated } = await admin.client.ok(UPDATE_LEAD, {
      input: { id: lead.id, expectedVersion: lead.version, customFields: { seats: 13, note: null, tier: 'Silver' } },
    });
    expect(updated.version).toBe(lead.version + 1);
    expect(updated.customFields).toMatchObject({ seats: 13, tier: 'Silver', vip: true });
    expect(updated.customFields).not.toHaveProperty('note');
    const { updateLead: same } = await admin.client.ok(UPDATE_LEAD, { input: { id: lead.id, expectedVersion: updated.version, customFields: { seats: 13 } } });
    expect(same.version).toBe(updated.version);
    const { lead: withTimeline } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { timeline(first: 1) { nodes { kind summary } } } }`, { id: lead.id });
    expect(withTimeline.timeline.nodes[0]).toEqual({ kind: 'UPDATED', summary: 'Changed note, tier and seats' });

    // More leads to filter and sort.
    const second = (await admin.client.ok(CREATE_LEAD, { input: { lastName: 'Second', customFields: { seats: 5, tier: 'Bronze', vip: false, renewal: '2026-06-01', interests: ['ERP'], budget: '10.00', callback: '2026-01-01T00:00:00Z', billingEmail: 'b@example.com', note: 'other text' } } })).createLead;
    const third = (await admin.client.ok(CREATE_LEAD, { input: { lastName: 'Third', customFields: { seats: 40, tier: 'Gold' } } })).createLead;
    const names = async (filter: unknown, orderBy?: unknown) =>
      ((await admin.client.ok(LIST, { filter, orderBy, first: 50 })).leads.nodes as { lastName: string }[]).map((node) => node.lastName);
    expect(await names({ customFields: [{ apiName: 'tier', equals: 'gold' }] }, { field: 'LAST_NAME', direction: 'ASC' })).toEqual(['Third']);
    expect(await names({ customFields: [{ apiName: 'tier', in: ['Silver', 'Gold'] }] }, { field: 'LAST_NAME', direction: 'ASC' })).toEqual(['Third', 'Typed']);
    expect(await names({ customFields: [{ apiName: 'seats', min: 6, max: 20 }] })).toEqual(['Typed']);
    expect(await names({ customFields: [{ apiName: 'vip', equals: false }] })).toEqual(['Second']);
    expect(await names({ customFields: [{ apiName: 'renewal', max: '2026-12-31' }] })).toEqual(['Second']);
    expect(await names({ customFields: [{ apiName: 'callback', min: '2026-06-01T00:00:00Z' }] })).toEqual(['Typed']);
    expect(await names({ customFields: [{ apiName: 'interests', equals: 'erp' }] })).toEqual(['Second']);
    expect(await names({ customFields: [{ apiName: 'billingEmail', equals: 'B@EXAMPLE.COM' }] })).toEqual(['Second']);
    expect(await names({ customFields: [{ apiName: 'note', contains: 'TEXT' }] })).toEqual(['Second']);
    expect(await names({ customFields: [{ apiName: 'budget', min: '100' }] })).toEqual(['Typed']);
    expect(await names({ customFields: [{ apiName: 'ratio', equals: '3.140' }] })).toEqual(['Typed']);
    expect(await names({ customFields: [{ apiName: 'referrer', equals: account.id }] })).toEqual(['Typed']);
    expect(await names({ customFields: [{ apiName: 'vip', isEmpty: true }] })).toEqual(['Third']);
    expect(await names({ customFields: [{ apiName: 'seats', min: 1 }, { apiName: 'tier', equals: 'Gold' }] })).toEqual(['Third']);
    expect(await names(null, { field: 'CUSTOM_FIELD', customField: 'seats', direction: 'ASC' })).toEqual(['Second', 'Typed', 'Third']);
    expect(await names(null, { field: 'CUSTOM_FIELD', customField: 'renewal', direction: 'DESC' })).toEqual(['Third', 'Typed', 'Second']);
    expect(await names(null, { field: 'CUSTOM_FIELD', customField: 'budget', direction: 'ASC' })).toEqual(['Second', 'Typed', 'Third']);
    await admin.client.fails('BAD_USER_INPUT', LIST, { orderBy: { field: 'CUSTOM_FIELD', customField: 'interests' } });
    await admin.client.fails('BAD_USER_INPUT', LIST, { orderBy: { field: 'CUSTOM_FIELD' } });
    await admin.client.fails('BAD_USER_INPUT', LIST, { filter: { customFields: [{ apiName: 'nope', equals: 1 }] } });
    // A picklist option removed later stays on the records that have it, and may be sent back unchanged.
    const tierField = (await admin.client.ok(`{ customFields(module: LEADS) { id apiName } }`)).customFields.find((field: { apiName: string }) => field.apiName === 'tier');
    await admin.client.ok(`mutation($input: UpdateCustomFieldInput!) { updateCustomField(input: $input) { options } }`, { input: { id: tierField.id, options: ['Gold', 'Silver'] } });
    const { updateLead: kept } = await admin.client.ok(UPDATE_LEAD, { input: { id: second.id, expectedVersion: second.version, customFields: { tier: 'Bronze', seats: 6 } } });
    expect(kept.customFields).toMatchObject({ tier: 'Bronze', seats: 6 });
    await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'Late', customFields: { tier: 'Bronze' } } });
    expect(third.id).toBeTruthy();
  });

  it('pages through a custom sort with ties and empty values, every record exactly once, in order', async () => {
    const admin = await signUpOrganization(server().client);
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'score', label: 'Score', type: 'INTEGER' });
    const expected: { id: string; score: number | null }[] = [];
    for (let i = 0; i < 23; i += 1) {
      const score = i % 5 === 0 ? null : i % 4;
      const lead = await createLead(admin.client, score === null ? {} : { customFields: { score } });
      expected.push({ id: lead.id, score });
    }
    for (const direction of ['ASC', 'DESC'] as const) {
      const seen: { id: string; customFields: { score?: number } }[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page += 1) {
        const data: { leads: { nodes: typeof seen; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await admin.client.ok(LIST, {
          orderBy: { field: 'CUSTOM_FIELD', customField: 'score', direction },
          first: 4,
          after,
        });
        seen.push(...data.leads.nodes);
        if (!data.leads.pageInfo.hasNextPage) break;
        after = data.leads.pageInfo.endCursor;
      }
      expect(seen.map((node) => node.id).sort()).toEqual(expected.map((lead) => lead.id).sort());
      const scores = seen.map((node) => node.customFields.score ?? null);
      const key = (score: number | null) => (score === null ? Infinity : score);
      const sorted = [...scores].sort((a, b) => (direction === 'ASC' ? key(a) - key(b) : key(b) - key(a)));
      expect(scores).toEqual(sorted);
    }
  });

  it('refuses a missing required custom field on every write path', async () => {
    const admin = await signUpOrganization(server().client);
    for (const module of ['LEADS', 'CONTACTS', 'ACCOUNTS', 'DEALS', 'ACTIVITIES']) {
      await createCustomField(admin.client, { module, apiName: 'mustHave', label: 'Must Have', type: 'TEXT', required: true });
    }
    const creates: [string, string, Record<string, unknown>][] = [
      ['createLead', 'CreateLeadInput', { lastName: 'L' }],
      ['createContact', 'CreateContactInput', { lastName: 'C' }],
      ['createAccount', 'CreateAccountInput', { name: unique('A') }],
      ['createDeal', 'CreateDealInput', { name: 'D' }],
      ['createActivity', 'CreateActivityInput', { type: 'TASK', subject: 'T' }],
    ];
    for (const [mutation, type, input] of creates) {
      const query = `mutation($input: ${type}!) { ${mutation}(input: $input) { id version customFields } }`;
      const error = await admin.client.fails('BAD_USER_INPUT', query, { input });
      expect(error.extensions?.['field'], mutation).toBe('customFields.mustHave');
      const created = (await admin.client.ok(query, { input: { ...input, customFields: { mustHave: 'yes' } } }))[mutation];
      expect(created.customFields).toEqual({ mustHave: 'yes' });
      const update = mutation.replace('create', 'update');
      const cleared = await admin.client.fails('BAD_USER_INPUT', `mutation($input: ${type.replace('Create', 'Update')}!) { ${update}(input: $input) { id } }`, {
        input: { id: created.id, expectedVersion: created.version, customFields: { mustHave: null } },
      });
      expect(cleared.extensions?.['field'], update).toBe('customFields.mustHave');
    }
    // Web forms write leads through the same validation.
    const { createWebForm } = await admin.client.ok(`mutation($input: CreateWebFormInput!) { createWebForm(input: $input) { publicKey } }`, {
      input: { name: 'Contact us', fields: [{ name: 'name', leadField: 'lastName', required: true }] },
    });
    const response = await fetch(`${server().url}/forms/${createWebForm.publicKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Form Visitor' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customFields.mustHave' });
    // A form can fill custom lead fields; the error then names the form's own field.
    const { createWebForm: mapped } = await admin.client.ok(`mutation($input: CreateWebFormInput!) { createWebForm(input: $input) { publicKey } }`, {
      input: { name: 'Mapped', fields: [{ name: 'name', leadField: 'lastName', required: true }, { name: 'must', leadField: 'customFields.mustHave' }] },
    });
    const post = (body: Record<string, string>) =>
      fetch(`${server().url}/forms/${mapped.publicKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refusedPost = await post({ name: 'No Value' });
    expect(refusedPost.status).toBe(400);
    expect(await refusedPost.json()).toMatchObject({ field: 'must' });
    expect((await post({ name: 'Form Lead', must: 'from the form' })).status).toBe(200);
    const { leads: formLeads } = await admin.client.ok(LIST, { filter: { customFields: [{ apiName: 'mustHave', equals: 'from the form' }] } });
    expect(formLeads.nodes.map((node: { lastName: string }) => node.lastName)).toEqual(['Form Lead']);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createWebForm(input: { name: "Bad", fields: [{ name: "n", leadField: "lastName" }, { name: "x", leadField: "customFields.nope" }] }) { id } }`);
    // A default value satisfies a required field.
    await admin.client.ok(`mutation($input: UpdateCustomFieldInput!) { updateCustomField(input: $input) { id } }`, {
      input: { id: (await admin.client.ok(`{ customFields(module: LEADS) { id } }`)).customFields[0].id, defaultValue: 'from default' },
    });
    const { createLead: defaulted } = await admin.client.ok(CREATE_LEAD, { input: { lastName: 'D' } });
    expect(defaulted.customFields).toEqual({ mustHave: 'from default' });
  });

  it('lets exactly one of several concurrent creates claim a unique value', async () => {
    const admin = await signUpOrganization(server().client);
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'taxId', label: 'Tax ID', type: 'TEXT', unique: true });
    const taxId = unique('TAX');
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => admin.client.request(CREATE_LEAD, { input: { lastName: `U${i}`, customFields: { taxId: i % 2 ? taxId : taxId.toLowerCase() } } })),
    );
    expect(results.filter((result) => !result.errors)).toHaveLength(1);
    const conflicts = results.filter((result) => result.errors);
    expect(conflicts).toHaveLength(5);
    for (const result of conflicts) {
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'customFields.taxId' });
      expect(result.errors?.[0]?.message).toContain('Tax ID');
    }
    const { leads } = await admin.client.ok(LIST, { filter: { customFields: [{ apiName: 'taxId', isEmpty: false }] } });
    expect(leads.totalCount).toBe(1);
    // Updating a record to a taken value is refused the same way.
    const other = await createLead(admin.client);
    await admin.client.fails('CONFLICT', UPDATE_LEAD, { input: { id: other.id, expectedVersion: other.version, customFields: { taxId } } });
  });

  it("keeps one organisation's fields invisible to another", async () => {
    const a = await signUpOrganization(server().client);
    const b = await signUpOrganization(server().client);
    await createCustomField(a.client, { module: 'DEALS', apiName: 'secretCode', label: 'Secret Code', type: 'TEXT' });
    const fieldsOf = async (client: typeof a.client) =>
      ((await client.ok(`{ moduleMetadata(module: DEALS) { fields { apiName standard } } }`)).moduleMetadata.fields as { apiName: string; standard: boolean }[])
        .filter((field) => !field.standard)
        .map((field) => field.apiName);
    expect(await fieldsOf(a.client)).toEqual(['secretCode']);
    expect(await fieldsOf(b.client)).toEqual([]);
    expect((await b.client.ok(`{ customFields(module: DEALS) { id } }`)).customFields).toEqual([]);
    await b.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: { name: "x", customFields: { secretCode: "1" } }) { id } }`);
    await b.client.fails('BAD_USER_INPUT', `{ deals(filter: { customFields: [{ apiName: "secretCode", equals: "1" }] }) { totalCount } }`);
    const [field] = (await a.client.ok(`{ customFields(module: DEALS) { id } }`)).customFields;
    await b.client.fails('NOT_FOUND', `mutation($id: ID!) { deactivateCustomField(id: $id) { id } }`, { id: field.id });
    await b.client.fails('NOT_FOUND', `mutation($id: ID!) { deleteCustomField(input: { id: $id, confirmDeleteValues: true }) { deletedId } }`, { id: field.id });
  });

  it('leaves field definitions to administrators, reorders, deactivates, and deletes values only on confirmation', async () => {
    const admin = await signUpOrganization(server().client);
    const rep = await inviteMember(admin);
    await rep.client.fails('FORBIDDEN', `mutation { createCustomField(input: { module: LEADS, apiName: "x", label: "X", type: TEXT }) { id } }`);
    const first = await createCustomField(admin.client, { module: 'LEADS', apiName: 'first', label: 'First', type: 'TEXT' });
    const second = await createCustomField(admin.client, { module: 'LEADS', apiName: 'second', label: 'Second', type: 'INTEGER' });
    await admin.client.fails('CONFLICT', `mutation { createCustomField(input: { module: LEADS, apiName: "first", label: "Again", type: TEXT }) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createCustomField(input: { module: LEADS, apiName: "email", label: "Email", type: TEXT }) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createCustomField(input: { module: LEADS, apiName: "p", label: "P", type: PICKLIST }) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createCustomField(input: { module: LEADS, apiName: "b", label: "B", type: BOOLEAN, unique: true }) { id } }`);
    const { reorderCustomFields } = await admin.client.ok(`mutation($input: ReorderCustomFieldsInput!) { reorderCustomFields(input: $input) { apiName position } }`, {
      input: { module: 'LEADS', ids: [second.id, first.id] },
    });
    expect(reorderCustomFields).toEqual([
      { apiName: 'second', position: 0 },
      { apiName: 'first', position: 1 },
    ]);
    const lead = await createLead(admin.client, { customFields: { first: 'kept', second: 2 } });
    await admin.client.ok(`mutation($id: ID!) { deactivateCustomField(id: $id) { active } }`, { id: first.id });
    const { lead: read } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { customFields } }`, { id: lead.id });
    expect(read.customFields).toEqual({ second: 2 });
    await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'X', customFields: { first: 'no' } } });
    await admin.client.ok(`mutation($id: ID!) { activateCustomField(id: $id) { active } }`, { id: first.id });
    const { lead: back } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { customFields } }`, { id: lead.id });
    expect(back.customFields).toEqual({ first: 'kept', second: 2 });
    const refused = await admin.client.fails('CONFLICT', `mutation($id: ID!) { deleteCustomField(input: { id: $id }) { deletedId } }`, { id: first.id });
    expect(refused.extensions?.['valuesHeld']).toBe(1);
    const { deleteCustomField } = await admin.client.ok(`mutation($id: ID!) { deleteCustomField(input: { id: $id, confirmDeleteValues: true }) { deletedId valuesRemoved } }`, {
      id: first.id,
    });
    expect(deleteCustomField).toEqual({ deletedId: first.id, valuesRemoved: 1 });
    const { lead: after } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { customFields } }`, { id: lead.id });
    expect(after.customFields).toEqual({ second: 2 });
    // The apiName is free again.
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'first', label: 'First again', type: 'BOOLEAN' });
  });

  it('reads customFields of a page of records with a constant number of statements', async () => {
    const admin = await signUpOrganization(server().client);
    await createCustomField(admin.client, { module: 'LEADS', apiName: 'tier', label: 'Tier', type: 'PICKLIST', options: ['A', 'B'] });
    for (let i = 0; i < 30; i += 1) await createLead(admin.client, { customFields: { tier: i % 2 ? 'A' : 'B' } });
    const query = `query($first: Int) { leads(first: $first) { nodes { customFields tier: customField(apiName: "tier") } } }`;
    const few = await server().fewestStatements(() => admin.client.ok(query, { first: 3 }));
    const many = await server().fewestStatements(() => admin.client.ok(query, { first: 30 }));
    expect(many.count, many.statements.join('\n')).toBe(few.count);
    // authentication + list + the module's field definitions
    expect(many.count).toBeLessThanOrEqual(3);
  });
});

describe('standard fields and picklists', () => {
  it('edits a standard picklist: add, rename, retire, reorder; records keep retired values', async () => {
    const admin = await signUpOrganization(server().client);
    const other = await signUpOrganization(server().client);
    const UPDATE = `mutation($input: UpdatePicklistInput!) { updatePicklist(input: $input) { values { value retired } } }`;
    const lead = await createLead(admin.client, { leadSource: 'Cold Call' });
    await admin.client.ok(UPDATE, { input: { name: 'LEAD_SOURCE', add: ['Podcast'], rename: [{ from: 'Cold Call', to: 'Outbound Call' }], retire: ['Trade Show'] } });
    const { lead: renamed } = await admin.client.ok(`query($id: ID!) { lead(id: $id) { leadSource version } }`, { id: lead.id });
    expect(renamed).toEqual({ leadSource: 'Outbound Call', version: 2 });
    await createLead(admin.client, { leadSource: 'podcast' });
    const retiredLead = await createLead(admin.client, { leadSource: 'Web' });
    await admin.client.ok(UPDATE, { input: { name: 'LEAD_SOURCE', retire: ['Web'] } });
    const refused = await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'X', leadSource: 'Web' } });
    expect(refused.extensions?.['field']).toBe('leadSource');
    // The record keeps (and may be saved with) its retired value.
    const { updateLead } = await admin.client.ok(`mutation($input: UpdateLeadInput!) { updateLead(input: $input) { leadSource title } }`, {
      input: { id: retiredLead.id, expectedVersion: retiredLead.version, title: 'CTO', leadSource: 'Web' },
    });
    expect(updateLead).toEqual({ leadSource: 'Web', title: 'CTO' });
    // Converting a lead carries its retired value over to the contact, account and deal.
    const converting = await createLead(admin.client, { leadSource: 'Chat', industry: 'Retail', company: unique('Retailer') });
    await admin.client.ok(UPDATE, { input: { name: 'LEAD_SOURCE', retire: ['Chat'] } });
    await admin.client.ok(UPDATE, { input: { name: 'INDUSTRY', retire: ['Retail'] } });
    const { convertLead } = await admin.client.ok(
      `mutation($id: ID!) { convertLead(input: { id: $id, createDeal: { name: "Carried" } }) { contact { leadSource } account { industry } deal { leadSource } } }`,
      { id: converting.id },
    );
    expect(convertLead).toEqual({ contact: { leadSource: 'Chat' }, account: { industry: 'Retail' }, deal: { leadSource: 'Chat' } });
    // Other organisations keep the built-in list.
    await createLead(other.client, { leadSource: 'Web' });
    await other.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'X', leadSource: 'Podcast' } });
    const { picklist } = await admin.client.ok(`{ picklist(name: LEAD_SOURCE) { values { value retired } } }`);
    const values = picklist.values as { value: string; retired: boolean }[];
    expect(values.find((entry) => entry.value === 'Web')).toEqual({ value: 'Web', retired: true });
    const order = [...values.map((entry) => entry.value)].reverse();
    const { updatePicklist } = await admin.client.ok(UPDATE, { input: { name: 'LEAD_SOURCE', order } });
    expect(updatePicklist.values.map((entry: { value: string }) => entry.value)).toEqual(order);
    const { moduleMetadata } = await admin.client.ok(`{ moduleMetadata(module: LEADS) { fields { apiName options retiredOptions picklist } } }`);
    const source = moduleMetadata.fields.find((field: { apiName: string }) => field.apiName === 'leadSource');
    expect(source.picklist).toBe('LEAD_SOURCE');
    expect(source.options).toContain('Podcast');
    expect(source.options).not.toContain('Web');
    expect(source.retiredOptions).toEqual(expect.arrayContaining(['Web', 'Trade Show']));
    // System values stay.
    await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { name: 'LEAD_STATUS', retire: ['Converted'] } });
    await admin.client.ok(UPDATE, { input: { name: 'LEAD_STATUS', add: ['Nurturing'] } });
    await createLead(admin.client, { status: 'nurturing' });
    await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'X', status: 'Converted' } });
  });

  it('edits activity types and statuses per organisation; each value has a kind that keeps tasks, calls, meetings and reports right', async () => {
    const admin = await signUpOrganization(server().client);
    const other = await signUpOrganization(server().client);
    const UPDATE = `mutation($input: UpdatePicklistInput!) { updatePicklist(input: $input) { values { value retired kind } } }`;
    const ACTIVITY = `id version type typeValue status statusValue completedAt`;
    const CREATE = `mutation($input: CreateActivityInput!) { createActivity(input: $input) { ${ACTIVITY} } }`;
    const UPDATE_ACTIVITY = `mutation($input: UpdateActivityInput!) { updateActivity(input: $input) { ${ACTIVITY} } }`;
    const { picklist: builtIn } = await admin.client.ok(`{ picklist(name: ACTIVITY_TYPE) { values { value retired kind } } }`);
    expect(builtIn.values).toEqual([
      { value: 'Task', retired: false, kind: 'TASK' },
      { value: 'Call', retired: false, kind: 'CALL' },
      { value: 'Meeting', retired: false, kind: 'MEETING' },
    ]);
    // A new value needs a kind, and a real one.
    await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { name: 'ACTIVITY_TYPE', add: ['Site visit'] } });
    await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { name: 'ACTIVITY_TYPE', addWithKind: [{ value: 'Site visit', kind: 'VISIT' }] } });
    await admin.client.ok(UPDATE, {
      input: { name: 'ACTIVITY_TYPE', addWithKind: [{ value: 'Site visit', kind: 'MEETING' }, { value: 'Document review', kind: 'TASK' }] },
    });
    await admin.client.ok(UPDATE, { input: { name: 'ACTIVITY_STATUS', addWithKind: [{ value: 'Awaiting client', kind: 'WAITING' }] } });

    // The value brings its kind, and the kind its rules: a site visit is a meeting and needs a time span.
    const span = { startAt: '2030-03-01T09:00:00.000Z', endAt: '2030-03-01T10:00:00.000Z' };
    const noSpan = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { typeValue: 'Site visit', subject: 'Visit' } });
    expect(noSpan.extensions?.['field']).toBe('startAt');
    const { createActivity: visit } = await admin.client.ok(CREATE, { input: { typeValue: 'site visit', statusValue: 'awaiting client', subject: 'Visit', ...span } });
    expect(visit).toMatchObject({ type: 'MEETING', typeValue: 'Site visit', status: 'WAITING', statusValue: 'Awaiting client', completedAt: null });
    const contradicting = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { type: 'CALL', typeValue: 'Site visit', subject: 'X', ...span } });
    expect(contradicting.extensions?.['field']).toBe('typeValue');
    // Older clients send the kind alone and get the first value of that kind.
    const { createActivity: call } = await admin.client.ok(CREATE, { input: { type: 'CALL', subject: 'Ring' } });
    expect(call).toMatchObject({ type: 'CALL', typeValue: 'Call', status: 'NOT_STARTED', statusValue: 'Not Started' });
    const invalid = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { typeValue: 'Séance', subject: 'X' } });
    expect(invalid.extensions?.['field']).toBe('typeValue');
    expect(invalid.extensions?.['allowed']).toEqual(['Task', 'Call', 'Meeting', 'Site visit', 'Document review']);
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { subject: 'No type' } });

    // A custom task-kind type is a task for the overdue filter and the overdueTasks report.
    const { createActivity: review } = await admin.client.ok(CREATE, { input: { typeValue: 'Document review', subject: 'Lease', dueAt: '2020-01-01T09:00:00.000Z' } });
    expect(review.type).toBe('TASK');
    const { overdueTasks } = await admin.client.ok(`{ overdueTasks { count } }`);
    expect(overdueTasks).toEqual([{ count: 1 }]);
    const { activities: overdue } = await admin.client.ok(`{ activities(filter: { overdue: true }) { nodes { id } } }`);
    expect(overdue.nodes).toEqual([{ id: review.id }]);
    const { activities: byValue } = await admin.client.ok(`{ activities(filter: { typeValue: ["SITE VISIT"] }) { nodes { id } } }`);
    expect(byValue.nodes).toEqual([{ id: visit.id }]);

    // A status of kind COMPLETED completes the activity.
    const { updateActivity: done } = await admin.client.ok(UPDATE_ACTIVITY, { input: { id: review.id, expectedVersion: review.version, statusValue: 'Completed' } });
    expect(done).toMatchObject({ status: 'COMPLETED', statusValue: 'Completed' });
    expect(done.completedAt).not.toBeNull();
    expect((await admin.client.ok(`{ overdueTasks { count } }`)).overdueTasks).toEqual([]);
    // An activity stays of its kind.
    await admin.client.fails('BAD_USER_INPUT', UPDATE_ACTIVITY, { input: { id: call.id, expectedVersion: call.version, typeValue: 'Site visit' } });

    // Rename: the records follow. Retire: records keep and read the value, new writes refuse it.
    await admin.client.ok(UPDATE, { input: { name: 'ACTIVITY_TYPE', rename: [{ from: 'Site visit', to: 'Property viewing' }] } });
    await admin.client.ok(UPDATE, { input: { name: 'ACTIVITY_STATUS', retire: ['Awaiting client'] } });
    await admin.client.ok(UPDATE, { input: { name: 'ACTIVITY_TYPE', retire: ['Property viewing'] } });
    const { activity: kept } = await admin.client.ok(`query($id: ID!) { activity(id: $id) { ${ACTIVITY} } }`, { id: visit.id });
    expect(kept).toMatchObject({ type: 'MEETING', typeValue: 'Property viewing', statusValue: 'Awaiting client', version: 2 });
    const retired = await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { typeValue: 'Property viewing', subject: 'X', ...span } });
    expect(retired.extensions?.['field']).toBe('typeValue');
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { type: 'MEETING', statusValue: 'Awaiting client', subject: 'X', ...span } });
    const { updateActivity: edited } = await admin.client.ok(UPDATE_ACTIVITY, { input: { id: visit.id, expectedVersion: kept.version, subject: 'Second visit', endAt: '2030-03-01T11:00:00.000Z' } });
    expect(edited).toMatchObject({ typeValue: 'Property viewing', statusValue: 'Awaiting client' });
    // Every kind keeps a value to fall back on.
    const last = await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { name: 'ACTIVITY_TYPE', retire: ['Meeting'] } });
    expect(last.extensions?.['kind']).toBe('MEETING');
    const { moduleMetadata } = await admin.client.ok(`{ moduleMetadata(module: ACTIVITIES) { fields { apiName options retiredOptions picklist } } }`);
    expect(moduleMetadata.fields.find((field: { apiName: string }) => field.apiName === 'typeValue')).toEqual({
      apiName: 'typeValue',
      options: ['Task', 'Call', 'Meeting', 'Document review'],
      retiredOptions: ['Property viewing'],
      picklist: 'ACTIVITY_TYPE',
    });

    // Another organisation neither sees nor accepts these values.
    const { picklist: theirs } = await other.client.ok(`{ picklist(name: ACTIVITY_TYPE) { values { value } } }`);
    expect(theirs.values.map((entry: { value: string }) => entry.value)).toEqual(['Task', 'Call', 'Meeting']);
    await other.client.fails('BAD_USER_INPUT', CREATE, { input: { typeValue: 'Document review', subject: 'X' } });
    const { activities: theirActivities } = await other.client.ok(`{ activities { totalCount } }`);
    expect(theirActivities.totalCount).toBe(0);
  });

  it('hides standard fields and makes them required on every write', async () => {
    const admin = await signUpOrganization(server().client);
    const UPDATE = `mutation($input: UpdateStandardFieldInput!) { updateStandardField(input: $input) { fields { apiName hidden required } } }`;
    const { updateStandardField } = await admin.client.ok(UPDATE, { input: { module: 'LEADS', apiName: 'mobile', hidden: true } });
    expect(updateStandardField.fields.find((field: { apiName: string }) => field.apiName === 'mobile')).toEqual({ apiName: 'mobile', hidden: true, required: false });
    await admin.client.ok(UPDATE, { input: { module: 'LEADS', apiName: 'phone', required: true } });
    const error = await admin.client.fails('BAD_USER_INPUT', CREATE_LEAD, { input: { lastName: 'No Phone' } });
    expect(error.extensions?.['field']).toBe('phone');
    const lead = (await admin.client.ok(CREATE_LEAD, { input: { lastName: 'Phone', phone: '+14155550100' } })).createLead;
    await admin.client.fails('BAD_USER_INPUT', UPDATE_LEAD, { input: { id: lead.id, expectedVersion: lead.version, phone: null } });
    await admin.client.ok(UPDATE, { input: { module: 'ACCOUNTS', apiName: 'city', required: true } });
    await admin.client.fails('BAD_USER_INPUT', `mutation { createAccount(input: { name: "No City" }) { id } }`);
    await admin.client.ok(`mutation { createAccount(input: { name: "City", address: { city: "Lyon" } }) { id } }`);
    await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { module: 'LEADS', apiName: 'lastName', hidden: true } });
    await admin.client.fails('BAD_USER_INPUT', UPDATE, { input: { module: 'LEADS', apiName: 'ownerId', required: true } });
  });

  it('renames modules for people; GraphQL names stay', async () => {
    const admin = await signUpOrganization(server().client);
    const { updateModuleLabels } = await admin.client.ok(
      `mutation { updateModuleLabels(input: { module: DEALS, singular: "Property", plural: "Properties" }) { module label pluralLabel } }`,
    );
    expect(updateModuleLabels).toEqual({ module: 'DEALS', label: 'Property', pluralLabel: 'Properties' });
    await createCustomField(admin.client, { module: 'DEALS', apiName: 'bedrooms', label: 'Bedrooms', type: 'INTEGER', required: true });
    const error = await admin.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: { name: "Villa" }) { id } }`);
    expect(error.message).toBe('Bedrooms is required for every Property');
    const unknown = await admin.client.fails('BAD_USER_INPUT', `mutation { createDeal(input: { name: "Villa", customFields: { pool: true } }) { id } }`);
    expect(unknown.message).toContain('Properties');
    const { deals } = await admin.client.ok(`{ deals { totalCount } }`);
    expect(deals.totalCount).toBe(0);

    // Messages meant for people name the module with the organisation's label; type names stay.
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await admin.client.fails('NOT_FOUND', `query($id: ID!) { deal(id: $id) { id } }`, { id: missing })).message).toBe('Property not found');
    const update = await admin.client.fails('NOT_FOUND', `mutation($id: ID!) { updateDeal(input: { id: $id, expectedVersion: 1, name: "X" }) { id } }`, { id: missing });
    expect(update.message).toBe('Property not found');
    const { createDeal: villa } = await admin.client.ok(`mutation { createDeal(input: { name: "Villa", customFields: { bedrooms: 3 } }) { id version } }`);
    const stale = await admin.client.fails('CONFLICT', `mutation($id: ID!) { updateDeal(input: { id: $id, expectedVersion: 7, name: "X" }) { id } }`, { id: villa.id });
    expect(stale.message).toMatch(/^Property was changed by someone else/);
    const lookup = await admin.client.fails('NOT_FOUND', `mutation($id: ID!) { createActivity(input: { type: TASK, subject: "Visit", relatedTo: { type: DEAL, id: $id } }) { id } }`, { id: missing });
    expect(lookup.message).toContain('Property not found');
    // Another organisation keeps Pulse's words.
    const other = await signUpOrganization(server().client);
    expect((await other.client.fails('NOT_FOUND', `query($id: ID!) { deal(id: $id) { id } }`, { id: missing })).message).toBe('Deal not found');
    const { __type } = await admin.client.ok(`{ __type(name: "Deal") { name fields { name } } }`);
    expect(__type.name).toBe('Deal');

    // The per-module CSV export is named after the label; its columns stay apiNames (imports map them back).
    const csv = await fetch(`${server().url}/export/deals.csv`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="Properties.csv"; filename*=UTF-8''Properties.csv`);
    expect((await csv.text()).split('\n')[0]).toContain('customFields.bedrooms');
    await admin.client.ok(`mutation { updateModuleLabels(input: { module: ACCOUNTS, singular: "Société", plural: "Sociétés" }) { label } }`);
    const accounts = await fetch(`${server().url}/export/accounts.csv`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(accounts.headers.get('content-disposition')).toBe(`attachment; filename="Societes.csv"; filename*=UTF-8''Soci%C3%A9t%C3%A9s.csv`);
    await accounts.text();
  });
});

describe('industry templates', () => {
  it('applies labels, picklists, a pipeline and fields, and applying twice adds nothing twice', async () => {
    const admin = await signUpOrganization(server().client);
    const APPLY = `mutation { applyTemplate(template: REAL_ESTATE) { template modules { module label pluralLabel fields { apiName standard } } } }`;
    const { applyTemplate } = await admin.client.ok(APPLY);
    const deals = applyTemplate.modules.find((module: { module: string }) => module.module === 'DEALS');
    expect(deals).toMatchObject({ label: 'Property', pluralLabel: 'Properties' });
    const custom = deals.fields.filter((field: { standard: boolean }) => !field.standard).map((field: { apiName: string }) => field.apiName);
    expect(custom).toEqual(['propertyType', 'bedrooms', 'floorArea', 'listingUrl', 'listingNumber']);
    await admin.client.ok(APPLY);
    const { pipelines } = await admin.client.ok(`{ pipelines { name stages { name } } }`);
    expect(pipelines.filter((pipeline: { name: string }) => pipeline.name === 'Property Sales')).toHaveLength(1);
    expect((await admin.client.ok(`{ customFields(module: DEALS) { apiName } }`)).customFields).toHaveLength(5);
    const { picklist } = await admin.client.ok(`{ picklist(name: LEAD_SOURCE) { values { value } } }`);
    expect(picklist.values.filter((entry: { value: string }) => entry.value === 'Open House')).toHaveLength(1);
    const { picklist: activityTypes } = await admin.client.ok(`{ picklist(name: ACTIVITY_TYPE) { values { value kind } } }`);
    expect(activityTypes.values.filter((entry: { value: string }) => entry.value === 'Property Viewing')).toEqual([{ value: 'Property Viewing', kind: 'MEETING' }]);
    const { createDeal } = await admin.client.ok(`mutation { createDeal(input: { name: "12 Elm St", customFields: { propertyType: "house", bedrooms: 3 } }) { customFields } }`);
    expect(createDeal.customFields).toEqual({ propertyType: 'House', bedrooms: 3 });
  });

  it('applies a template at sign-up', async () => {
    const { signUp } = await server().client.ok(
      `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
      { input: { organizationName: unique('Clinic'), name: 'Dr Admin', email: uniqueEmail('clinic'), password: 'a-long-enough-password', template: 'HEALTHCARE' } },
    );
    const client = server().client.as(signUp.token);
    const { moduleMetadata } = await client.ok(`{ moduleMetadata(module: CONTACTS) { label pluralLabel } }`);
    expect(moduleMetadata).toEqual({ label: 'Patient', pluralLabel: 'Patients' });
    await client.ok(`mutation { createContact(input: { lastName: "Doe", customFields: { dateOfBirth: "1980-05-17", patientNumber: "P-1" } }) { id } }`);
    await client.fails('CONFLICT', `mutation { createContact(input: { lastName: "Roe", customFields: { patientNumber: "p-1" } }) { id } }`);
  });
});
