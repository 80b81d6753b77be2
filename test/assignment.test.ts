import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount, createContact, createDeal, createLead } from './factories/records.factory.js';
import { unique, uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer({ JOB_WORKERS: 'off' });

const CREATE_RULE = `mutation($input: CreateAssignmentRuleInput!) { createAssignmentRule(input: $input) { id module entries { id strategy users { id } criteria { field operator value values } } fallbackOwner { id } } }`;

const ownerOf = async (admin: SignedInUser, type: 'lead' | 'contact' | 'account' | 'deal', id: string): Promise<string> =>
  (await admin.client.ok(`{ record: ${type}(id: "${id}") { owner { id } } }`)).record.owner.id;

async function team(admin: SignedInUser, size: number): Promise<SignedInUser[]> {
  const members: SignedInUser[] = [];
  for (let i = 0; i < size; i += 1) members.push(await inviteMember(admin));
  return members;
}

describe('assignment rules', () => {
  it('takes round-robin turns fairly under concurrent creates, with a fallback owner and an explicit owner winning', async () => {
    const admin = await signUpOrganization(server().client);
    const [a, b, c, fallback] = await team(admin, 4);
    const { createAssignmentRule } = await admin.client.ok(CREATE_RULE, {
      input: {
        module: 'LEADS',
        name: 'Web leads in turn',
        entries: [{ criteria: [{ field: 'leadSource', operator: 'EQUALS', value: 'Web' }], strategy: 'ROUND_ROBIN', userIds: [a!.userId, b!.userId, c!.userId] }],
        fallbackOwnerId: fallback!.userId,
      },
    });
    expect(createAssignmentRule).toMatchObject({ module: 'LEADS', fallbackOwner: { id: fallback!.userId } });
    expect(createAssignmentRule.entries[0].users.map((u: { id: string }) => u.id)).toEqual([a!.userId, b!.userId, c!.userId]);
    // 21 creates at once (by different users): every turn is taken exactly once, so each seller gets 7.
    const creators = [admin, a!, b!, c!];
    const created = await Promise.all(Array.from({ length: 21 }, (_, i) => createLead(creators[i % creators.length]!.client, { leadSource: 'Web' })));
    const owners = await Promise.all(created.map((lead) => ownerOf(admin, 'lead', lead.id)));
    const counts = new Map<string, number>();
    for (const owner of owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ [a!.userId]: 7, [b!.userId]: 7, [c!.userId]: 7 });
    // The 21 turns were taken once each, so the rotation continues exactly where it stood: a, then b.
    const next = await createLead(admin.client, { leadSource: 'Web' });
    const after = await createLead(admin.client, { leadSource: 'Web' });
    const nextOwners = [await ownerOf(admin, 'lead', next.id), await ownerOf(admin, 'lead', after.id)];
    expect(nextOwners).toEqual([a!.userId, b!.userId]);
    // Not from the web: the fallback owner; an explicit owner wins over every rule.
    const cold = await createLead(admin.client, { leadSource: 'Cold Call' });
    expect(await ownerOf(admin, 'lead', cold.id)).toBe(fallback!.userId);
    const mine = await createLead(admin.client, { leadSource: 'Web', ownerId: admin.userId });
    expect(await ownerOf(admin, 'lead', mine.id)).toBe(admin.userId);
  });

  it('assigns web-form leads too', async () => {
    const admin = await signUpOrganization(server().client);
    const [seller] = await team(admin, 1);
    await admin.client.ok(CREATE_RULE, {
      input: { module: 'LEADS', name: 'Web to Sam', entries: [{ criteria: [{ field: 'leadSource', operator: 'IN', values: ['Web', 'Partner'] }], strategy: 'USER', userIds: [seller!.userId] }] },
    });
    const { createWebForm } = await admin.client.ok(`mutation($input: CreateWebFormInput!) { createWebForm(input: $input) { publicKey } }`, {
      input: { name: 'Contact us', fields: [{ name: 'name', leadField: 'lastName', required: true }, { name: 'mail', leadField: 'email', required: true }] },
    });
    const email = uniqueEmail('visitor');
    const posted = await fetch(`${server().url}/forms/${createWebForm.publicKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: unique('Visitor'), mail: email }).toString(),
    });
    expect(posted.status).toBe(200);
    const { leads } = await admin.client.ok(`query($email: String) { leads(filter: {email: $email}) { nodes { owner { id } leadSource } } }`, { email });
    expect(leads.nodes).toEqual([{ owner: { id: seller!.userId }, leadSource: 'Web' }]);
  });

  it('assigns accounts, contacts and deals, including to the users of the record\'s territory in turn', async () => {
    const admin = await signUpOrganization(server().client);
    const [emea1, emea2, other] = await team(admin, 3);
    const { createTerritory } = await admin.client.ok(`mutation($input: CreateTerritoryInput!) { createTerritory(input: $input) { id } }`, {
      input: {
        name: 'EMEA',
        criteria: [{ field: 'country', operator: 'IN', values: ['Germany', 'France'] }],
        users: [{ userId: emea1!.userId }, { userId: emea2!.userId, manager: true }],
      },
    });
    expect(createTerritory.id).toBeTruthy();
    await admin.client.ok(CREATE_RULE, { input: { module: 'ACCOUNTS', name: 'By territory', entries: [{ strategy: 'TERRITORY' }], fallbackOwnerId: other!.userId } });
    await admin.client.ok(CREATE_RULE, { input: { module: 'DEALS', name: 'Deals by territory', entries: [{ strategy: 'TERRITORY' }] } });
    await admin.client.ok(CREATE_RULE, {
      input: { module: 'CONTACTS', name: 'Buyers', entries: [{ criteria: [{ field: 'title', operator: 'CONTAINS', value: 'buyer' }], strategy: 'USER', userIds: [other!.userId] }] },
    });
    const berlin = await createAccount(admin.client, { address: { country: 'Germany' } });
    const paris = await createAccount(admin.client, { address: { country: 'france' } });
    const tokyo = await createAccount(admin.client, { address: { country: 'Japan' } });
    const accountOwners = [await ownerOf(admin, 'account', berlin.id), await ownerOf(admin, 'account', paris.id), await ownerOf(admin, 'account', tokyo.id)];
    const territoryTeam = [emea1!.userId, emea2!.userId].sort();
    expect([accountOwners[0], accountOwners[1]].sort()).toEqual(territoryTeam);
    expect(accountOwners[2]).toBe(other!.userId);
    const deal = await createDeal(admin.client, { accountId: berlin.id });
    expect(territoryTeam).toContain(await ownerOf(admin, 'deal', deal.id));
    const lonely = await createDeal(admin.client);
    expect(await ownerOf(admin, 'deal', lonely.id)).toBe(admin.userId);
    const buyer = await createContact(admin.client, { title: 'Head Buyer' });
    expect(await ownerOf(admin, 'contact', buyer.id)).toBe(other!.userId);
  });

  it('drops a deactivated user from a rotation at once, and gives a territory\'s new member turns at once', async () => {
    const admin = await signUpOrganization(server().client);
    const [a, b, c] = await team(admin, 3);
    await admin.client.ok(CREATE_RULE, { input: { module: 'LEADS', name: 'In turn', entries: [{ strategy: 'ROUND_ROBIN', userIds: [a!.userId, b!.userId, c!.userId] }] } });
    const first = [];
    for (let i = 0; i < 3; i += 1) first.push(await ownerOf(admin, 'lead', (await createLead(admin.client)).id));
    expect(first.sort()).toEqual([a!.userId, b!.userId, c!.userId].sort());
    // The rotation's active users are kept with the rules: a deactivation must reach them.
    await admin.client.ok(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: b!.userId });
    const later = [];
    for (let i = 0; i < 4; i += 1) later.push(await ownerOf(admin, 'lead', (await createLead(admin.client)).id));
    expect(new Set(later)).toEqual(new Set([a!.userId, c!.userId]));

    const { createTerritory } = await admin.client.ok(`mutation($input: CreateTerritoryInput!) { createTerritory(input: $input) { id } }`, {
      input: { name: unique('DACH'), criteria: [{ field: 'country', operator: 'EQUALS', value: 'Austria' }], users: [{ userId: a!.userId }] },
    });
    await admin.client.ok(CREATE_RULE, { input: { module: 'ACCOUNTS', name: 'By territory', entries: [{ strategy: 'TERRITORY' }] } });
    expect(await ownerOf(admin, 'account', (await createAccount(admin.client, { address: { country: 'Austria' } })).id)).toBe(a!.userId);
    // A user invited after the rules were read, then added to the territory, takes the next turns.
    const [newcomer] = await team(admin, 1);
    await admin.client.ok(`mutation($input: AssignTerritoryUsersInput!) { assignTerritoryUsers(input: $input) { id } }`, {
      input: { territoryId: createTerritory.id, users: [{ userId: a!.userId }, { userId: newcomer!.userId }] },
    });
    const owners = [];
    for (let i = 0; i < 2; i += 1) owners.push(await ownerOf(admin, 'account', (await createAccount(admin.client, { address: { country: 'Austria' } })).id));
    expect(owners.sort()).toEqual([a!.userId, newcomer!.userId].sort());
  });

  it('lets only administrators manage rules and checks their entries', async () => {
    const admin = await signUpOrganization(server().client);
    const [rep] = await team(admin, 1);
    const input = { module: 'LEADS', name: 'x', entries: [{ strategy: 'USER', userIds: [rep!.userId] }] };
    await rep!.client.fails('FORBIDDEN', CREATE_RULE, { input });
    await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { ...input, entries: [{ strategy: 'USER', userIds: [] }] } });
    await admin.client.fails('BAD_USER_INPUT', CREATE_RULE, { input: { ...input, entries: [{ strategy: 'ROUND_ROBIN', userIds: [rep!.userId], criteria: [{ field: 'shoeSize', operator: 'IS_EMPTY' }] }] } });
    await admin.client.fails('NOT_FOUND', CREATE_RULE, { input: { ...input, entries: [{ strategy: 'USER', userIds: ['00000000-0000-4000-8000-000000000000'] }] } });
    const { createAssignmentRule } = await admin.client.ok(CREATE_RULE, { input });
    const { updateAssignmentRule } = await admin.client.ok(`mutation($input: UpdateAssignmentRuleInput!) { updateAssignmentRule(input: $input) { active } }`, {
      input: { id: createAssignmentRule.id, active: false },
    });
    expect(updateAssignmentRule.active).toBe(false);
    // An update may not leave a rule that can assign nobody.
    const emptied = await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateAssignmentRuleInput!) { updateAssignmentRule(input: $input) { id } }`, {
      input: { id: createAssignmentRule.id, entries: [] },
    });
    expect(emptied.extensions?.['field']).toBe('entries');
    const lead = await createLead(admin.client);
    expect(await ownerOf(admin, 'lead', lead.id)).toBe(admin.userId);
    await admin.client.ok(`mutation { deleteAssignmentRule(id: "${createAssignmentRule.id}") { id } }`);
    expect((await admin.client.ok(`{ assignmentRules { id } }`)).assignmentRules).toEqual([]);
  });
});
