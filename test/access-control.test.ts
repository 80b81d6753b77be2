import { describe, expect, it } from 'vitest';
import { createProfile, modulesExcept, salesTeam, setSharing, updateUser, inviteInto } from './factories/access.factory.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { createAccount, createDeal, createLead } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer();

const DEAL_IDS = `query { deals(first: 200) { nodes { id } } }`;
const DEAL = `query($id: ID!) { deal(id: $id) { id name } }`;
const UPDATE_LEAD = `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { id version } }`;
const LEAD_TIMELINE = `query($id: ID!) { lead(id: $id) { timeline { nodes { kind summary changes { field } data } } } }`;
const UPDATE_DEAL = `mutation($input: UpdateDealInput!) { updateDeal(input: $input) { id version } }`;
const DEAL_EVENTS = `subscription($p: ID!, $after: String) { dealEvents(pipelineId: $p, after: $after) { cursor kind dealId deal { id name amount } } }`;

interface DealEvent {
  dealEvents: { kind: string; dealId: string; deal: { id: string; name: string; amount: string | null } };
}

const idsOf = (data: { deals: { nodes: { id: string }[] } }): string[] => data.deals.nodes.map((node) => node.id);

async function boardCursor(client: { ok: <T>(q: string, v?: Record<string, unknown>) => Promise<T> }, pipelineId: string): Promise<string> {
  const data = await client.ok<{ dealsBoard: { cursor: string } }>(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipelineId });
  return data.dealsBoard.cursor;
}

