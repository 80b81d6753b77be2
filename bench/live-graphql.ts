/** A GraphQL POST from the benchmark itself (setup and the fan-out mover; the loads use child processes). */
export async function graphqlRequest<T>(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T | null; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  return body.data;
}

export const MOVE_DEAL = `mutation Move($input: MoveDealInput!) { moveDeal(input: $input) { id version stage { id } } }`;

export interface MovedDeal {
  readonly moveDeal: { readonly id: string; readonly version: number; readonly stage: { readonly id: string } };
}
