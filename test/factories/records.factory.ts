import type { GraphQLClient } from '../helpers/graphql-client.js';
import { unique, uniqueEmail } from './unique.js';

type Fields = Record<string, unknown>;

export async function createAccount(client: GraphQLClient, fields: Fields = {}): Promise<{ id: string; name: string; version: number }> {
  const data = await client.ok<{ createAccount: { id: string; name: string; version: number } }>(
    `mutation($input: CreateAccountInput!) { createAccount(input: $input) { id name version } }`,
    { input: { name: unique('Account'), ...fields } },
  );
  return data.createAccount;
}

export async function createContact(client: GraphQLClient, fields: Fields = {}): Promise<{ id: string; email: string | null; version: number }> {
  const data = await client.ok<{ createContact: { id: string; email: string | null; version: number } }>(
    `mutation($input: CreateContactInput!) { createContact(input: $input) { id email version } }`,
    { input: { firstName: 'Casey', lastName: unique('Contact'), email: uniqueEmail('contact'), ...fields } },
  );
  return data.createContact;
}

export async function createLead(client: GraphQLClient, fields: Fields = {}): Promise<{ id: string; email: string | null; version: number }> {
  const data = await client.ok<{ createLead: { id: string; email: string | null; version: number } }>(
    `mutation($input: CreateLeadInput!) { createLead(input: $input) { id email version } }`,
    { input: { firstName: 'Lee', lastName: unique('Lead'), email: uniqueEmail('lead'), company: unique('Company'), ...fields } },
  );
  return data.createLead;
}

export async function createDeal(client: GraphQLClient, fields: Fields = {}): Promise<{ id: string; version: number; stage: { id: string } }> {
  const data = await client.ok<{ createDeal: { id: string; version: number; stage: { id: string } } }>(
    `mutation($input: CreateDealInput!) { createDeal(input: $input) { id version stage { id } } }`,
    { input: { name: unique('Deal'), amount: '1000.00', ...fields } },
  );
  return data.createDeal;
}

export async function createActivity(client: GraphQLClient, fields: Fields = {}): Promise<{ id: string; version: number }> {
  const data = await client.ok<{ createActivity: { id: string; version: number } }>(
    `mutation($input: CreateActivityInput!) { createActivity(input: $input) { id version } }`,
    { input: { type: 'TASK', subject: unique('Task'), ...fields } },
  );
  return data.createActivity;
}

export async function createNote(client: GraphQLClient, relatedTo: { type: string; id: string }, body = unique('Note body')): Promise<{ id: string }> {
  const data = await client.ok<{ createNote: { id: string } }>(`mutation($input: CreateNoteInput!) { createNote(input: $input) { id } }`, {
    input: { relatedTo, body },
  });
  return data.createNote;
}
