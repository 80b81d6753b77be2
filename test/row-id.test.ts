import { describe, expect, it } from 'vitest';
import { newRowId } from '../src/db/row-id.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { useTestServer } from './helpers/test-server.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const server = useTestServer();

describe('row ids', () => {
  it('are UUIDs of version 7: distinct, in the order they were made, led by the time', () => {
    const before = Date.now();
    // Far more than 4,096 in a millisecond would need: the counter's overflow borrows the next one.
    const ids = Array.from({ length: 50_000 }, () => newRowId());
    expect(ids.every((id) => V7.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const ms = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(ms(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(ms(ids[ids.length - 1]!)).toBeLessThanOrEqual(Date.now() + 50);
  });

  it('are what new records and their timeline entries get, from the API and from SQL', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation($input: CreateScoringRuleInput!) { createScoringRule(input: $input) { id } }`, {
      input: { module: 'LEADS', name: 'Big', fieldScores: [{ field: 'annualRevenue', operator: 'GREATER_THAN', value: '800000', points: 15 }] },
    });
    const { createLead } = await admin.client.ok(`mutation { createLead(input: {lastName: "Seven", annualRevenue: "900000"}) { id score timeline(first: 10) { nodes { id kind } } } }`);
    expect(createLead.id).toMatch(V7);
    expect(createLead.score).toBe(15);
    const kinds = createLead.timeline.nodes.map((node: { kind: string }) => node.kind).sort();
    expect(kinds).toEqual(['CREATED', 'SCORE_CHANGED']);
    for (const node of createLead.timeline.nodes) expect(node.id).toMatch(V7);
  });
});