describe('record sharing and the role hierarchy', () => {
  it('keeps a PRIVATE deal from a peer (list, by id, relations, events) while the manager above both sees it', async () => {
    const admin = await signUpOrganization(server().client);
    const { manager, rep, peer } = await salesTeam(admin);
    const pipeline = await defaultPipeline(admin.client);
    await setSharing(admin, 'DEALS', 'PRIVATE');
    const cursor = await boardCursor(admin.client, pipeline.id);
    const account = await createAccount(admin.client);
    const repDeal = await createDeal(rep.client, { name: 'Rep deal', accountId: account.id });
    const peerDeal = await createDeal(peer.client, { name: 'Peer deal', accountId: account.id });
    const managerDeal = await createDeal(manager.client, { name: 'Manager deal' });

    expect(idsOf(await peer.client.ok(DEAL_IDS))).toEqual([peerDeal.id]);
    await peer.client.fails('NOT_FOUND', DEAL, { id: repDeal.id });
    const viaAccount = await peer.client.ok<{ account: { deals: { id: string }[] } }>(`query($id: ID!) { account(id: $id) { deals { id } } }`, { id: account.id });
    expect(viaAccount.account.deals.map((deal) => deal.id)).toEqual([peerDeal.id]);
    await peer.client.fails('NOT_FOUND', UPDATE_DEAL, { input: { id: repDeal.id, expectedVersion: 1, name: 'Taken over' } });

    expect(new Set(idsOf(await manager.client.ok(DEAL_IDS)))).toEqual(new Set([repDeal.id, peerDeal.id, managerDeal.id]));
    expect((await manager.client.ok<{ deal: { name: string } }>(DEAL, { id: repDeal.id })).deal.name).toBe('Rep deal');
    // Upwards only: a rep does not see the manager's deals; the administrator sees everything.
    expect(idsOf(await rep.client.ok(DEAL_IDS))).toEqual([repDeal.id]);
    expect(new Set(idsOf(await admin.client.ok(DEAL_IDS)))).toEqual(new Set([repDeal.id, peerDeal.id, managerDeal.id]));

    // Replays honour access: the peer's replay from before the three deals holds only its own.
    const peerWs = connectWs(server().wsUrl, peer.token);
    const managerWs = connectWs(server().wsUrl, manager.token);
    try {
      const peerEvents = peerWs.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      const managerEvents = managerWs.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      await managerEvents.waitFor(3);
      await peerEvents.waitFor(1);
      // A live event the peer may see, after one it may not: only the second arrives.
      await rep.client.ok(UPDATE_DEAL, { input: { id: repDeal.id, expectedVersion: 1, name: 'Rep deal, renamed' } });
      await peer.client.ok(UPDATE_DEAL, { input: { id: peerDeal.id, expectedVersion: 1, name: 'Peer deal, renamed' } });
      await peerEvents.waitFor(2);
      await managerEvents.waitFor(5);
      expect(peerEvents.items.map((event) => event.dealEvents.dealId)).toEqual([peerDeal.id, peerDeal.id]);
      expect(managerEvents.items.map((event) => event.dealEvents.deal.name)).toEqual([
        'Rep deal',
        'Peer deal',
        'Manager deal',
        'Rep deal, renamed',
        'Peer deal, renamed',
      ]);
    } finally {
      await peerWs.dispose();
      await managerWs.dispose();
    }
  });

  it('lets everyone read a PUBLIC_READ record but only the owner and superiors change it', async () => {
    const admin = await signUpOrganization(server().client);
    const { manager, rep, peer } = await salesTeam(admin);
    await setSharing(admin, 'DEALS', 'PUBLIC_READ');
    const deal = await createDeal(rep.client, { name: 'Readable' });
    expect((await peer.client.ok<{ deal: { name: string } }>(DEAL, { id: deal.id })).deal.name).toBe('Readable');
    expect(idsOf(await peer.client.ok(DEAL_IDS))).toContain(deal.id);
    await peer.client.fails('FORBIDDEN', UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, name: 'Not yours' } });
    await peer.client.fails('FORBIDDEN', `mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id });
    await manager.client.ok(UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, name: 'By the manager' } });
    await rep.client.ok(UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 2, name: 'By the owner' } });
    // Back to the default: everyone changes everything again.
    await setSharing(admin, 'DEALS', 'PUBLIC_READ_WRITE');
    await peer.client.ok(UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 3, name: 'By a peer' } });
  });

  it('grants a role access to another role’s records through sharing rules, read or read-write', async () => {
    const admin = await signUpOrganization(server().client);
    const { repRole, managerRole, rep } = await salesTeam(admin);
    const otherManagerRole = (await admin.client.ok<{ createRole: { id: string } }>(`mutation { createRole(input: {name: "Support Lead"}) { id } }`)).createRole.id;
    const support = await inviteInto(admin, { roleId: otherManagerRole });
    await setSharing(admin, 'DEALS', 'PRIVATE');
    const deal = await createDeal(rep.client, { name: 'Shared by rule' });
    await support.client.fails('NOT_FOUND', DEAL, { id: deal.id });

    const rule = await admin.client.ok<{ createSharingRule: { id: string; ownerRole: { id: string }; access: string } }>(
      `mutation($input: CreateSharingRuleInput!) { createSharingRule(input: $input) { id ownerRole { id } access } }`,
      { input: { module: 'DEALS', ownerRoleId: managerRole, ownerSubordinates: true, granteeRoleId: otherManagerRole, access: 'READ' } },
    );
    expect(rule.createSharingRule.ownerRole.id).toBe(managerRole);
    expect((await support.client.ok<{ deal: { name: string } }>(DEAL, { id: deal.id })).deal.name).toBe('Shared by rule');
    await support.client.fails('FORBIDDEN', UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, name: 'Read only' } });

    await admin.client.ok(`mutation($id: ID!) { deleteSharingRule(id: $id) { id } }`, { id: rule.createSharingRule.id });
    await admin.client.ok(`mutation($input: CreateSharingRuleInput!) { createSharingRule(input: $input) { id } }`, {
      input: { module: 'DEALS', ownerRoleId: repRole, granteeRoleId: otherManagerRole, access: 'READ_WRITE' },
    });
    await support.client.ok(UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, name: 'Changed by rule' } });

    const rules = await admin.client.ok<{ sharingRules: { access: string }[]; sharing: { module: string; access: string }[] }>(
      `{ sharingRules { access } sharing { module access } }`,
    );
    expect(rules.sharingRules.map((r) => r.access)).toEqual(['READ_WRITE']);
    expect(rules.sharing).toContainEqual({ module: 'DEALS', access: 'PRIVATE' });
    expect(rules.sharing).toContainEqual({ module: 'LEADS', access: 'PUBLIC_READ_WRITE' });
  });

  it('applies a PRIVATE parent module to what hangs off it: sales signals in the feed and live', async () => {
    const admin = await signUpOrganization(server().client);
    const { rep, peer } = await salesTeam(admin);
    await setSharing(admin, 'LEADS', 'PRIVATE');
    const repLead = await rep.client.ok<{ createLead: { id: string } }>(`mutation { createLead(input: {lastName: "Mine"}) { id } }`);
    const peerLead = await peer.client.ok<{ createLead: { id: string } }>(`mutation { createLead(input: {lastName: "Theirs"}) { id } }`);
    const { salesSignals } = await peer.client.ok<{ salesSignals: { cursor: string } }>(`{ salesSignals { cursor } }`);
    const SIGNAL = `mutation($id: ID!) { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: $id}) { id } }`;
    const ws = connectWs(server().wsUrl, peer.token);
    try {
      const live = ws.subscribe<{ salesSignal: { lead: { id: string } | null } }>(`subscription($after: String) { salesSignal(after: $after) { lead { id } } }`, {
        after: salesSignals.cursor,
      });
      await admin.client.ok(SIGNAL, { id: repLead.createLead.id });
      await admin.client.ok(SIGNAL, { id: peerLead.createLead.id });
      await live.waitFor(1);
      const feed = await peer.client.ok<{ salesSignals: { nodes: { lead: { id: string } }[] } }>(`{ salesSignals { nodes { lead { id } } } }`);
      expect(feed.salesSignals.nodes.map((node) => node.lead.id)).toEqual([peerLead.createLead.id]);
      const all = await admin.client.ok<{ salesSignals: { totalCount: number } }>(`{ salesSignals { totalCount } }`);
      expect(all.salesSignals.totalCount).toBe(2);
      await admin.client.ok(SIGNAL, { id: peerLead.createLead.id });
      await live.waitFor(2);
      expect(live.items.map((item) => item.salesSignal.lead?.id)).toEqual([peerLead.createLead.id, peerLead.createLead.id]);
    } finally {
      await ws.dispose();
    }
  });

  it('refuses a role that would report to its own subordinate', async () => {
    const admin = await signUpOrganization(server().client);
    const { managerRole, repRole } = await salesTeam(admin);
    await admin.client.fails('BAD_USER_INPUT', `mutation($input: UpdateRoleInput!) { updateRole(input: $input) { id } }`, {
      input: { id: managerRole, parentId: repRole },
    });
    await admin.client.fails('CONFLICT', `mutation($id: ID!) { deleteRole(id: $id) { id } }`, { id: repRole });
  });
});

describe('profiles', () => {
  it('gives every organisation Administrator and Standard, and the creator Administrator', async () => {
    const admin = await signUpOrganization(server().client);
    const data = await admin.client.ok<{ profiles: { name: string; builtIn: string; settings: string[] }[]; me: { profile: { builtIn: string } } }>(
      `{ profiles { name builtIn settings } me { profile { builtIn } } }`,
    );
    expect(data.profiles.map((p) => p.builtIn)).toEqual(['ADMINISTRATOR', 'STANDARD']);
    expect(data.profiles[1]?.settings).toEqual([]);
    expect(data.me.profile.builtIn).toBe('ADMINISTRATOR');
    const member = await inviteInto(admin);
    expect((await member.client.ok<{ me: { profile: { builtIn: string } } }>(`{ me { profile { builtIn } } }`)).me.profile.builtIn).toBe('STANDARD');
    // Standard manages no settings.
    await member.client.fails('FORBIDDEN', `mutation { inviteUser(input: {name: "X", email: "x@example.com", role: SALES_REP}) { invitationToken } }`);
    await member.client.fails('FORBIDDEN', `mutation { createRole(input: {name: "X"}) { id } }`);
    await admin.client.fails('FORBIDDEN', `mutation($id: ID!) { updateProfile(input: {id: $id, name: "Renamed"}) { id } }`, {
      id: (await admin.client.ok<{ me: { profile: { id: string } } }>(`{ me { profile { id } } }`)).me.profile.id,
    });
  });

  it('refuses a delete to a profile without the permission, from the next request on', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteInto(admin);
    const deal = await createDeal(member.client);
    const noDelete = await createProfile(admin, { modules: modulesExcept('DEALS', ['DELETE']) });
    await updateUser(admin, { id: member.userId, profileId: noDelete });
    await member.client.fails('FORBIDDEN', `mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id });
    await createDeal(member.client);
    const readOnly = await createProfile(admin, { modules: [{ module: 'DEALS', actions: ['READ'] }] });
    await updateUser(admin, { id: member.userId, profileId: readOnly });
    await member.client.fails('FORBIDDEN', `mutation { createDeal(input: {name: "No"}) { id } }`);
    // No READ on leads: the list is empty and a lead by id is NOT_FOUND.
    const lead = await admin.client.ok<{ createLead: { id: string } }>(`mutation { createLead(input: {lastName: "Hidden"}) { id } }`);
    expect((await member.client.ok<{ leads: { nodes: unknown[] } }>(`{ leads { nodes { id } } }`)).leads.nodes).toEqual([]);
    await member.client.fails('NOT_FOUND', `query($id: ID!) { lead(id: $id) { id } }`, { id: lead.createLead.id });
    // A profile in use cannot be deleted; the last administrator keeps Administrator.
    await admin.client.fails('CONFLICT', `mutation($id: ID!) { deleteProfile(id: $id) { id } }`, { id: readOnly });
    await admin.client.ok(`mutation($id: ID!) { deleteProfile(id: $id) { id } }`, { id: noDelete });
    await admin.client.fails('CONFLICT', `mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }`, {
      input: { id: admin.userId, profileId: readOnly },
    });
  });

  it('lets a custom profile with the USERS setting manage users', async () => {
    const admin = await signUpOrganization(server().client);
    const userManager = await createProfile(admin, { modules: modulesExcept('DEALS', []), settings: ['USERS'] });
    const member = await inviteInto(admin, { profileId: userManager });
    await member.client.ok(`mutation { inviteUser(input: {name: "Y", email: "${Date.now()}y@example.com", role: SALES_REP}) { invitationToken } }`);
    await member.client.fails('FORBIDDEN', `mutation { createRole(input: {name: "X"}) { id } }`);
  });
});

