import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signUpOrganization } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { GraphQLClient } from './helpers/graphql-client.js';
import { usesPostgres } from './helpers/test-database.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

// Polling is slowed down here so that only NOTIFY wakes the hub: statement counts stay exact.
const server = useTestServer({ EVENT_POLL_INTERVAL_MS: '60000', SUBSCRIBER_MAX_QUEUE: '10', SUBSCRIBER_STALL_MS: '300' });

const EVENTS = `subscription($p: ID!, $after: String) { dealEvents(pipelineId: $p, after: $after) { cursor kind deal { id version stage { name } owner { name } } } }`;

describe('fan-out', () => {
  it('resolves each event once per distinct selection, however many subscribers share it', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client);
    const stages = ['Needs Analysis', 'Value Proposition'].map((name) => stageNamed(pipeline, name).id);
    const measure = async (subscribers: number, version: number, stageId: string): Promise<number> => {
      const ws = connectWs(server().wsUrl, admin.token);
      try {
        const streams = Array.from({ length: subscribers }, () => ws.subscribe(EVENTS, { p: pipeline.id }));
        const hub = server().server.deps.hub;
        for (let i = 0; i < 200 && hub.subscriberCount() < subscribers; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
        // Each new stream reads the outbox once (its replay) right after registering.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const { count } = await server().countStatements(async () => {
          await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: version, stageId } });
          await Promise.all(streams.map((stream) => stream.waitFor(1)));
        });
        return count;
      } finally {
        await ws.dispose();
      }
    };
    const one = await measure(1, 1, stages[0]!);
    const twenty = await measure(20, 2, stages[1]!);
    // Executed once per subscriber it would cost 2 x 19 more statements (stage and owner loads);
    // a background re-check of the user's status may add one either way.
    expect(Math.abs(twenty - one)).toBeLessThanOrEqual(1);
  });

  it('disconnects a subscriber that falls too far behind with 4008, and it resumes from its last cursor', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client, { description: 'x'.repeat(4000) });
    const heavy = Array.from({ length: 25 }, (_, i) => `d${i}: deal { description }`).join(' ');
    const socket = new WebSocket(server().wsUrl, 'graphql-transport-ws');
    const received: { cursor: string }[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { dealEvents: { cursor: string } } } };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription($p: ID!) { dealEvents(pipelineId: $p) { cursor ${heavy} } }`, variables: { p: pipeline.id } } }));
      }
      if (message.type === 'next' && message.payload?.data) received.push(message.payload.data.dealEvents);
    });
    await new Promise((resolve) => socket.on('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin.token}` } }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Stop reading: the kernel buffers fill, the server's queue for this client grows past 10.
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    let version = 1;
    for (let i = 0; i < 150; i += 1) {
      const result = await admin.client.ok(`mutation($i: UpdateDealInput!) { updateDeal(input: $i) { version } }`, {
        i: { id: deal.id, expectedVersion: version, nextStep: `step ${i}` },
      });
      version = result.updateDeal.version;
    }
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).toBe(4008);
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(150);
    // Resuming from the last cursor it got delivers exactly the rest.
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const rest = ws.subscribe(EVENTS, { p: pipeline.id, after: received.at(-1)!.cursor });
      const events = await rest.waitFor(150 - received.length, 30_000);
      expect(events).toHaveLength(150 - received.length);
    } finally {
      await ws.dispose();
    }
  }, 120_000);
});

async function startProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 600; i += 1) {
    const url = /on (http:\/\/\S+)\/graphql/.exec(output)?.[1];
    if (url) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`process did not start: ${output}`);
}

describe('many processes, one database', () => {
  it.skipIf(!usesPostgres)('delivers an event committed through one process to a subscriber on another', async () => {
    const env = { DATABASE_URL: server().testDatabase.url!, JWT_SECRET: server().config.jwtSecret, PULSE_DATA_DIR: '/tmp/pulse-multi' };
    const [one, two] = await Promise.all([startProcess(env), startProcess(env)]);
    try {
      const writer = new GraphQLClient(`${one.url}/graphql`);
      const admin = await signUpOrganization(writer);
      const pipeline = await defaultPipeline(admin.client);
      const deal = await createDeal(admin.client);
      const ws = connectWs(`${two.url.replace('http', 'ws')}/graphql`, admin.token);
      try {
        const stream = ws.subscribe(EVENTS, { p: pipeline.id });
        await new Promise((resolve) => setTimeout(resolve, 500));
        const started = Date.now();
        await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Closed Won').id } });
        const [event] = await stream.waitFor(1);
        expect(event).toMatchObject({ dealEvents: { kind: 'MOVED', deal: { id: deal.id, stage: { name: 'Closed Won' } } } });
        // Woken by NOTIFY, not by the 2-second poll.
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await ws.dispose();
      }
    } finally {
      one.child.kill('SIGTERM');
      two.child.kill('SIGTERM');
    }
  }, 120_000);
});
