import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, stageNamed } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const BOARD = `query($pipelineId: ID!, $filter: DealFilter, $perStage: Int) {
  dealsBoard(pipelineId: $pipelineId, filter: $filter, perStage: $perStage) {
    cursor
    pipeline { id }
    columns { stage { name } count totalAmount weightedAmount deals { nodes { id name } pageInfo { hasNextPage endCursor } } }
  }
}`;

async function columnIds(admin: SignedInUser, pipelineId: string, stageName: string): Promise<string[]> {
  const { dealsBoard } = await admin.client.ok(BOARD, { pipelineId, perStage: 200 });
  const column = dealsBoard.columns.find((c: { stage: { name: string } }) => c.stage.name === stageName);
  return column.deals.nodes.map((d: { id: string }) => d.id);
}

describe('pipelines and stages', () => {
  it('lets administrators create, rename, reorder and delete stages, moving deals rather than orphaning them', async () => {
    const admin = await signUpOrganization(server().client);
    const { createPipeline } = await admin.client.ok(
      `mutation { createPipeline(input: {name: "Renewals", stages: [{name: "Due", probability: 30}, {name: "Quoted", probability: 60}, {name: "Renewed", probability: 100, kind: WON}]}) { id isDefault stages { id name position } } }`,
    );
    expect(createPipeline.isDefault).toBe(false);
    const [due, quoted, renewed] = createPipeline.stages;
    const { createStage } = await admin.client.ok(`mutation($i: CreateStageInput!) { createStage(input: $i) { id position } }`, {
      i: { pipelineId: createPipeline.id, name: 'Negotiating', probability: 80 },
    });
    expect(createStage.position).toBe(2);
    await admin.client.ok(`mutation($i: UpdateStageInput!) { updateStage(input: $i) { id } }`, { i: { id: quoted.id, name: 'Quote sent', probability: 65 } });
    await admin.client.ok(`mutation($i: ReorderStagesInput!) { reorderStages(input: $i) { id } }`, {
      i: { pipelineId: createPipeline.id, stageIds: [quoted.id, due.id, createStage.id, renewed.id] },
    });
    const deal = await createDeal(admin.client, { pipelineId: createPipeline.id, stageId: due.id });
    await admin.client.fails('BAD_USER_INPUT', `mutation($i: DeleteStageInput!) { deleteStage(input: $i) { id } }`, { i: { id: due.id } });
    const { deleteStage } = await admin.client.ok(`mutation($i: DeleteStageInput!) { deleteStage(input: $i) { stages { name probability position } } }`, {
      i: { id: due.id, moveDealsToStageId: createStage.id },
    });
    expect(deleteStage.stages).toEqual([
      { name: 'Quote sent', probability: 65, position: 0 },
      { name: 'Negotiating', probability: 80, position: 1 },
      { name: 'Renewed', probability: 100, position: 2 },
    ]);
    const { deal: moved } = await admin.client.ok(`{ deal(id: "${deal.id}") { stage { name } probability stageHistory { fromStage { name } toStage { name } } } }`);
    expect(moved).toMatchObject({ stage: { name: 'Negotiating' }, probability: 80 });
    expect(moved.stageHistory.map((h: { toStage: { name: string } }) => h.toStage.name)).toEqual(['Due', 'Negotiating']);
    const member = await inviteMember(admin);
    await member.client.fails('FORBIDDEN', `mutation { createPipeline(input: {name: "Mine"}) { id } }`);
    await member.client.fails('FORBIDDEN', `mutation($i: UpdateStageInput!) { updateStage(input: $i) { id } }`, { i: { id: quoted.id, probability: 1 } });
    await admin.client.fails('BAD_USER_INPUT', `mutation($i: ReorderStagesInput!) { reorderStages(input: $i) { id } }`, {
      i: { pipelineId: createPipeline.id, stageIds: [quoted.id] },
    });
  });
});

