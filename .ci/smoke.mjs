// Starts Pulse exactly as a newcomer would (no configuration: embedded PGlite in a fresh data
// folder), signs up, creates and reads a deal over HTTP, then stops it with SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'pulse-smoke-'));
const env = { ...process.env, PULSE_DATA_DIR: dataDir, PORT: '0' };
delete env.DATABASE_URL;
delete env.TEST_DATABASE_URL;
const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
child.stderr.on('data', (chunk) => (output += chunk));
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

function fail(message) {
  console.error(`smoke: ${message}\n--- server output ---\n${output}`);
  try { process.kill(-child.pid, 'SIGKILL'); } catch {}
  process.exit(1);
}

async function gql(url, query, variables, token) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const started = Date.now();
let url;
while (!url) {
  if (Date.now() - started > 90_000) fail('the server did not start within 90 s');
  url = /on (http:\/\/\S+)\/graphql/.exec(output)?.[1];
  await new Promise((r) => setTimeout(r, 200));
}
const health = await fetch(`${url}/healthz`).then((r) => r.json());
if (health.status !== 'ok' || health.database !== 'pglite') fail(`unexpected health: ${JSON.stringify(health)}`);
const { signUp } = await gql(url, `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
  i: { organizationName: 'Smoke Co', name: 'Smoke Admin', email: 'smoke@example.com', password: 'smoke-test-password' },
});
const { createDeal } = await gql(url, `mutation { createDeal(input: {name: "Smoke deal", amount: "1234.50"}) { id } }`, {}, signUp.token);
const { deal } = await gql(url, `query($id: ID!) { deal(id: $id) { name amount weightedAmount stage { name } } }`, { id: createDeal.id }, signUp.token);
if (deal.name !== 'Smoke deal' || deal.amount !== '1234.50' || deal.stage.name !== 'Qualification') fail(`unexpected deal ${JSON.stringify(deal)}`);
process.kill(-child.pid, 'SIGTERM');
const timeout = setTimeout(() => fail('the server did not stop within 20 s of SIGTERM'), 20_000);
const { code, signal } = await exited;
clearTimeout(timeout);
if (code !== 0 && signal !== 'SIGTERM') fail(`the server exited with ${code ?? signal}`);
rmSync(dataDir, { recursive: true, force: true });
console.log(`smoke: started, signed up, created and read a deal, stopped (${Date.now() - started} ms)`);