describe('field-level security', () => {
  it('hides a field in lists, relations and events, and refuses it in filters, ordering and writes', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const hidesAmount = await createProfile(admin, {
      modules: modulesExcept('DEALS', []),
      fieldAccess: [
        { module: 'DEALS', field: 'amount', access: 'HIDDEN' },
        { module: 'ACCOUNTS', field: 'annualRevenue', access: 'READ_ONLY' },
      ],
    });
    const member = await inviteInto(admin, { profileId: hidesAmount });
    const cursor = await boardCursor(admin.client, pipeline.id);
    const account = await createAccount(admin.client, { annualRevenue: '5000000.00' });
    const deal = await createDeal(admin.client, { name: 'Big one', amount: '250000.00', accountId: account.id });

    const list = await member.client.ok<{ deals: { nodes: { id: string; amount: string | null; weightedAmount: string | null }[] } }>(
      `{ deals { nodes { id amount weightedAmount } } }`,
    );
    expect(list.deals.nodes).toEqual([{ id: deal.id, amount: null, weightedAmount: null }]);
    const related = await member.client.ok<{ account: { annualRevenue: string; deals: { amount: string | null }[] } }>(
      `query($id: ID!) { account(id: $id) { annualRevenue deals { amount } } }`,
      { id: account.id },
    );
    expect(related.account).toEqual({ annualRevenue: '5000000.00', deals: [{ amount: null }] });
    expect((await admin.client.ok<{ deal: { amount: string } }>(`query($id: ID!) { deal(id: $id) { amount } }`, { id: deal.id })).deal.amount).toBe('250000.00');

    await member.client.fails('FORBIDDEN', `{ deals(filter: {amountMin: "100000"}) { nodes { id } } }`);
    await member.client.fails('FORBIDDEN', `{ deals(orderBy: {field: AMOUNT}) { nodes { id } } }`);
    await member.client.fails('FORBIDDEN', `mutation { createDeal(input: {name: "Guess", amount: "1.00"}) { id } }`);
    await member.client.fails('FORBIDDEN', UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, amount: '1.00' } });
    await member.client.fails('FORBIDDEN', `mutation($id: ID!) { updateAccount(input: {id: $id, expectedVersion: 1, annualRevenue: "1"}) { id } }`, { id: account.id });
    // Other fields stay writable.
    await member.client.ok(UPDATE_DEAL, { input: { id: deal.id, expectedVersion: 1, name: 'Renamed' } });
    expect((await member.client.ok<{ securableFields: string[] }>(`{ securableFields(module: DEALS) }`)).securableFields).toContain('amount');

    const memberWs = connectWs(server().wsUrl, member.token);
    const adminWs = connectWs(server().wsUrl, admin.token);
    try {
      const memberEvents = memberWs.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      const adminEvents = adminWs.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      await memberEvents.waitFor(2);
      await adminEvents.waitFor(2);
      expect(memberEvents.items.map((event) => event.dealEvents.deal.amount)).toEqual([null, null]);
      expect(adminEvents.items.map((event) => event.dealEvents.deal.amount)).toEqual(['250000.00', '250000.00']);
      expect(JSON.stringify(memberEvents.items)).not.toContain('250000');
    } finally {
      await memberWs.dispose();
      await adminWs.dispose();
    }
  });

  it('keeps a hidden field out of timeline changes, their sentences, score explanations and free-text search', async () => {
    const admin = await signUpOrganization(server().client);
    const hides = await createProfile(admin, {
      modules: modulesExcept('LEADS', []),
      fieldAccess: [
        { module: 'LEADS', field: 'annualRevenue', access: 'HIDDEN' },
        { module: 'LEADS', field: 'phone', access: 'HIDDEN' },
      ],
    });
    const member = await inviteInto(admin, { profileId: hides });
    await setSharing(admin, 'LEADS', 'PUBLIC_READ_WRITE');
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Big', fieldScores: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: '800000', points: 15 }] },
    });
    const lead = await createLead(admin.client, { phone: '+14155550199', annualRevenue: '750000' });
    const updated = await admin.client.ok<{ updateLead: { version: number } }>(UPDATE_LEAD, { input: { id: lead.id, expectedVersion: lead.version, annualRevenue: '910000' } });
    await admin.client.ok(UPDATE_LEAD, { input: { id: lead.id, expectedVersion: updated.updateLead.version, annualRevenue: '920000', firstName: 'Robin' } });

    type Timeline = { lead: { timeline: { nodes: { kind: string; summary: string; changes: { field: string }[]; data: unknown }[] } } };
    const seen = await member.client.ok<Timeline>(LEAD_TIMELINE, { id: lead.id });
    const updates = seen.lead.timeline.nodes.filter((entry) => entry.kind === 'UPDATED');
    expect(updates.map((entry) => entry.summary)).toEqual(['First name changed from "Lee" to "Robin"', 'Record updated']);
    expect(updates.map((entry) => entry.changes.map((change) => change.field))).toEqual([['firstName'], []]);
    expect(JSON.stringify(seen)).not.toMatch(/750000|910000|920000|annualRevenue/);

    // The score counts the hidden field; its explanation and history do not reveal it.
    const SCORE = `query($id: ID!) { lead(id: $id) { score scoreBreakdown { rules { criteria { description field points } } } scoreHistory { reason } } }`;
    const scored = await member.client.ok<{ lead: { score: number; scoreHistory: { reason: string }[] } }>(SCORE, { id: lead.id });
    expect(scored.lead.score).toBe(15);
    expect(scored.lead.scoreHistory.map((change) => change.reason)).toEqual(['Annual revenue changed']);
    expect(JSON.stringify(scored)).not.toMatch(/800000|910000|annualRevenue|annual revenue greater/i);
    expect(JSON.stringify(await admin.client.ok(SCORE, { id: lead.id }))).toContain('800000');

    const full = await admin.client.ok<Timeline>(LEAD_TIMELINE, { id: lead.id });
    expect(full.lead.timeline.nodes.filter((entry) => entry.kind === 'UPDATED').map((entry) => entry.summary)).toEqual([
      'Changed first name and annual revenue',
      'Annual revenue changed from "750000.00" to "910000.00"',
    ]);

    const search = `query($q: String!) { leads(filter: {search: $q}) { nodes { id } } }`;
    expect((await member.client.ok<{ leads: { nodes: unknown[] } }>(search, { q: '5550199' })).leads.nodes).toEqual([]);
    expect((await admin.client.ok<{ leads: { nodes: { id: string }[] } }>(search, { q: '5550199' })).leads.nodes).toEqual([{ id: lead.id }]);
    // Fields the member may see still match.
    expect((await member.client.ok<{ leads: { nodes: { id: string }[] } }>(search, { q: 'Robin' })).leads.nodes).toEqual([{ id: lead.id }]);
  });

  it('refuses to secure a field that is not securable', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.fails('BAD_USER_INPUT', `mutation { createProfile(input: {name: "Bad", fieldAccess: [{module: DEALS, field: "name", access: HIDDEN}]}) { id } }`);
  });
});

