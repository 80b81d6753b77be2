import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { pruneEvents } from '../src/events/retention.js';
import { inviteMember, signUpOrganization } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer();

const DEAL_EVENTS = `subscription($pipelineId: ID!, $after: String) {
  dealEvents(pipelineId: $pipelineId, after: $after) {
    cursor kind dealId at actor { id } fromStage { name } toStage { name }
    deal { id name version probability stage { name } owner { id } }
  }
}`;

interface DealEventData {
  dealEvents: { cursor: string; kind: string; dealId: string; deal: { version: number; stage: { name: string } }; toStage: { name: string } | null };
}

describe('deal subscriptions', () => {
  it('pushes a move to every other viewer of the board, with who moved it and where', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client);
    const watcher = connectWs(server().wsUrl, member.token);
    const received = watcher.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id });
    try {
      // The subscription is live once the server acknowledged it; a no-op query round-trip is enough.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Value Proposition').id } });
      const [event] = await received.waitFor(1);
      expect(event?.dealEvents).toMatchObject({
        kind: 'MOVED',
        dealId: deal.id,
        fromStage: { name: 'Qualification' },
        toStage: { name: 'Value Proposition' },
        deal: { version: 2, probability: 40, stage: { name: 'Value Proposition' } },
      });
    } finally {
      await watcher.dispose();
    }
  });

  it('resumes from the board cursor or an event cursor: every missed event once, in order, then live', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    const deal = await createDeal(admin.client, { name: 'Resumed' });
    await admin.client.ok(`mutation { updateDeal(input: {id: "${deal.id}", expectedVersion: 1, amount: "10.00"}) { id } }`);
    await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 2, stageId: stageNamed(pipeline, 'Needs Analysis').id } });
    await admin.client.ok(`mutation { deleteDeal(id: "${deal.id}") { id } }`);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const replay = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id, after: dealsBoard.cursor });
      const events = await replay.waitFor(4);
      expect(events.map((e) => e.dealEvents.kind)).toEqual(['CREATED', 'UPDATED', 'MOVED', 'DELETED']);
      expect(events.map((e) => e.dealEvents.deal.version)).toEqual([1, 2, 3, 4]);
      await admin.client.ok(`mutation { restoreDeal(id: "${deal.id}") { id } }`);
      const withLive = await replay.waitFor(5);
      expect(withLive.map((e) => e.dealEvents.kind)).toEqual(['CREATED', 'UPDATED', 'MOVED', 'DELETED', 'RESTORED']);
      // Resuming from the second event gives exactly the three after it.
      const second = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id, after: events[1]!.dealEvents.cursor });
      const rest = await second.waitFor(3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(rest.map((e) => e.dealEvents.kind)).toEqual(['MOVED', 'DELETED', 'RESTORED']);
    } finally {
      await ws.dispose();
    }
  });

  it('refuses an expired cursor with CURSOR_EXPIRED and a foreign or garbled one with BAD_USER_INPUT', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    await createDeal(admin.client);
    await createDeal(admin.client);
    const { deps } = server().server;
    // Eight days later, retention has pruned both events.
    expect(await pruneEvents(deps, new Date(Date.now() + 8 * 24 * 3600 * 1000))).toBeGreaterThanOrEqual(2);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const expired = ws.subscribe(DEAL_EVENTS, { pipelineId: pipeline.id, after: dealsBoard.cursor });
      await expired.ended;
      expect(JSON.stringify(expired.errors)).toContain('CURSOR_EXPIRED');
      const garbled = ws.subscribe(DEAL_EVENTS, { pipelineId: pipeline.id, after: 'nonsense' });
      await garbled.ended;
      expect(JSON.stringify(garbled.errors)).toContain('BAD_USER_INPUT');
      const future = ws.subscribe(DEAL_EVENTS, { pipelineId: pipeline.id, after: Buffer.from('v1:99999').toString('base64url') });
      await future.ended;
      expect(JSON.stringify(future.errors)).toContain('BAD_USER_INPUT');
      // A fresh board cursor works again.
      const fresh = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
      const live = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id, after: fresh.dealsBoard.cursor });
      await createDeal(admin.client);
      expect((await live.waitFor(1))[0]?.dealEvents.kind).toBe('CREATED');
    } finally {
      await ws.dispose();
    }
  });

  it('ends a replay with CURSOR_EXPIRED when retention removes events it has not reached yet', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    await createDeal(admin.client);
    await createDeal(admin.client);
    // As if a prune deleted the first event after the cursor between the check and the replay.
    const { db } = server().server.deps;
    await db.execute(sql`delete from events where organization_id = ${admin.organizationId} and seq = (select min(seq) from events where organization_id = ${admin.organizationId})`);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const replay = ws.subscribe(DEAL_EVENTS, { pipelineId: pipeline.id, after: dealsBoard.cursor });
      await replay.ended;
      expect(JSON.stringify(replay.errors)).toContain('CURSOR_EXPIRED');
      expect(replay.items).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it('closes the socket with 4401 on a bad token and keeps organisations apart', async () => {
    const a = await signUpOrganization(server().client);
    const b = await signUpOrganization(server().client);
    const pipelineA = await defaultPipeline(a.client);
    const pipelineB = await defaultPipeline(b.client);
    const bad = connectWs(server().wsUrl, 'not-a-token');
    expect((await bad.closed).code).toBe(4401);
    const anonymous = connectWs(server().wsUrl, null);
    expect((await anonymous.closed).code).toBe(4401);
    const ws = connectWs(server().wsUrl, b.token);
    try {
      // B cannot subscribe to A's pipeline: NOT_FOUND, as for a pipeline that does not exist.
      const foreign = ws.subscribe(DEAL_EVENTS, { pipelineId: pipelineA.id });
      await foreign.ended;
      expect(JSON.stringify(foreign.errors)).toContain('NOT_FOUND');
      const own = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipelineB.id });
      const stageChanges = ws.subscribe(`subscription { dealStageChanged { cursor deal { id } } }`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const dealA = await createDeal(a.client);
      await a.client.ok(MOVE, { input: { id: dealA.id, expectedVersion: 1, stageId: stageNamed(pipelineA, 'Closed Won').id } });
      const dealB = await createDeal(b.client);
      const events = await own.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(events.map((e) => e.dealEvents.dealId)).toEqual([dealB.id]);
      expect(stageChanges.items).toEqual([]);
      // Queries and mutations do not run over the WebSocket.
      const query = ws.subscribe(`{ me { id } }`);
      await query.ended;
      expect(JSON.stringify(query.errors)).toContain('subscriptions only');
    } finally {
      await ws.dispose();
      await bad.dispose();
      await anonymous.dispose();
    }
  });

  it('delivers every committed event exactly once and in order while many writers race', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const stages = pipeline.stages.map((stage) => stage.id);
    const deals = await Promise.all(Array.from({ length: 8 }, () => createDeal(admin.client)));
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      // One subscriber live from the start, another that joins mid-way from the board cursor.
      const early = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id, after: dealsBoard.cursor });
      let committed = 0;
      let late: ReturnType<typeof ws.subscribe<DealEventData>> | undefined;
      await Promise.all(
        deals.map(async (deal, writer) => {
          let version = 1;
          for (let move = 0; move < 12; move += 1) {
            const stageId = stages[(writer + move + 1) % stages.length]!;
            const result = await admin.client.request(MOVE, { input: { id: deal.id, expectedVersion: version, stageId } });
            if (result.errors) throw new Error(JSON.stringify(result.errors));
            version = result.data!.moveDeal.version;
            committed += 1;
            if (writer === 0 && move === 5) late = ws.subscribe<DealEventData>(DEAL_EVENTS, { pipelineId: pipeline.id, after: dealsBoard.cursor });
          }
        }),
      );
      const expectedCount = committed;
      const seen = await early.waitFor(expectedCount, 30_000);
      const lateSeen = await late!.waitFor(expectedCount, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const list of [seen, lateSeen]) {
        expect(list).toHaveLength(expectedCount);
        const cursors = list.map((e) => e.dealEvents.cursor);
        expect(new Set(cursors).size).toBe(expectedCount);
        // Per deal, versions arrive strictly increasing: commit order is kept.
        const lastVersion = new Map<string, number>();
        for (const event of list) {
          const previous = lastVersion.get(event.dealEvents.dealId) ?? 1;
          expect(event.dealEvents.deal.version).toBe(previous + 1);
          lastVersion.set(event.dealEvents.dealId, event.dealEvents.deal.version);
        }
      }
      expect(lateSeen.map((e) => e.dealEvents.cursor)).toEqual(seen.map((e) => e.dealEvents.cursor));
    } finally {
      await ws.dispose();
    }
  }, 120_000);
});
