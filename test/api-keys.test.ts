import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys } from '../src/modules/access-control/api-keys.table.js';
import { createProfile, inviteInto, modulesExcept } from './factories/access.factory.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer();

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name prefix active profile { id } createdBy { id } } } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt active } }`;

async function standardProfileId(admin: SignedInUser): Promise<string> {
  const data = await admin.client.ok<{ profiles: { id: string; builtIn: string | null }[] }>(`{ profiles { id builtIn } }`);
  return data.profiles.find((profile) => profile.builtIn === 'STANDARD')!.id;
}

async function createKey(admin: SignedInUser, input: Record<string, unknown>) {
  const data = await admin.client.ok<{ createApiKey: { secret: string; apiKey: { id: string; prefix: string; active: boolean; profile: { id: string }; createdBy: { id: string } } } }>(
    CREATE_KEY,
    { input: { name: 'Integration', ...input } },
  );
  return data.createApiKey;
}

describe('API keys', () => {
  it('are shown once, stored hashed, act with their profile, and record when they were last used', async () => {
    const admin = await signUpOrganization(server().client);
    const profileId = await createProfile(admin, { modules: modulesExcept('DEALS', ['DELETE']) });
    const created = await createKey(admin, { profileId });
    expect(created.secret).toMatch(/^pk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey).toMatchObject({ active: true, profile: { id: profileId }, createdBy: { id: admin.userId } });

    const { db } = server().server.deps;
    const [stored] = await db.select().from(apiKeys).where(and(eq(apiKeys.organizationId, admin.organizationId), eq(apiKeys.id, created.apiKey.id)));
    expect(stored?.secretHash).toBe(createHash('sha256').update(created.secret).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(20));
    expect(stored?.lastUsedAt).toBeNull();

    const key = server().client.as(created.secret);
    const deal = await createDeal(key);
    // Acts as its creator (the owner of what it creates), limited to its own profile.
    const me = await key.ok<{ me: { id: string }; deal: { owner: { id: string } } }>(`query($id: ID!) { me { id } deal(id: $id) { owner { id } } }`, { id: deal.id });
    expect(me).toEqual({ me: { id: admin.userId }, deal: { owner: { id: admin.userId } } });
    await key.fails('FORBIDDEN', `mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id });
    await key.fails('FORBIDDEN', `mutation { createRole(input: {name: "Nope"}) { id } }`);

    const listed = await admin.client.ok<{ apiKeys: { id: string; lastUsedAt: string | null }[] }>(`{ apiKeys { id lastUsedAt } }`);
    expect(listed.apiKeys).toHaveLength(1);
    expect(listed.apiKeys[0]?.lastUsedAt).not.toBeNull();
    // Written at most once a minute, not on every request.
    const before = listed.apiKeys[0]?.lastUsedAt;
    await key.ok(`{ me { id } }`);
    const again = await admin.client.ok<{ apiKeys: { lastUsedAt: string | null }[] }>(`{ apiKeys { lastUsedAt } }`);
    expect(again.apiKeys[0]?.lastUsedAt).toBe(before);
  });

  it('stop working on the next request once revoked or expired, and never for a tampered key', async () => {
    const admin = await signUpOrganization(server().client);
    const profileId = await standardProfileId(admin);
    const created = await createKey(admin, { profileId });
    const key = server().client.as(created.secret);
    await key.ok(`{ deals { nodes { id } } }`);
    const revoked = await admin.client.ok<{ revokeApiKey: { active: boolean; revokedAt: string | null } }>(REVOKE_KEY, { id: created.apiKey.id });
    expect(revoked.revokeApiKey.active).toBe(false);
    await key.fails('UNAUTHENTICATED', `{ deals { nodes { id } } }`);

    const expiring = await createKey(admin, { profileId, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    const expiringKey = server().client.as(expiring.secret);
    await expiringKey.ok(`{ me { id } }`);
    // The clock moves on by an hour: the expiry is pushed into the past rather than waited for.
    const { db } = server().server.deps;
    await db.update(apiKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiKeys.id, expiring.apiKey.id));
    await expiringKey.fails('UNAUTHENTICATED', `{ me { id } }`);

    const valid = await createKey(admin, { profileId });
    const tampered = `${valid.secret.slice(0, -1)}${valid.secret.endsWith('A') ? 'B' : 'A'}`;
    await server().client.as(tampered).fails('UNAUTHENTICATED', `{ me { id } }`);
    // Another organisation's id with this key's secret finds nothing either.
    const other = await signUpOrganization(server().client);
    const foreign = valid.secret.replace(admin.organizationId.replace(/-/g, ''), other.organizationId.replace(/-/g, ''));
    await server().client.as(foreign).fails('UNAUTHENTICATED', `{ me { id } }`);
  });

  it('are refused to non-administrators and need a profile of the organisation', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteInto(admin);
    const profileId = await standardProfileId(admin);
    await member.client.fails('FORBIDDEN', CREATE_KEY, { input: { name: 'Mine', profileId } });
    const other = await signUpOrganization(server().client);
    await other.client.fails('NOT_FOUND', CREATE_KEY, { input: { name: 'Theirs', profileId } });
    await admin.client.fails('BAD_USER_INPUT', CREATE_KEY, { input: { name: 'Past', profileId, expiresAt: '2000-01-01T00:00:00Z' } });
  });

  it('work on the WebSocket and close its subscriptions when revoked, before the next event', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const created = await createKey(admin, { profileId: await standardProfileId(admin) });
    const { dealsBoard } = await admin.client.ok<{ dealsBoard: { cursor: string } }>(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    await createDeal(admin.client, { name: 'Seen' });
    const ws = connectWs(server().wsUrl, created.secret);
    try {
      const events = ws.subscribe<{ dealEvents: { deal: { name: string } } }>(
        `subscription($p: ID!, $after: String) { dealEvents(pipelineId: $p, after: $after) { deal { name } } }`,
        { p: pipeline.id, after: dealsBoard.cursor },
      );
      await events.waitFor(1);
      await admin.client.ok(REVOKE_KEY, { id: created.apiKey.id });
      await createDeal(admin.client, { name: 'Not seen' });
      expect((await ws.closed).code).toBe(4403);
      expect(events.items.map((event) => event.dealEvents.deal.name)).toEqual(['Seen']);
    } finally {
      await ws.dispose();
    }
    // A new connection with the revoked key is refused outright.
    const again = connectWs(server().wsUrl, created.secret);
    try {
      expect((await again.closed).code).toBe(4401);
    } finally {
      await again.dispose();
    }
  });
});