describe('access changes reach live subscriptions at once', () => {
  it('stops a subscriber’s events when sharing or their role changes, with no event in between', async () => {
    const admin = await signUpOrganization(server().client);
    const { manager, rep } = await salesTeam(admin);
    const pipeline = await defaultPipeline(admin.client);
    const cursor = await boardCursor(admin.client, pipeline.id);
    const repDeal = await createDeal(rep.client, { name: 'Watched' });
    const managerDeal = await createDeal(manager.client, { name: 'Own' });
    const ws = connectWs(server().wsUrl, manager.token);
    const repWs = connectWs(server().wsUrl, rep.token);
    try {
      const managerEvents = ws.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      const repEvents = repWs.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      await managerEvents.waitFor(2);
      await repEvents.waitFor(2);
      // PRIVATE: the rep stops seeing the manager's deal; the manager still sees the rep's (below them).
      await setSharing(admin, 'DEALS', 'PRIVATE');
      await manager.client.ok(UPDATE_DEAL, { input: { id: managerDeal.id, expectedVersion: 1, name: 'Own, renamed' } });
      await rep.client.ok(UPDATE_DEAL, { input: { id: repDeal.id, expectedVersion: 1, name: 'Watched, renamed' } });
      await managerEvents.waitFor(4);
      await repEvents.waitFor(3);
      expect(repEvents.items.map((event) => event.dealEvents.deal.name)).toEqual(['Watched', 'Own', 'Watched, renamed']);
      // The manager leaves the hierarchy: the rep's next change no longer reaches them.
      await updateUser(admin, { id: manager.userId, roleId: null });
      await rep.client.ok(UPDATE_DEAL, { input: { id: repDeal.id, expectedVersion: 2, name: 'Watched, unseen' } });
      await manager.client.ok(UPDATE_DEAL, { input: { id: managerDeal.id, expectedVersion: 2, name: 'Own, again' } });
      await managerEvents.waitFor(5);
      await repEvents.waitFor(4);
      expect(managerEvents.items.map((event) => event.dealEvents.deal.name)).toEqual(['Watched', 'Own', 'Own, renamed', 'Watched, renamed', 'Own, again']);
      // And HTTP agrees from the next request.
      await manager.client.fails('NOT_FOUND', DEAL, { id: repDeal.id });
    } finally {
      await ws.dispose();
      await repWs.dispose();
    }
  });

  it('closes a deactivated user’s subscription before the next event', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteInto(admin);
    const pipeline = await defaultPipeline(admin.client);
    const cursor = await boardCursor(admin.client, pipeline.id);
    await createDeal(admin.client, { name: 'Before' });
    const ws = connectWs(server().wsUrl, member.token);
    try {
      const events = ws.subscribe<DealEvent>(DEAL_EVENTS, { p: pipeline.id, after: cursor });
      await events.waitFor(1);
      await admin.client.ok(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: member.userId });
      await createDeal(admin.client, { name: 'After' });
      const closed = await ws.closed;
      expect(closed.code).toBe(4403);
      expect(events.items.map((event) => event.dealEvents.deal.name)).toEqual(['Before']);
    } finally {
      await ws.dispose();
    }
  });
});
