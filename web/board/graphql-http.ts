// Queries and mutations go over HTTP with the token as a Bearer header; errors keep Pulse's
// extensions.code so the page can tell a CONFLICT from a signed-out session.

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

interface Response<T> {
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T>(query: string, variables: Record<string, unknown>, token: string | null): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Response<T>;
  const [error] = body.errors ?? [];
  if (error) throw new GraphQLRequestError(error.message, String(error.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR'), error.extensions ?? {});
  if (!body.data) throw new GraphQLRequestError(`Unexpected answer (HTTP ${response.status})`, 'INTERNAL_SERVER_ERROR', {});
  return body.data;
}
