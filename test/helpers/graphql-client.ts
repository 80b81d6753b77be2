import { expect } from 'vitest';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<T> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
}

/** Talks to the server over HTTP exactly as a partner's client would. */
export class GraphQLClient {
  constructor(
    readonly endpoint: string,
    readonly token: string | null = null,
  ) {}

  as(token: string | null): GraphQLClient {
    return new GraphQLClient(this.endpoint, token);
  }

  async request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T | null; errors?: GraphQLErrorShape[] };
    return { status: response.status, data: body.data, errors: body.errors };
  }

  /** The data of a request that must succeed. */
  async ok<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.request<T>(query, variables);
    if (result.errors) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** The first error of a request that must fail with `code`. */
  async fails(code: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLErrorShape> {
    const result = await this.request(query, variables);
    expect(result.errors, `expected ${code}, got data ${JSON.stringify(result.data)}`).toBeDefined();
    const [error] = result.errors ?? [];
    expect(error?.extensions?.code, JSON.stringify(result.errors)).toBe(code);
    return error as GraphQLErrorShape;
  }
}
