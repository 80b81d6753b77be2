import { describe, expect, it } from 'vitest';
import { signToken } from '../src/modules/auth/tokens.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectRaw, type RawSocket } from './helpers/raw-socket.js';
import { connectWs } from './helpers/ws-client.js';

const ALLOWED = 'https://app.example.com';

const server = useTestServer({
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
  WS_MAX_CONNECTIONS_PER_USER: '2',
  WS_MAX_PAYLOAD_BYTES: '2048',
  ALLOWED_ORIGINS: ALLOWED,
});

const EVENTS = `subscription($p: ID!) { dealEvents(pipelineId: $p) { kind deal { id } } }`;

const rawConnect = (token: string, options: { origin?: string } = {}): RawSocket => connectRaw(server().wsUrl, token, options);

/** Live events start when the server has registered the stream: wait for it before causing one. */
async function subscribed(count: number): Promise<void> {
  const hub = server().server.deps.hub;
  for (let i = 0; i < 200 && hub.subscriberCount() < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(hub.subscriberCount()).toBeGreaterThanOrEqual(count);
}

async function newDealArrives(admin: SignedInUser, stream: { waitFor(count: number, timeoutMs?: number): Promise<unknown[]> }, count: number): Promise<void> {
  await createDeal(admin.client);
  await stream.waitFor(count);
}

describe('WebSocket limits', () => {
  it('caps the subscriptions one connection runs', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const before = server().server.deps.hub.subscriberCount();
      const first = ws.subscribe(EVENTS, { p: pipeline.id });
      const second = ws.subscribe(EVENTS, { p: pipeline.id });
      await subscribed(before + 2);
      await newDealArrives(admin, first, 1);
      const third = ws.subscribe(EVENTS, { p: pipeline.id });
      await third.ended;
      const [refusal] = third.errors as { message: string; extensions: { code: string; limit: number } }[][];
      expect(refusal?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 2 });
      expect(refusal?.[0]?.message).toContain('At most 2 subscriptions');
      // The first two still run; once one stops, there is room for another.
      await second.waitFor(1);
      first.stop();
      for (let i = 0; i < 200 && server().server.deps.hub.subscriberCount() > before + 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      const fourth = ws.subscribe(EVENTS, { p: pipeline.id });
      await subscribed(before + 2);
      await newDealArrives(admin, fourth, 1);
      expect(fourth.errors).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('caps the connections one user holds, and frees a slot when one closes', async () => {
    const admin = await signUpOrganization(server().client);
    const one = rawConnect(admin.token);
    const two = rawConnect(admin.token);
    expect(await one.acked).toBe(true);
    expect(await two.acked).toBe(true);
    const three = rawConnect(admin.token);
    expect(await three.acked).toBe(false);
    expect((await three.closed).code).toBe(4429);
    // Another user is counted separately.
    const other = await signUpOrganization(server().client);
    const theirs = rawConnect(other.token);
    expect(await theirs.acked).toBe(true);
    one.socket.close();
    await one.closed;
    const four = rawConnect(admin.token);
    expect(await four.acked).toBe(true);
    for (const raw of [two, four, theirs]) raw.socket.close();
  });

  it('closes a socket with 4401 when its token expires', async () => {
    const admin = await signUpOrganization(server().client);
    const { token } = await signToken(server().config.jwtSecret, 2, { userId: admin.userId, organizationId: admin.organizationId });
    const raw = rawConnect(token);
    expect(await raw.acked).toBe(true);
    const started = Date.now();
    const closed = await raw.closed;
    expect(closed).toEqual({ code: 4401, reason: 'Unauthorized: the token expired' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses browsers from origins not in ALLOWED_ORIGINS, on the WebSocket and over HTTP', async () => {
    const admin = await signUpOrganization(server().client);
    const evil = rawConnect(admin.token, { origin: 'https://evil.example' });
    expect(await evil.refusedStatus).toBe(403);
    expect(await evil.acked).toBe(false);
    const good = rawConnect(admin.token, { origin: ALLOWED });
    expect(await good.acked).toBe(true);
    good.socket.close();

    const ask = (origin: string | null) =>
      fetch(`${server().url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}`, ...(origin ? { origin } : {}) },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
    const refused = await ask('https://evil.example');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('FORBIDDEN');
    const allowed = await ask(ALLOWED);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    // No Origin: not a browser, e.g. a partner's server.
    expect((await ask(null)).status).toBe(200);
    // The server's own pages are same-origin.
    expect((await ask(server().url)).status).toBe(200);
  });

  it('closes a socket that sends a message larger than WS_MAX_PAYLOAD_BYTES', async () => {
    const admin = await signUpOrganization(server().client);
    const raw = rawConnect(admin.token);
    expect(await raw.acked).toBe(true);
    raw.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { x }`, variables: { padding: 'x'.repeat(4096) } } }));
    expect((await raw.closed).code).toBe(1009);
  });
});