describe('the board', () => {
  it('totals every filtered column in SQL, exactly, and lists cards in board order', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const pipeline = await defaultPipeline(admin.client);
    const proposal = stageNamed(pipeline, 'Proposal/Price Quote');
    await createDeal(admin.client, { amount: '100.10', stageId: proposal.id });
    await createDeal(admin.client, { amount: '0.05', stageId: proposal.id });
    await createDeal(admin.client, { amount: null, stageId: proposal.id });
    await createDeal(member.client, { amount: '1000.00', stageId: proposal.id });
    const deleted = await createDeal(admin.client, { amount: '5000.00', stageId: proposal.id });
    await admin.client.ok(`mutation { deleteDeal(id: "${deleted.id}") { id } }`);
    const { dealsBoard } = await admin.client.ok(BOARD, { pipelineId: pipeline.id, perStage: 2 });
    expect(dealsBoard.columns).toHaveLength(8);
    const column = dealsBoard.columns.find((c: { stage: { name: string } }) => c.stage.name === 'Proposal/Price Quote');
    // 100.10 x 0.75 = 75.075 -> 75.08; 0.05 x 0.75 = 0.0375 -> 0.04; 1000 x 0.75 = 750.00
    expect(column).toMatchObject({ count: 4, totalAmount: '1100.15', weightedAmount: '825.12' });
    expect(column.deals.nodes).toHaveLength(2);
    expect(column.deals.pageInfo.hasNextPage).toBe(true);
    const empty = dealsBoard.columns.find((c: { stage: { name: string } }) => c.stage.name === 'Qualification');
    expect(empty).toMatchObject({ count: 0, totalAmount: '0.00', weightedAmount: '0.00' });
    const filtered = await admin.client.ok(BOARD, { pipelineId: pipeline.id, filter: { ownerId: member.userId } });
    expect(filtered.dealsBoard.columns.find((c: { stage: { name: string } }) => c.stage.name === 'Proposal/Price Quote')).toMatchObject({
      count: 1,
      totalAmount: '1000.00',
      weightedAmount: '750.00',
    });
    const more = await admin.client.ok(
      `query($p: ID!, $after: String) { dealsBoard(pipelineId: $p, perStage: 2) { columns { stage { name } deals(first: 5, after: $after) { nodes { id } } } } }`,
      { p: pipeline.id, after: column.deals.pageInfo.endCursor },
    );
    const rest = more.dealsBoard.columns.find((c: { stage: { name: string } }) => c.stage.name === 'Proposal/Price Quote');
    expect(rest.deals.nodes).toHaveLength(2);
    await admin.client.fails('NOT_FOUND', BOARD, { pipelineId: '00000000-0000-4000-8000-000000000000' });
  });

  it('runs in the same number of statements for 3 stages as for 12', async () => {
    const admin = await signUpOrganization(server().client);
    const small = await admin.client.ok(
      `mutation { createPipeline(input: {name: "Small", stages: [{name: "A", probability: 10}, {name: "B", probability: 50}, {name: "C", probability: 100, kind: WON}]}) { id stages { id } } }`,
    );
    const stages = Array.from({ length: 12 }, (_, i) => `{name: "S${i}", probability: ${i * 8}}`).join(', ');
    const large = await admin.client.ok(`mutation { createPipeline(input: {name: "Large", stages: [${stages}]}) { id stages { id } } }`);
    for (const pipeline of [small.createPipeline, large.createPipeline]) {
      for (const stage of pipeline.stages) await createDeal(admin.client, { pipelineId: pipeline.id, stageId: stage.id });
    }
    const query = `query($p: ID!) { dealsBoard(pipelineId: $p) { cursor columns { stage { name } count totalAmount deals { nodes { name owner { name } account { name } } } } } }`;
    const three = await server().fewestStatements(() => admin.client.ok(query, { p: small.createPipeline.id }));
    const twelve = await server().fewestStatements(() => admin.client.ok(query, { p: large.createPipeline.id }));
    expect(twelve.count, twelve.statements.join('\n')).toBe(three.count);
  });
});

