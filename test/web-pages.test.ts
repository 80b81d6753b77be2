import { buildSchema as buildFromSdl, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { buildSchema } from '../src/server/schema.js';
import { startTestServer, useTestServer } from './helpers/test-server.js';

const server = useTestServer();

/** What Chromium sends when a person opens a URL. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server().url}${path}`, { headers });

describe('the explorer on GET /graphql', () => {
  it('serves the page to a browser, from Pulse itself, with its bundle', async () => {
    const page = await get('/graphql', { accept: BROWSER_ACCEPT });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${server().wsUrl.replace('/graphql', '')}`);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/explorer/explorer.js">');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await get('/explorer/explorer.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    const style = await get('/explorer/explorer.css');
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('leaves GraphQL requests to Apollo: GET with a query, POST, and clients that do not ask for HTML', async () => {
    const query = await get(`/graphql?query=${encodeURIComponent('{ __typename }')}`, { accept: BROWSER_ACCEPT, 'apollo-require-preflight': 'true' });
    expect(query.status).toBe(200);
    // Every answer also reports its cost (extensions.cost).
    expect(await query.json()).toMatchObject({ data: { __typename: 'Query' }, extensions: { cost: { requested: 0 } } });
    expect(await server().client.ok('{ __typename }')).toEqual({ __typename: 'Query' });
    for (const accept of ['*/*', 'application/json', 'application/graphql-response+json, application/json']) {
      const response = await get('/graphql', { accept, 'apollo-require-preflight': 'true' });
      expect(response.headers.get('content-type'), accept).toMatch(/json/);
    }
  });
});

describe('the board page', () => {
  it('serves the page and its bundle, and nothing else', async () => {
    const page = await get('/board', { accept: BROWSER_ACCEPT });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/board/board.js">');
    const script = await get('/board/board.js');
    expect(script.status).toBe(200);
    // The bundle carries the subscription from docs/operations, checked against the schema there.
    expect(await script.text()).toContain('dealEvents(pipelineId: $pipelineId, after: $after)');
    expect((await get('/board/board.css')).status).toBe(200);
    for (const path of ['/board/index.js', '/board/..%2F..%2Fpackage.json', '/board/explorer.js', '/explorer/board.js']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });
});

describe('GET /schema.graphql', () => {
  it('publishes the printed schema, with its descriptions, to anyone', async () => {
    const response = await get('/schema.graphql');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const sdl = await response.text();
    expect(sdl).toBe(`${printSchema(buildSchema())}\n`);
    // Described arguments print one per line, each under its description.
    expect(sdl).toMatch(/dealEvents\(\s+"""[^"]+"""\s+pipelineId: ID!\s+"""[^"]+"""\s+after: String\s+\): DealEvent!/);
    expect(sdl).toContain('The version you read; a stale one');
    expect(buildFromSdl(sdl).getSubscriptionType()?.getFields()['dealEvents']).toBeDefined();
  });
});

describe('PULSE_EXPLORER', () => {
  const env = { JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-signing', PULSE_DATA_DIR: '/tmp/pulse-test-unused' };

  it('is on by default, off in production, and can be switched either way', () => {
    expect(loadConfig(env).explorer).toBe(true);
    expect(loadConfig({ ...env, NODE_ENV: 'production' }).explorer).toBe(false);
    expect(loadConfig({ ...env, NODE_ENV: 'production', PULSE_EXPLORER: 'on' }).explorer).toBe(true);
    expect(loadConfig({ ...env, PULSE_EXPLORER: 'off' }).explorer).toBe(false);
    expect(loadConfig({ ...env, PULSE_EXPLORER: 'TRUE' }).explorer).toBe(true);
    expect(() => loadConfig({ ...env, PULSE_EXPLORER: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PULSE_EXPLORER: 'maybe' })).toThrow(/PULSE_EXPLORER/);
  });

  it('leaves GET /graphql to Apollo in production, while the board and the schema stay served', async () => {
    const production = await startTestServer({ NODE_ENV: 'production' });
    try {
      const page = await fetch(`${production.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
      expect(page.headers.get('content-type')).toMatch(/json/);
      expect((await fetch(`${production.url}/explorer/explorer.js`)).status).toBe(404);
      expect((await fetch(`${production.url}/board`, { headers: { accept: BROWSER_ACCEPT } })).status).toBe(200);
      expect((await fetch(`${production.url}/schema.graphql`)).status).toBe(200);
    } finally {
      await production.server.stop();
      await production.testDatabase.drop();
    }
  });
});
