import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

describe('HTTP surface', () => {
  it('answers the health check when the database is reachable', async () => {
    const response = await fetch(`${server().url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it('refuses oversized and malformed bodies with typed errors', async () => {
    const big = await fetch(`${server().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ me { id } }`, variables: { padding: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(big.status).toBe(413);
    const broken = await fetch(`${server().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(broken.status).toBe(400);
    expect(JSON.stringify(await broken.json())).not.toMatch(/at .*\.js/);
  });

  it('names the argument in validation errors and never shows a stack trace', async () => {
    const result = await server().client.request(`mutation { signUp(input: {organizationName: "x"}) { token } }`);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(result.errors)).not.toMatch(/stacktrace|at .*\.ts/);
    const badScalar = await server().client.request(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, {
      input: { name: 'x', amount: 'ten dollars' },
    });
    expect(badScalar.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('configuration', () => {
  it('validates every variable and names the bad one', () => {
    const expectBad = (env: Record<string, string>, variable: string): void => {
      try {
        loadConfig({ PULSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulse-config-')), ...env });
        expect.fail(`expected ${variable} to be refused`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variable).toBe(variable);
      }
    };
    expectBad({ PORT: 'eighty' }, 'PORT');
    expectBad({ PORT: '70000' }, 'PORT');
    expectBad({ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL');
    expectBad({ DATABASE_URL: 'postgres://localhost/x', DATABASE_APP_URL: 'mysql://localhost/x' }, 'DATABASE_APP_URL');
    // The app login is a second connection beside the owner's: not on the embedded PGlite.
    expectBad({ DATABASE_APP_URL: 'postgres://pulse_login@localhost/x' }, 'DATABASE_APP_URL');
    expectBad({ LOG_LEVEL: 'chatty' }, 'LOG_LEVEL');
    expectBad({ JWT_SECRET: 'short' }, 'JWT_SECRET');
    expectBad({ NODE_ENV: 'production' }, 'JWT_SECRET');
  });

  it('generates and keeps a JWT secret in the data folder on the embedded default', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-secret-'));
    const first = loadConfig({ PULSE_DATA_DIR: dataDir });
    const second = loadConfig({ PULSE_DATA_DIR: dataDir });
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(first.databaseUrl).toBeUndefined();
    expect(first.port).toBe(4000);
  });
});

function run(env: Record<string, string>): { done: Promise<{ code: number | null; output: string }>; kill: (signal: NodeJS.Signals) => void; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { done, kill: (signal) => child.kill(signal), output: () => output };
}

describe('the pulse process', () => {
  it('stops at start-up on a bad value, naming the variable', async () => {
    const { code, output } = await run({ PORT: 'not-a-port', PULSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulse-bad-')) }).done;
    expect(code).toBe(2);
    expect(output).toContain('PORT');
  }, 60_000);

  it('starts on the embedded database with no configuration and stops cleanly on SIGTERM', async () => {
    const proc = run({ PORT: '0', PULSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'pulse-run-')) });
    // A first start creates the embedded cluster (initdb in WebAssembly): slow on a loaded machine.
    for (let i = 0; i < 900 && !proc.output().includes('serving GraphQL'); i += 1) await new Promise((r) => setTimeout(r, 100));
    const url = /on (http:\/\/[^\s]+)\/graphql/.exec(proc.output())?.[1];
    expect(url, proc.output()).toBeTruthy();
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'pglite' });
    proc.kill('SIGTERM');
    const { code } = await proc.done;
    expect(code).toBe(0);
  }, 120_000);
});
