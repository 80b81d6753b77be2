import { describe, expect, it } from 'vitest';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

/** 1,200 deals, inserted through the API in parallel batches, some with equal or missing amounts and dates. */
async function seedDeals(admin: SignedInUser, total: number): Promise<Set<string>> {
  const ids = new Set<string>();
  const batch = 20;
  for (let start = 0; start < total; start += batch) {
    const aliases = Array.from({ length: Math.min(batch, total - start) }, (_, i) => {
      const n = start + i;
      const amount = n % 7 === 0 ? 'null' : `"${(n % 50) * 10}.00"`;
      const closing = n % 5 === 0 ? 'null' : `"2026-0${(n % 9) + 1}-1${n % 10}"`;
      return `d${n}: createDeal(input: {name: "Deal ${String(n % 97).padStart(3, '0')}", amount: ${amount}, closingDate: ${closing}}) { id }`;
    });
    const data = await admin.client.ok(`mutation { ${aliases.join('\n')} }`);
    for (const value of Object.values(data) as { id: string }[]) ids.add(value.id);
  }
  return ids;
}

async function walk(admin: SignedInUser, orderBy: string, pageSize: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { deals: { nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await admin.client.ok(
      `query($after: String) { deals(first: ${pageSize}, after: $after, orderBy: ${orderBy}) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    seen.push(...data.deals.nodes.map((node) => node.id));
    if (!data.deals.pageInfo.hasNextPage) return seen;
    after = data.deals.pageInfo.endCursor;
  }
}

describe('keyset pagination', () => {
  it('walks 1,200 records in every order without skipping or repeating one', async () => {
    const admin = await signUpOrganization(server().client);
    const ids = await seedDeals(admin, 1200);
    expect(ids.size).toBe(1200);
    const { deals } = await admin.client.ok(`{ deals { totalCount } }`);
    expect(deals.totalCount).toBe(1200);
    const orders = [
      '{field: CREATED_AT, direction: DESC}',
      '{field: NAME, direction: ASC}',
      '{field: AMOUNT, direction: ASC}',
      '{field: AMOUNT, direction: DESC}',
      '{field: CLOSING_DATE, direction: ASC}',
      '{field: CLOSING_DATE, direction: DESC}',
    ];
    for (const order of orders) {
      const seen = await walk(admin, order, 200);
      expect(seen.length, order).toBe(1200);
      expect(new Set(seen).size, order).toBe(1200);
    }
    // Small pages across the null group and ties of the nullable sort key.
    const small = await walk(admin, '{field: AMOUNT, direction: ASC}', 37);
    expect(new Set(small).size).toBe(1200);
  }, 180_000);

  it('caps a page at 200 and rejects a cursor it did not issue', async () => {
    const admin = await signUpOrganization(server().client);
    const tooMany = await admin.client.fails('BAD_USER_INPUT', `{ deals(first: 201) { nodes { id } } }`);
    expect(tooMany.extensions?.['field']).toBe('first');
    const garbage = await admin.client.fails('BAD_USER_INPUT', `{ deals(after: "definitely-not-a-cursor") { nodes { id } } }`);
    expect(garbage.extensions?.['field']).toBe('after');
    // A board column's own page follows the same cap.
    const pipeline = await defaultPipeline(admin.client);
    for (const first of [-1, 201]) {
      const column = await admin.client.fails('BAD_USER_INPUT', `query($p: ID!) { dealsBoard(pipelineId: $p) { columns { deals(first: ${first}) { nodes { id } } } } }`, { p: pipeline.id });
      expect(column.extensions?.['field']).toBe('first');
    }
  });
});
