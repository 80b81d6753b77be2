import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from 'postgres';

/** The board as Pulse's GraphQL answers it for BOARD_QUERY; the floor reproduces it exactly. */
export const BOARD_QUERY = `query Board($p: ID!) {
  dealsBoard(pipelineId: $p) {
    columns {
      stage { id name }
      count totalAmount weightedAmount
      deals { nodes { id name amount owner { name } } }
    }
  }
}`;

export interface BoardCard {
  readonly id: string;
  readonly name: string;
  readonly amount: string | null;
  readonly owner: { readonly name: string };
}

export interface BoardColumn {
  readonly stage: { readonly id: string; readonly name: string };
  readonly count: number;
  readonly totalAmount: string;
  readonly weightedAmount: string;
  readonly deals: { readonly nodes: BoardCard[] };
}

export interface BoardResponse {
  readonly data: { readonly dealsBoard: { readonly columns: BoardColumn[] } };
}

interface FloorRow {
  readonly stage_id: string;
  readonly stage_name: string;
  readonly n: number;
  readonly total: string;
  readonly weighted: string;
  readonly id: string | null;
  readonly name: string | null;
  readonly amount: string | null;
  readonly owner_name: string | null;
}

/**
 * One statement: per-stage count and sums over the whole column, and the first `perStage` cards of
 * each stage in board order (board_rank is COLLATE "C"), with their owner's name.
 */
export async function floorBoard(sql: Sql, organizationId: string, pipelineId: string, perStage = 50): Promise<BoardResponse> {
  const rows = await sql<FloorRow[]>`
    with totals as (
      select stage_id, count(*)::int as n,
             coalesce(sum(amount), 0)::numeric(20,2)::text as total,
             coalesce(sum(round(amount * probability / 100.0, 2)), 0)::numeric(20,2)::text as weighted
      from deals
      where organization_id = ${organizationId} and pipeline_id = ${pipelineId} and deleted_at is null
      group by stage_id
    )
    select s.id as stage_id, s.name as stage_name, coalesce(t.n, 0) as n,
           coalesce(t.total, '0.00') as total, coalesce(t.weighted, '0.00') as weighted,
           c.id, c.name, c.amount, c.owner_name
    from stages s
    left join totals t on t.stage_id = s.id
    left join lateral (
      select d.id, d.name, d.amount::text as amount, u.name as owner_name, d.board_rank
      from deals d
      join users u on u.organization_id = d.organization_id and u.id = d.owner_id
      where d.organization_id = s.organization_id and d.stage_id = s.id and d.pipeline_id = s.pipeline_id and d.deleted_at is null
      order by d.board_rank, d.id
      limit ${perStage}
    ) c on true
    where s.organization_id = ${organizationId} and s.pipeline_id = ${pipelineId} and s.deleted_at is null
    order by s.position, s.id, c.board_rank, c.id`;
  const columns: BoardColumn[] = [];
  let current: BoardColumn | undefined;
  for (const row of rows) {
    if (current?.stage.id !== row.stage_id) {
      current = { stage: { id: row.stage_id, name: row.stage_name }, count: row.n, totalAmount: row.total, weightedAmount: row.weighted, deals: { nodes: [] } };
      columns.push(current);
    }
    if (row.id !== null) current.deals.nodes.push({ id: row.id, name: row.name ?? '', amount: row.amount, owner: { name: row.owner_name ?? '' } });
  }
  return { data: { dealsBoard: { columns } } };
}

/** The floor behind a minimal node:http server: reads the JSON body, runs the statement, answers JSON. */
export async function startBoardFloorServer(sql: Sql, organizationId: string, pipelineId: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: unknown): void => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, { errors: [{ message: 'Request body is not valid JSON' }] });
      }
      floorBoard(sql, organizationId, pipelineId).then(
        (body) => answer(200, body),
        (error: unknown) => answer(500, { errors: [{ message: String(error) }] }),
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
