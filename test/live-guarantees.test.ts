import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed } from './factories/pipelines.factory.js';
import { createDeal, createLead } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer();

const seqOf = (cursor: string): number => Number(Buffer.from(cursor, 'base64url').toString('utf8').split(':')[1]);

describe('live guarantees', () => {
  it('emits nothing for a change that rolls back after its event was queued', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    const lead = await createLead(admin.client);
    const { db } = server().server.deps;
    // The conversion fails on its very last write, after the new deal and its CREATED event.
    await db.execute(sql.raw(`
      create or replace function pulse_test_refuse() returns trigger language plpgsql as $$
      begin if new.status = 'Converted' then raise exception 'refused by test'; end if; return new; end $$`));
    await db.execute(sql.raw(`create trigger pulse_test_refuse before update on leads for each row execute function pulse_test_refuse()`));
    try {
      const result = await admin.client.request(`mutation($i: ConvertLeadInput!) { convertLead(input: $i) { deal { id } } }`, {
        i: { id: lead.id, createDeal: { name: 'Never' } },
      });
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await db.execute(sql.raw(`drop trigger pulse_test_refuse on leads`));
      await db.execute(sql.raw(`drop function pulse_test_refuse()`));
    }
    const { dealsBoard: after } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor columns { count } } }`, { p: pipeline.id });
    expect(after.cursor).toBe(dealsBoard.cursor);
    expect(after.columns.every((c: { count: number }) => c.count === 0)).toBe(true);
  });

  it('numbers events consecutively across concurrent writers', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const { dealsBoard } = await admin.client.ok(`query($p: ID!) { dealsBoard(pipelineId: $p) { cursor } }`, { p: pipeline.id });
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const stream = ws.subscribe<{ dealEvents: { cursor: string } }>(`subscription($p: ID!, $a: String) { dealEvents(pipelineId: $p, after: $a) { cursor } }`, { p: pipeline.id, a: dealsBoard.cursor });
      await Promise.all(Array.from({ length: 12 }, () => createDeal(admin.client)));
      const events = await stream.waitFor(12);
      const seqs = events.map((e) => seqOf(e.dealEvents.cursor));
      const start = seqOf(dealsBoard.cursor);
      expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => start + i + 1));
    } finally {
      await ws.dispose();
    }
  });

  it('tells stage changes apart from reorders in dealStageChanged', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const first = await createDeal(admin.client);
    const second = await createDeal(admin.client);
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const changes = ws.subscribe<{ dealStageChanged: { deal: { id: string }; fromStage: { name: string }; toStage: { name: string }; movedBy: { id: string } } }>(
        `subscription { dealStageChanged { cursor deal { id } fromStage { name } toStage { name } movedBy { id } } }`,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const qualification = stageNamed(pipeline, 'Qualification');
      // A reorder within the column is not a stage change...
      await admin.client.ok(MOVE, { input: { id: second.id, expectedVersion: 1, stageId: qualification.id, beforeId: first.id } });
      // ...a move to another stage is.
      await admin.client.ok(MOVE, { input: { id: first.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Closed Lost').id } });
      const [event] = await changes.waitFor(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(changes.items).toHaveLength(1);
      expect(event?.dealStageChanged).toEqual({ cursor: expect.any(String), deal: { id: first.id }, fromStage: { name: 'Qualification' }, toStage: { name: 'Closed Lost' }, movedBy: { id: admin.userId } });
    } finally {
      await ws.dispose();
    }
  });

  it('resumes the signal feed from the list cursor with no gap', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    const RECORD = `mutation($l: ID!) { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: $l}) { id } }`;
    await admin.client.ok(RECORD, { l: lead.id });
    const { salesSignals } = await admin.client.ok(`{ salesSignals { cursor totalCount } }`);
    expect(salesSignals.totalCount).toBe(1);
    await admin.client.ok(RECORD, { l: lead.id });
    const ws = connectWs(server().wsUrl, admin.token);
    try {
      const feed = ws.subscribe<{ salesSignal: { kind: string } }>(`subscription($a: String) { salesSignal(after: $a) { cursor kind } }`, { a: salesSignals.cursor });
      await feed.waitFor(1);
      await admin.client.ok(RECORD, { l: lead.id });
      await feed.waitFor(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(feed.items).toHaveLength(2);
    } finally {
      await ws.dispose();
    }
  });

  it('stops a deactivated user\'s subscription and closes the socket with 4403', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client);
    const ws = connectWs(server().wsUrl, member.token);
    try {
      const stream = ws.subscribe(`subscription($p: ID!) { dealEvents(pipelineId: $p) { cursor } }`, { p: pipeline.id });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await admin.client.ok(`mutation { deactivateUser(id: "${member.userId}") { id } }`);
      // Active users are re-checked at most every 5 seconds.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      await admin.client.ok(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Closed Won').id } });
      expect((await ws.closed).code).toBe(4403);
      expect(stream.items).toEqual([]);
    } finally {
      await ws.dispose();
    }
  }, 30_000);
});
