import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { accounts } from '../src/db/schema.js';
import { territoryGrant } from '../src/modules/auth/access.js';
import { FULL_ACCESS } from '../src/modules/access-control/access-summary.js';
import type { Viewer } from '../src/modules/auth/viewer.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createAccount, createContact, createDeal } from './factories/records.factory.js';
import { setSharing } from './factories/access.factory.js';
import { defaultPipeline, MOVE, stageNamed } from './factories/pipelines.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer({ JOB_WORKERS: 'off' });

const CREATE = `mutation($input: CreateTerritoryInput!) { createTerritory(input: $input) { id name parent { id } } }`;

async function territory(admin: SignedInUser, input: Record<string, unknown>): Promise<string> {
  return (await admin.client.ok(CREATE, { input })).createTerritory.id;
}

const names = (rows: { name: string }[]): string[] => rows.map((row) => row.name).sort();

async function accountIdsIn(admin: SignedInUser, territoryId: string): Promise<string[]> {
  const { accounts: list } = await admin.client.ok(`query($id: ID) { accounts(filter: {territoryId: $id}) { nodes { id } } }`, { id: territoryId });
  return list.nodes.map((node: { id: string }) => node.id).sort();
}

describe('territories', () => {
  it('places accounts in a hierarchy by their fields, and lists a territory\'s accounts including its children\'s', async () => {
    const admin = await signUpOrganization(server().client);
    const americas = await territory(admin, { name: 'Americas', criteria: [{ field: 'country', operator: 'IN', values: ['United States', 'Canada', 'Brazil'] }] });
    const west = await territory(admin, { name: 'US West', parentId: americas, criteria: [{ field: 'state', operator: 'IN', values: ['CA', 'WA', 'OR'] }] });
    const bigTech = await territory(admin, {
      name: 'Big tech',
      criteria: [
        { field: 'industry', operator: 'EQUALS', value: 'Technology' },
        { field: 'employees', operator: 'GREATER_THAN', value: 1000 },
      ],
    });
    const sf = await createAccount(admin.client, { address: { country: 'United States', state: 'CA' }, industry: 'Technology', employees: 5000 });
    const ny = await createAccount(admin.client, { address: { country: 'United States', state: 'NY' } });
    // A state of US West but outside the Americas' countries: a child only narrows its parent.
    const odd = await createAccount(admin.client, { address: { country: 'Mexico', state: 'CA' } });
    const { account } = await admin.client.ok(`{ account(id: "${sf.id}") { territories { name parent { name } } } }`);
    expect(names(account.territories)).toEqual(['Americas', 'Big tech', 'US West']);
    expect(await accountIdsIn(admin, americas)).toEqual([sf.id, ny.id].sort());
    expect(await accountIdsIn(admin, west)).toEqual([sf.id]);
    expect(await accountIdsIn(admin, bigTech)).toEqual([sf.id]);
    expect(odd.id).toBeTruthy();
    // An account that moves changes territory.
    const { account: current } = await admin.client.ok(`{ account(id: "${ny.id}") { version } }`);
    await admin.client.ok(`mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }`, {
      input: { id: ny.id, expectedVersion: current.version, address: { state: 'WA' } },
    });
    expect(await accountIdsIn(admin, west)).toEqual([sf.id, ny.id].sort());
    // Changing a territory's criteria re-places existing accounts at once.
    await admin.client.ok(`mutation($input: UpdateTerritoryInput!) { updateTerritory(input: $input) { id } }`, {
      input: { id: west, criteria: [{ field: 'state', operator: 'EQUALS', value: 'WA' }] },
    });
    expect(await accountIdsIn(admin, west)).toEqual([ny.id]);
    const { territories } = await admin.client.ok(`{ territories { name parent { name } children { name } } }`);
    expect(territories.find((t: { name: string }) => t.name === 'Americas')).toEqual({ name: 'Americas', parent: null, children: [{ name: 'US West' }] });
  });

  it('gives contacts and deals their account\'s territories, and moves them with it', async () => {
    const admin = await signUpOrganization(server().client);
    const emea = await territory(admin, { name: 'EMEA', criteria: [{ field: 'country', operator: 'IN', values: ['Germany', 'France'] }] });
    const berlin = await createAccount(admin.client, { address: { country: 'Germany' } });
    const austin = await createAccount(admin.client, { address: { country: 'United States' } });
    const contact = await createContact(admin.client, { accountId: berlin.id });
    const deal = await createDeal(admin.client, { accountId: berlin.id });
    const elsewhere = await createContact(admin.client, { accountId: austin.id });
    const read = () =>
      admin.client.ok(`query($id: ID) { contacts(filter: {territoryId: $id}) { nodes { id territories { name } } } deals(filter: {territoryId: $id}) { nodes { id territories { name } } } }`, { id: emea });
    const before = await read();
    expect(before.contacts.nodes).toEqual([{ id: contact.id, territories: [{ name: 'EMEA' }] }]);
    expect(before.deals.nodes).toEqual([{ id: deal.id, territories: [{ name: 'EMEA' }] }]);
    // The account moves out: its contacts and deals follow.
    const { account } = await admin.client.ok(`{ account(id: "${berlin.id}") { version } }`);
    await admin.client.ok(`mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }`, {
      input: { id: berlin.id, expectedVersion: account.version, address: { country: 'Japan' } },
    });
    const moved = await read();
    expect(moved.contacts.nodes).toEqual([]);
    expect(moved.deals.nodes).toEqual([]);
    // A contact moved to an account of the territory joins it.
    const { account: us } = await admin.client.ok(`{ account(id: "${austin.id}") { version } }`);
    await admin.client.ok(`mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { id } }`, {
      input: { id: austin.id, expectedVersion: us.version, address: { country: 'France' } },
    });
    expect((await read()).contacts.nodes.map((node: { id: string }) => node.id)).toEqual([elsewhere.id]);
  });

  it('grants a territory\'s managers its records through the access hook (the grant readScope ORs in once access narrows)', async () => {
    const admin = await signUpOrganization(server().client);
    const manager = await inviteMember(admin, 'MANAGER');
    const seller = await inviteMember(admin);
    const americas = await territory(admin, { name: 'Americas', criteria: [{ field: 'country', operator: 'EQUALS', value: 'Canada' }] });
    const canada = await territory(admin, { name: 'Canada West', parentId: americas, criteria: [{ field: 'state', operator: 'EQUALS', value: 'BC' }] });
    const { assignTerritoryUsers } = await admin.client.ok(
      `mutation($input: AssignTerritoryUsersInput!) { assignTerritoryUsers(input: $input) { users { user { id } manager } } }`,
      { input: { territoryId: americas, users: [{ userId: manager.userId, manager: true }, { userId: seller.userId }] } },
    );
    expect(assignTerritoryUsers.users).toHaveLength(2);
    const vancouver = await createAccount(admin.client, { address: { country: 'Canada', state: 'BC' } });
    await createAccount(admin.client, { address: { country: 'Chile' } });
    const viewerOf = (user: SignedInUser): Viewer => ({
      userId: user.userId,
      organizationId: user.organizationId,
      role: 'SALES_REP',
      roleId: null,
      apiKeyId: null,
      access: FULL_ACCESS,
      plan: 'PROFESSIONAL',
      paused: false,
      name: 'x',
      email: user.email,
      country: 'US',
      currency: 'USD',
      engagement: { hotDays: 3, warmDays: 14, coolingDays: 30 },
    });
    const granted = async (user: SignedInUser): Promise<string[]> => {
      const grant = territoryGrant(viewerOf(user), 'accounts', accounts);
      const rows = await server().server.deps.db.select({ id: accounts.id }).from(accounts).where(and(eq(accounts.organizationId, admin.organizationId), grant));
      return rows.map((row) => row.id);
    };
    // The manager of Americas sees Canada West's account (records carry their territories' ancestors); a plain member is granted nothing.
    expect(await granted(manager)).toEqual([vancouver.id]);
    expect(await granted(seller)).toEqual([]);
    expect(territoryGrant(viewerOf(manager), 'leads', accounts)).toBeUndefined();
    // With accounts PRIVATE, the territory's manager reads its accounts through the public API
    // although neither owns them nor sits above their owner; a plain member of the territory does not.
    await setSharing(admin, 'ACCOUNTS', 'PRIVATE');
    const visible = async (user: SignedInUser): Promise<string[]> =>
      (await user.client.ok(`{ accounts(first: 50) { nodes { id } } }`)).accounts.nodes.map((node: { id: string }) => node.id);
    expect(await visible(manager)).toEqual([vancouver.id]);
    expect(await visible(seller)).toEqual([]);
    expect((await visible(admin)).length).toBe(2);
    await manager.client.ok(`{ account(id: "${vancouver.id}") { id } }`);
    await seller.client.fails('NOT_FOUND', `{ account(id: "${vancouver.id}") { id } }`);
    expect(canada).toBeTruthy();
  });

  it('sends a territory manager live events of the territory\'s deals owned by others, as reads grant them, and none outside it', async () => {
    const admin = await signUpOrganization(server().client);
    const manager = await inviteMember(admin, 'MANAGER');
    const seller = await inviteMember(admin);
    const pipeline = await defaultPipeline(admin.client);
    const nordics = await territory(admin, { name: 'Nordics', criteria: [{ field: 'country', operator: 'IN', values: ['Sweden', 'Norway'] }] });
    const stockholm = await createAccount(seller.client, { address: { country: 'Sweden' } });
    const lima = await createAccount(seller.client, { address: { country: 'Peru' } });
    const inside = await createDeal(seller.client, { accountId: stockholm.id });
    const outside = await createDeal(seller.client, { accountId: lima.id });
    await setSharing(admin, 'DEALS', 'PRIVATE');
    const watcher = connectWs(server().wsUrl, manager.token);
    const received = watcher.subscribe<{ dealEvents: { kind: string; dealId: string; deal: { id: string; owner: { id: string } } } }>(
      `subscription($pipelineId: ID!) { dealEvents(pipelineId: $pipelineId) { kind dealId deal { id owner { id } } } }`,
      { pipelineId: pipeline.id },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Made a manager while subscribed: the access change reaches the live subscription before the moves.
      await admin.client.ok(`mutation($input: AssignTerritoryUsersInput!) { assignTerritoryUsers(input: $input) { id } }`, {
        input: { territoryId: nordics, users: [{ userId: manager.userId, manager: true }] },
      });
      const target = stageNamed(pipeline, 'Value Proposition').id;
      // The deal outside the territory moves first: had it been sent, it would arrive first.
      await seller.client.ok(MOVE, { input: { id: outside.id, expectedVersion: outside.version, stageId: target } });
      await seller.client.ok(MOVE, { input: { id: inside.id, expectedVersion: inside.version, stageId: target } });
      const [event] = await received.waitFor(1);
      expect(event?.dealEvents).toEqual({ kind: 'MOVED', dealId: inside.id, deal: { id: inside.id, owner: { id: seller.userId } } });
      // As reads: the manager reads the territory's deal and not the other.
      await manager.client.ok(`{ deal(id: "${inside.id}") { id } }`);
      await manager.client.fails('NOT_FOUND', `{ deal(id: "${outside.id}") { id } }`);
    } finally {
      await watcher.dispose();
    }
  });

  it('refuses cycles, deleting a parent, unknown fields, and non-administrators', async () => {
    const admin = await signUpOrganization(server().client);
    const rep = await inviteMember(admin);
    const root = await territory(admin, { name: 'Root' });
    const child = await territory(admin, { name: 'Child', parentId: root });
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateTerritoryInput!) { updateTerritory(input: $input) { id } }`, { input: { id: root, parentId: child } });
    await admin.client.fails('CONFLICT', `mutation { deleteTerritory(id: "${root}") { id } }`);
    await admin.client.fails('BAD_USER_INPUT', CREATE, { input: { name: 'Bad', criteria: [{ field: 'planet', operator: 'EQUALS', value: 'Mars' }] } });
    await admin.client.fails('NOT_FOUND', CREATE, { input: { name: 'Orphan', parentId: '00000000-0000-4000-8000-000000000000' } });
    await rep.client.fails('FORBIDDEN', CREATE, { input: { name: 'Mine' } });
    await admin.client.ok(`mutation { deleteTerritory(id: "${child}") { id } }`);
    await admin.client.ok(`mutation { deleteTerritory(id: "${root}") { id } }`);
    expect((await admin.client.ok(`{ territories { id } }`)).territories).toEqual([]);
  });
});
