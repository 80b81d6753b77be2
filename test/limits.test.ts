import { describe, expect, it } from 'vitest';
import type { AdjustableClock } from '../src/server/limits/clock.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

// Small limits, so each one is reached by a short query; the defaults are far larger.
const server = useTestServer({
  GRAPHQL_MAX_DEPTH: '8',
  GRAPHQL_MAX_ALIASES: '3',
  GRAPHQL_MAX_DIRECTIVES: '3',
  GRAPHQL_MAX_TOKENS: '400',
  GRAPHQL_MAX_COST: '3000',
  QUERY_BUDGET: '5000',
  QUERY_BUDGET_RESTORE_RATE: '100',
  GRAPHQL_INTROSPECTION: 'off',
  GRAPHQL_FIELD_SUGGESTIONS: 'off',
  MAX_BODY_BYTES: '4096',
});

interface RawAnswer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, any> }[]; extensions?: Record<string, any> };
}

async function post(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<RawAnswer> {
  const response = await fetch(`${server().url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as RawAnswer['body'] };
}

/** The first error a WebSocket subscription was refused with (graphql-ws `error` message). */
async function wsRefusal(token: string, query: string, variables: Record<string, unknown> = {}): Promise<{ message: string; extensions?: Record<string, any> }> {
  const ws = connectWs(server().wsUrl, token);
  try {
    const received = ws.subscribe(query, variables);
    await received.ended;
    const [first] = received.errors as unknown[];
    const error = Array.isArray(first) ? first[0] : first;
    return error as { message: string; extensions?: Record<string, any> };
  } finally {
    await ws.dispose();
  }
}

const DEEP = `{ accounts { nodes { deals { account { deals { account { deals { account { name } } } } } } } } }`;
const COSTLY = `{ accounts(first: 200) { nodes { contacts(first: 200) { lastName } } } }`;

describe('document limits', () => {
  it('refuses an over-deep document identically over HTTP and WebSocket', async () => {
    const admin = await signUpOrganization(server().client);
    const http = await post(admin.token, DEEP);
    expect(http.status).toBe(400);
    const [error] = http.body.errors ?? [];
    expect(error).toEqual({ message: 'The operation is 9 fields deep; at most 8 are allowed', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const ws = await wsRefusal(admin.token, DEEP);
    expect({ message: ws.message, code: ws.extensions?.['code'] }).toEqual({ message: error?.message, code: 'GRAPHQL_VALIDATION_FAILED' });
    // One level less is fine.
    const shallower = await post(admin.token, `{ accounts(first: 2) { nodes { deals(first: 2) { account { deals(first: 2) { account { name } } } } } } }`);
    expect(shallower.body.errors).toBeUndefined();
  });

  it('refuses too many aliases and directives', async () => {
    const admin = await signUpOrganization(server().client);
    const aliases = await post(admin.token, `{ a: me { id } b: me { id } c: me { id } d: me { id } }`);
    expect(aliases.body.errors?.[0]).toMatchObject({ message: 'The document uses 4 aliases; at most 3 are allowed', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const threeAliases = await post(admin.token, `{ a: me { id } b: me { id } c: me { id } }`);
    expect(threeAliases.body.errors).toBeUndefined();
    const directives = await post(admin.token, `{ me { id @include(if: true) name @include(if: true) email @skip(if: false) role @skip(if: false) } }`);
    expect(directives.body.errors?.[0]).toMatchObject({ message: 'The document uses 4 directives; at most 3 are allowed', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const ws = await wsRefusal(admin.token, `{ a: me { id } b: me { id } c: me { id } d: me { id } }`);
    expect(ws.message).toBe(aliases.body.errors?.[0]?.message);
  });

  it('stops parsing a document with too many tokens', async () => {
    const admin = await signUpOrganization(server().client);
    const long = `{ me { ${Array.from({ length: 500 }, () => 'id').join(' ')} } }`;
    const http = await post(admin.token, long);
    expect(http.status).toBe(400);
    expect(http.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('400 tokens'), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    const ws = await wsRefusal(admin.token, long);
    expect({ message: ws.message, code: ws.extensions?.['code'] }).toEqual({ message: http.body.errors?.[0]?.message, code: 'GRAPHQL_PARSE_FAILED' });
  });

  it('has no introspection and no field suggestions when configured off', async () => {
    const admin = await signUpOrganization(server().client);
    const introspection = await post(admin.token, `{ __schema { types { name } } }`);
    expect(introspection.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.body.errors?.[0]?.message).toContain('introspection has been disabled');
    expect((await wsRefusal(admin.token, `{ __schema { types { name } } }`)).message).toBe(introspection.body.errors?.[0]?.message);
    const typo = await post(admin.token, `{ mee { id } }`);
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "mee" on type "Query".');
    // Nor in a variable's refusal: the enum's values stay unnamed.
    const badEnum = await post(admin.token, `query($e: [Engagement!]) { leads(filter: {engagement: $e}) { totalCount } }`, { e: ['HOTT'] });
    expect(badEnum.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(badEnum.body.errors?.[0]?.message).toContain('"HOTT"');
    expect(badEnum.body.errors?.[0]?.message).not.toContain('Did you mean');
    // __typename is not introspection.
    expect((await post(admin.token, `{ __typename }`)).body.data).toEqual({ __typename: 'Query' });
  });

  it('refuses a large body, and GET requests a browser form could forge', async () => {
    const admin = await signUpOrganization(server().client);
    const big = await post(admin.token, `{ me { id } }`, { padding: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(big.body.errors?.[0]?.extensions?.['code']).toBe('BAD_REQUEST');
    const forged = await fetch(`${server().url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });
    expect(forged.status).toBe(400);
    const preflighted = await fetch(`${server().url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
  });
});

describe('query cost and budgets', () => {
  it('returns the cost and the remaining budget in extensions, computed from page sizes', async () => {
    const admin = await signUpOrganization(server().client);
    // 1 (the connection) + 10 nodes x (1 + owner 1); scalars are free.
    const answer = await post(admin.token, `{ deals(first: 10) { totalCount nodes { name owner { name } } } }`);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.extensions?.['cost']).toMatchObject({ requested: 21, capacity: 5000, restoreRate: 100, maxPerOperation: 3000 });
    expect(answer.body.extensions?.['cost'].remaining).toBeGreaterThanOrEqual(4979 - 5);
    expect(answer.body.extensions?.['cost'].remaining).toBeLessThanOrEqual(4979);
    // Nested lists multiply: 1 + 5 x (1 + 4 x 1); a variable sets the size as a literal would.
    const nested = await post(admin.token, `query($n: Int) { accounts(first: $n) { nodes { contacts(first: 4) { lastName } } } }`, { n: 5 });
    expect(nested.body.extensions?.['cost'].requested).toBe(26);
    // A mutation costs 10 plus what it selects; errors carry the cost too.
    const failed = await post(admin.token, `mutation { updateDeal(input: {id: "00000000-0000-4000-8000-000000000000", expectedVersion: 1, name: "x"}) { id owner { name } } }`);
    expect(failed.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(failed.body.extensions?.['cost'].requested).toBe(12);
  });

  it('refuses an over-costly query identically over HTTP and WebSocket, without charging for it', async () => {
    const admin = await signUpOrganization(server().client);
    const http = await post(admin.token, COSTLY);
    expect(http.status).toBe(400);
    const [error] = http.body.errors ?? [];
    expect(error?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error?.message).toContain('costs 40201 points; at most 3000 are allowed');
    // The WebSocket runs subscriptions only: the same nested lists in a subscription's selection.
    const pipeline = await defaultPipeline(admin.client);
    const costlySubscription = `subscription($p: ID!) { dealEvents(pipelineId: $p) { deal { notes(first: 200) { relatedTo { ... on Account { contacts(first: 200) { lastName } } } } } } }`;
    const overHttp = await post(admin.token, costlySubscription, { p: pipeline.id });
    const overWs = await wsRefusal(admin.token, costlySubscription, { p: pipeline.id });
    expect(overHttp.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect({ message: overWs.message, code: overWs.extensions?.['code'] }).toEqual({
      message: overHttp.body.errors?.[0]?.message,
      code: overHttp.body.errors?.[0]?.extensions?.['code'],
    });
    const after = await post(admin.token, `{ me { id } }`);
    // Only the pipelines query (10 x (1 + 10)) and this one were charged.
    expect(after.body.extensions?.['cost'].remaining).toBeGreaterThanOrEqual(5000 - 110 - 1);
  });

  it('answers RATE_LIMITED with the time to retry once the budget is spent, and refills over time', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    // 1 + 100 x (1 + 19) = 2001 points: after the pipelines (110), two fit in 5000, the third does not.
    const heavy = `{ accounts(first: 100) { nodes { contacts(first: 19) { lastName } } } }`;
    expect((await post(admin.token, heavy)).body.extensions?.['cost'].requested).toBe(2001);
    expect((await post(admin.token, heavy)).status).toBe(200);
    const limited = await post(admin.token, heavy);
    expect(limited.status).toBe(429);
    const [error] = limited.body.errors ?? [];
    expect(error?.extensions?.['code']).toBe('RATE_LIMITED');
    const retryAfter = error?.extensions?.['retryAfterSeconds'] as number;
    // 2001 - 888 points are missing, at 100 a second.
    expect(retryAfter).toBeGreaterThanOrEqual(11);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect(limited.headers.get('retry-after')).toBe(String(retryAfter));
    expect(limited.body.extensions?.['cost']).toMatchObject({ requested: 2001 });
    expect(limited.body.data).toBeUndefined();

    // The WebSocket spends the same budget and refuses the same way.
    // 2 + 200 x (1 + 1 + 4) = 1202 points, more than the 888 left.
    const costlyEvents = `subscription($p: ID!) { dealEvents(pipelineId: $p) { deal { notes(first: 200) { author { name } relatedTo { ... on Deal { owner { name } stage { name } account { name } } } } } } }`;
    const refused = await wsRefusal(admin.token, costlyEvents, { p: pipeline.id });
    expect(refused.extensions?.['code']).toBe('RATE_LIMITED');
    expect(refused.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);

    // Another user's budget is untouched.
    const other = await signUpOrganization(server().client);
    expect((await post(other.token, heavy)).status).toBe(200);

    (server().server.deps.clock as AdjustableClock).advance(retryAfter * 1000);
    const refilled = await post(admin.token, heavy);
    expect(refilled.status).toBe(200);
    expect(refilled.body.errors).toBeUndefined();
  });
});