describe('moving deals', () => {
  it('moves a card between two neighbours, takes the stage probability, closes it and records the history', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const needs = stageNamed(pipeline, 'Needs Analysis');
    const won = stageNamed(pipeline, 'Closed Won');
    const first = await createDeal(admin.client, { stageId: needs.id });
    const second = await createDeal(admin.client, { stageId: needs.id });
    const third = await createDeal(admin.client, { stageId: needs.id });
    expect(await columnIds(admin, pipeline.id, 'Needs Analysis')).toEqual([first.id, second.id, third.id]);
    // Third goes between first and second: one row written, order as asked.
    const { moveDeal } = await admin.client.ok(MOVE, { input: { id: third.id, expectedVersion: 1, stageId: needs.id, afterId: first.id, beforeId: second.id } });
    expect(moveDeal.version).toBe(2);
    expect(await columnIds(admin, pipeline.id, 'Needs Analysis')).toEqual([first.id, third.id, second.id]);
    // To the top of another stage: probability and closing follow the stage.
    const toWon = await admin.client.ok(MOVE, { input: { id: first.id, expectedVersion: 1, stageId: won.id } });
    expect(toWon.moveDeal).toMatchObject({ probability: 100, stage: { name: 'Closed Won' } });
    expect(toWon.moveDeal.closedAt).toBeTruthy();
    const back = await admin.client.ok(MOVE, { input: { id: first.id, expectedVersion: 2, stageId: needs.id, beforeId: third.id } });
    expect(back.moveDeal).toMatchObject({ probability: 20, closedAt: null });
    expect(await columnIds(admin, pipeline.id, 'Needs Analysis')).toEqual([first.id, third.id, second.id]);
    const { deal } = await admin.client.ok(
      `{ deal(id: "${first.id}") { stageHistory { fromStage { name } toStage { name } movedBy { id } secondsInPreviousStage } timeline { nodes { kind } } } }`,
    );
    expect(deal.stageHistory.map((h: { fromStage: { name: string } | null; toStage: { name: string } }) => [h.fromStage?.name ?? null, h.toStage.name])).toEqual([
      [null, 'Needs Analysis'],
      ['Needs Analysis', 'Closed Won'],
      ['Closed Won', 'Needs Analysis'],
    ]);
    expect(deal.stageHistory[1].movedBy.id).toBe(admin.userId);
    expect(deal.stageHistory[1].secondsInPreviousStage).toBeGreaterThanOrEqual(0);
  });

  it('tells the second of two sellers dragging the same card at once, and changes nothing for them', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client);
    const [a, b] = await Promise.all([
      admin.client.request(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Value Proposition').id } }),
      member.client.request(MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Closed Lost').id } }),
    ]);
    const outcomes = [a, b].map((r) => (r.errors ? r.errors[0]?.extensions?.code : 'OK')).sort();
    expect(outcomes).toEqual(['CONFLICT', 'OK']);
    const winner = (a.errors ? b : a).data as { moveDeal: { stage: { name: string } } };
    const { deal: after } = await admin.client.ok(`{ deal(id: "${deal.id}") { version stage { name } stageHistory { id } } }`);
    expect(after).toMatchObject({ version: 2, stage: { name: winner.moveDeal.stage.name } });
    expect(after.stageHistory).toHaveLength(2);
  });

  it('refuses neighbours from another stage and stages of another pipeline', async () => {
    const admin = await signUpOrganization(server().client);
    const pipeline = await defaultPipeline(admin.client);
    const deal = await createDeal(admin.client);
    const elsewhere = await createDeal(admin.client, { stageId: stageNamed(pipeline, 'Negotiation/Review').id });
    const error = await admin.client.fails('BAD_USER_INPUT', MOVE, {
      input: { id: deal.id, expectedVersion: 1, stageId: stageNamed(pipeline, 'Needs Analysis').id, afterId: elsewhere.id },
    });
    expect(error.extensions?.['field']).toBe('afterId');
    const other = await admin.client.ok(`mutation { createPipeline(input: {name: "Other"}) { stages { id } } }`);
    await admin.client.fails('BAD_USER_INPUT', MOVE, { input: { id: deal.id, expectedVersion: 1, stageId: other.createPipeline.stages[0].id } });
    const { deal: unchanged } = await admin.client.ok(`{ deal(id: "${deal.id}") { version } }`);
    expect(unchanged.version).toBe(1);
  });
});
