import type { GraphQLClient } from '../helpers/graphql-client.js';

export const CREATE_FIELD = `mutation($input: CreateCustomFieldInput!) {
  createCustomField(input: $input) { id apiName label type required unique options defaultValue lookupModule position active }
}`;

/** A custom field on `module` (GraphQL enum, e.g. LEADS). */
export async function createCustomField(client: GraphQLClient, input: Record<string, unknown>): Promise<{ id: string; apiName: string }> {
  const data = await client.ok<{ createCustomField: { id: string; apiName: string } }>(CREATE_FIELD, { input });
  return data.createCustomField;
}
