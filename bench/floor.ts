import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from 'postgres';

/**
 * The floor: what the nested query costs when written by hand as one SQL statement, with no
 * GraphQL, no authentication and no per-relation loaders.
 */

export const NESTED_DEALS_QUERY = `query FoundationDeals {
  deals(first: 100) {
    nodes {
      account { name owner { name } }
      contact { email }
      owner { name }
      stage { name }
    }
  }
}`;

export interface DealNode {
  readonly account: { readonly name: string; readonly owner: { readonly name: string } } | null;
  readonly contact: { readonly email: string | null } | null;
  readonly owner: { readonly name: string };
  readonly stage: { readonly name: string };
}

/** The GraphQL response body of NESTED_DEALS_QUERY, which the floor reproduces exactly. */
export interface DealsResponse {
  readonly data: { readonly deals: { readonly nodes: DealNode[] } };
}

interface FloorRow {
  readonly account_id: string | null;
  readonly account_name: string | null;
  readonly account_owner_name: string | null;
  readonly contact_id: string | null;
  readonly contact_email: string | null;
  readonly owner_name: string;
  readonly stage_name: string;
}

/**
 * Same rows, same order as Pulse's `deals` list (organisation, not deleted, created_at DESC, id
 * DESC), with every relation joined on the tenant-leading keys.
 */
export async function floorDeals(sql: Sql, organizationId: string): Promise<DealsResponse> {
  const rows = await sql<FloorRow[]>`
    select a.id as account_id, a.name as account_name, ao.name as account_owner_name,
           c.id as contact_id, c.email as contact_email, o.name as owner_name, s.name as stage_name
    from deals d
    left join accounts a on a.organization_id = d.organization_id and a.id = d.account_id
    left join users ao on ao.organization_id = a.organization_id and ao.id = a.owner_id
    left join contacts c on c.organization_id = d.organization_id and c.id = d.contact_id
    join users o on o.organization_id = d.organization_id and o.id = d.owner_id
    join stages s on s.organization_id = d.organization_id and s.id = d.stage_id
    where d.organization_id = ${organizationId} and d.deleted_at is null
    order by d.created_at desc, d.id desc
    limit 100`;
  const nodes = rows.map(
    (row): DealNode => ({
      account: row.account_id === null ? null : { name: row.account_name ?? '', owner: { name: row.account_owner_name ?? '' } },
      contact: row.contact_id === null ? null : { email: row.contact_email },
      owner: { name: row.owner_name },
      stage: { name: row.stage_name },
    }),
  );
  return { data: { deals: { nodes } } };
}

export interface FloorServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** The floor over HTTP: reads the JSON body, runs the one statement, answers JSON, like Pulse must. */
export async function startFloorServer(sql: Sql, organizationId: string): Promise<FloorServer> {
  const server: Server = createServer((req, res) => {
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
        answer(400, { errors: [{ message: 'Request body is not valid JSON' }] });
        return;
      }
      floorDeals(sql, organizationId).then(
        (body) => answer(200, body),
        (error: unknown) => answer(500, { errors: [{ message: error instanceof Error ? error.message : String(error) }] }),
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
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
