import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/database.js';
import { signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline, MOVE, type PipelineRef } from './factories/pipelines.factory.js';
import { createAccount, createActivity, createContact, createDeal, createLead, createNote } from './factories/records.factory.js';
import type { GraphQLResponse } from './helpers/graphql-client.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs, type Received, type WsConnection } from './helpers/ws-client.js';

/**
 * Organisation B, signed in, aims random queries, nested reads, mutations and subscriptions at
 * organisation A's ids. No answer or event may carry A's data, and A's rows must not change.
 */

// Thousands of operations from two users in a minute or two: budgets (tested in limits.test.ts) would refuse them.
const server = useTestServer({ QUERY_BUDGET: '1000000000', QUERY_BUDGET_RESTORE_RATE: '1000000000' });

const RUNS = 50;
const OPERATIONS_PER_RUN = { minLength: 20, maxLength: 30 };
const PARALLEL = 8;
const ALLOWED_ERRORS = new Set(['NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT', 'FORBIDDEN']);

interface Organization {
  readonly admin: SignedInUser;
  readonly pipeline: PipelineRef;
  readonly leads: string[];
  readonly contacts: string[];
  readonly accounts: string[];
  readonly deals: string[];
  readonly activities: string[];
  readonly notes: string[];
  readonly leadEmails: string[];
}

/** Every one of A's values that carries `marker`: a name, a subject, a body. */
async function seedOrganization(marker: string): Promise<Organization> {
  const admin = await signUpOrganization(server().client, { organizationName: `${marker} Org` });
  const pipeline = await defaultPipeline(admin.client);
  const account = await createAccount(admin.client, { name: `${marker} Account` });
  const contact = await createContact(admin.client, { lastName: `${marker} Contact`, accountId: account.id });
  const leads = [await createLead(admin.client, { lastName: `${marker} Lead 1` }), await createLead(admin.client, { lastName: `${marker} Lead 2` })];
  const deal = await createDeal(admin.client, { name: `${marker} Deal`, accountId: account.id, contactId: contact.id });
  const deletedDeal = await createDeal(admin.client, { name: `${marker} Deleted deal` });
  const deletedLead = await createLead(admin.client, { lastName: `${marker} Deleted lead` });
  await admin.client.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deletedDeal.id });
  await admin.client.ok(`mutation($id: ID!) { deleteLead(id: $id) { id } }`, { id: deletedLead.id });
  const activity = await createActivity(admin.client, { subject: `${marker} Task`, relatedTo: { type: 'DEAL', id: deal.id } });
  const note = await createNote(admin.client, { type: 'DEAL', id: deal.id }, `${marker} Note`);
  return {
    admin,
    pipeline,
    leads: [...leads.map((lead) => lead.id), deletedLead.id],
    contacts: [contact.id],
    accounts: [account.id],
    deals: [deal.id, deletedDeal.id],
    activities: [activity.id],
    notes: [note.id],
    leadEmails: leads.map((lead) => lead.email ?? ''),
  };
}

/** One digest per tenant table of the organisation's rows, read as the owner. */
async function digest(organizationId: string): Promise<Record<string, string>> {
  const db = server().testDatabase.database.db;
  const tables = rowsOf<{ relname: string }>(
    await db.execute(sql`
      select c.relname from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped)
      order by c.relname`),
  ).map((row) => row.relname);
  const parts = tables.map((table) => `select '${table}' as name, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from "${table}" t where organization_id = '${organizationId}'`);
  parts.push(`select 'organizations', md5(t::text) from organizations t where id = '${organizationId}'`);
  const rows = rowsOf<{ name: string; digest: string }>(await db.execute(sql.raw(parts.join(' union all '))));
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

type Operation =
  | { readonly via: 'http'; readonly query: string; readonly variables: Record<string, unknown> }
  | { readonly via: 'ws'; readonly query: string; readonly variables: Record<string, unknown> };

const RECORD_SELECTIONS: Record<string, string> = {
  lead: 'id lastName email owner { id name } notes { body } activities { subject } timeline { nodes { id } }',
  contact: 'id lastName email account { id name } deals { id name } notes { body }',
  account: 'id name contacts { id lastName } deals { id name } activities { subject }',
  deal: 'id name amount account { id name } contact { id lastName } stage { id name } pipeline { id name } notes { body } activities { subject }',
  activity: 'id subject owner { id } relatedTo { __typename ... on Deal { id name } ... on Lead { id lastName } }',
};

function operations(a: Organization, b: Organization): fc.Arbitrary<Operation> {
  const aRecords = { lead: a.leads, contact: a.contacts, account: a.accounts, deal: a.deals, activity: a.activities };
  const aStage = fc.constantFrom(...a.pipeline.stages.map((stage) => stage.id));
  const bStage = fc.constantFrom(...b.pipeline.stages.map((stage) => stage.id));
  const anyA = fc.constantFrom(...a.leads, ...a.contacts, ...a.accounts, ...a.deals, ...a.activities, ...a.notes, a.pipeline.id, a.admin.userId, a.admin.organizationId);
  const kind = fc.constantFrom(...(Object.keys(aRecords) as (keyof typeof aRecords)[]));
  const version = fc.integer({ min: 1, max: 3 });
  const refType = fc.constantFrom(['LEAD', a.leads], ['CONTACT', a.contacts], ['ACCOUNT', a.accounts], ['DEAL', a.deals]) as fc.Arbitrary<[string, string[]]>;
  const aRef = refType.chain(([type, ids]) => fc.constantFrom(...ids).map((id) => ({ type, id })));
  const http = (query: string, variables: Record<string, unknown> = {}): Operation => ({ via: 'http', query, variables });
  const capital = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

  const byId = fc.tuple(kind, fc.boolean()).chain(([k, ownKind]) =>
    (ownKind ? fc.constantFrom(...aRecords[k]) : anyA).map((id) => http(`query($id: ID!) { ${k}(id: $id) { ${RECORD_SELECTIONS[k]} } }`, { id })),
  );
  const settings = anyA.chain((id) =>
    fc.constantFrom(
      http(`query($id: ID!) { pipeline(id: $id) { id name stages { id name } } }`, { id }),
      http(`query($id: ID!) { user(id: $id) { id name email } }`, { id }),
      http(`query($id: ID!) { dealsBoard(pipelineId: $id) { cursor columns { stage { id } count deals { nodes { id name } } } } }`, { id }),
      http(`query($id: ID!) { salesSignals(filter: { recordId: $id }) { nodes { id } } }`, { id }),
    ),
  );
  const lists = fc.tuple(anyA, fc.constantFrom('accountId', 'contactId', 'pipelineId', 'stageId', 'ownerId')).chain(([id, field]) =>
    fc.constantFrom(
      http(`query($id: ID!) { deals(filter: { ${field}: $id }) { totalCount nodes { ${RECORD_SELECTIONS['deal']} } } }`, { id }),
      http(`{ leads(first: 50) { totalCount nodes { ${RECORD_SELECTIONS['lead']} } } }`),
      http(`{ contacts { nodes { ${RECORD_SELECTIONS['contact']} } } accounts { nodes { ${RECORD_SELECTIONS['account']} } } }`),
      http(`{ activities { nodes { ${RECORD_SELECTIONS['activity']} } } users { id name email } pipelines { id stages { id } } }`),
      http(`{ deals(first: 100) { nodes { ${RECORD_SELECTIONS['deal']} } } }`),
    ),
  );
  const nested = fc.constantFrom(...b.deals).map((id) => http(`query($id: ID!) { deal(id: $id) { ${RECORD_SELECTIONS['deal']} timeline { nodes { id } } } }`, { id }));
  const update = fc.tuple(kind, version).chain(([k, v]) =>
    fc.constantFrom(...aRecords[k]).map((id) => {
      const field = k === 'account' || k === 'deal' ? 'name' : k === 'activity' ? 'subject' : 'lastName';
      return http(`mutation($input: Update${capital(k)}Input!) { update${capital(k)}(input: $input) { id } }`, { input: { id, expectedVersion: v, [field]: 'Taken over' } });
    }),
  );
  const deleteOrRestore = fc.tuple(kind, fc.constantFrom('delete', 'restore')).chain(([k, verb]) =>
    fc.constantFrom(...aRecords[k]).map((id) => http(`mutation($id: ID!) { ${verb}${capital(k)}(id: $id) { id } }`, { id })),
  );
  const notes = fc.tuple(fc.constantFrom(...a.notes), version).chain(([id, v]) =>
    fc.constantFrom(
      http(`mutation($id: ID!) { deleteNote(id: $id) { id } }`, { id }),
      http(`mutation($input: UpdateNoteInput!) { updateNote(input: $input) { id body } }`, { input: { id, expectedVersion: v, body: 'Taken over' } }),
    ),
  );
  const convert = fc.tuple(fc.constantFrom(...a.leads), fc.constantFrom(...b.leads), fc.constantFrom(...a.accounts)).chain(([aLead, bLead, aAccount]) =>
    fc.constantFrom(
      http(`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { lead { id } contact { id } account { id } } }`, { input: { id: aLead } }),
      http(`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { lead { id } contact { id } account { id } } }`, { input: { id: bLead, accountId: aAccount } }),
      http(`mutation($input: ConvertLeadInput!) { convertLead(input: $input) { lead { id } deal { id } } }`, { input: { id: bLead, createDeal: { name: 'Converted', pipelineId: a.pipeline.id } } }),
    ),
  );
  const move = fc.tuple(fc.constantFrom(...a.deals), fc.constantFrom(...b.deals), aStage, bStage, version).chain(([aDeal, bDeal, aStageId, bStageId, v]) =>
    fc.constantFrom(
      http(MOVE, { input: { id: aDeal, stageId: aStageId, expectedVersion: v } }),
      http(MOVE, { input: { id: aDeal, stageId: bStageId, expectedVersion: v } }),
      http(MOVE, { input: { id: bDeal, stageId: aStageId, expectedVersion: v } }),
      http(MOVE, { input: { id: bDeal, stageId: bStageId, afterId: aDeal, expectedVersion: v } }),
    ),
  );
  const attach = fc.tuple(aRef, aStage).chain(([ref, stageId]) =>
    fc.constantFrom(
      http(`mutation($input: CreateNoteInput!) { createNote(input: $input) { id } }`, { input: { relatedTo: ref, body: 'Hello' } }),
      http(`mutation($input: CreateActivityInput!) { createActivity(input: $input) { id } }`, { input: { type: 'CALL', subject: 'Call', relatedTo: ref } }),
      http(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Deal', stageId } }),
      http(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Deal', pipelineId: a.pipeline.id } }),
      http(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Deal', accountId: a.accounts[0], contactId: a.contacts[0] } }),
      http(`mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`, { input: { name: 'Deal', ownerId: a.admin.userId } }),
      http(`mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`, { input: { lastName: 'C', accountId: a.accounts[0] } }),
    ),
  );
  // A's emails are B's to use too: no duplicate check or signal match may reach across.
  const sameEmail = fc.constantFrom(...a.leadEmails).chain((email) =>
    fc.constantFrom(
      http(`mutation($input: CreateLeadInput!) { createLead(input: $input) { id email } }`, { input: { lastName: 'Same', email } }),
      http(`mutation($input: RecordSalesSignalInput!) { recordSalesSignal(input: $input) { id lead { id lastName } contact { id } } }`, { input: { kind: 'WEBSITE_VISIT', email } }),
    ),
  );
  const subscribe = fc.tuple(anyA, fc.constantFrom('dealEvents', 'dealStageChanged')).map(
    ([id, field]): Operation => ({ via: 'ws', query: `subscription($id: ID!) { ${field}(pipelineId: $id) { cursor deal { id name } } }`, variables: { id } }),
  );
  return fc.oneof(byId, settings, lists, nested, update, deleteOrRestore, notes, convert, move, attach, sameEmail, subscribe);
}

describe('tenant isolation, property-based', () => {
  let a: Organization;
  let b: Organization;
  let marker: string;
  let aIds: string[];
  let ws: WsConnection;
  let bEvents: Received<unknown>[];

  beforeAll(async () => {
    marker = `SECRET${randomBytes(6).toString('hex')}`;
    a = await seedOrganization(marker);
    b = await seedOrganization(`Bee${randomBytes(4).toString('hex')}`);
    aIds = [...a.leads, ...a.contacts, ...a.accounts, ...a.deals, ...a.activities, ...a.notes, a.pipeline.id, ...a.pipeline.stages.map((s) => s.id), a.admin.userId, a.admin.organizationId];
    ws = connectWs(server().wsUrl, b.admin.token);
    const selection = `cursor kind deal { ${RECORD_SELECTIONS['deal']} }`;
    bEvents = [
      ws.subscribe(`subscription($p: ID!) { dealEvents(pipelineId: $p) { ${selection} } }`, { p: b.pipeline.id }),
      ws.subscribe(`subscription { dealStageChanged { cursor deal { id name account { name } } } }`),
      ws.subscribe(`subscription { salesSignal { cursor lead { id lastName } contact { id lastName } } }`),
    ];
  });

  afterAll(async () => {
    await ws?.dispose();
  });

  /** Fails when B's answer carries any of A's ids or values, or an error that is not a plain refusal. */
  function assertNothingOfA(operation: Operation, response: { data: unknown; errors?: readonly { extensions?: { code?: unknown } }[] | undefined }): void {
    const data = JSON.stringify(response.data ?? null);
    for (const id of aIds) expect(data.includes(id), `${operation.query} ${JSON.stringify(operation.variables)} returned A's ${id}: ${data}`).toBe(false);
    expect(data).not.toContain(marker);
    expect(JSON.stringify(response.errors ?? [])).not.toContain(marker);
    for (const error of response.errors ?? []) {
      expect(ALLOWED_ERRORS.has(String(error.extensions?.code)), `${operation.query}: ${JSON.stringify(response.errors)}`).toBe(true);
    }
  }

  async function run(operation: Operation): Promise<void> {
    if (operation.via === 'http') {
      const response: GraphQLResponse<unknown> = await b.admin.client.request(operation.query, operation.variables);
      assertNothingOfA(operation, response);
      return;
    }
    // A subscription to A's pipeline must end with a refusal, before any event.
    const received = ws.subscribe(operation.query, operation.variables);
    await Promise.race([received.ended, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    received.stop();
    expect(received.items).toEqual([]);
    expect(received.errors.length, `${operation.query} was not refused`).toBeGreaterThan(0);
    assertNothingOfA(operation, { data: null, errors: received.errors as never });
  }

  it('finds no data of A in any answer or event to B, and leaves A\'s rows unchanged', { timeout: 240_000 }, async () => {
    let executed = 0;
    let aVersion = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(operations(a, b), OPERATIONS_PER_RUN), async (batch) => {
        // A keeps publishing while B probes: its live events must not reach B's subscriptions.
        const stage = a.pipeline.stages[aVersion % a.pipeline.stages.length]!;
        await a.admin.client.ok(MOVE, { input: { id: a.deals[0], stageId: stage.id, expectedVersion: aVersion } });
        aVersion += 1;
        const before = await digest(a.admin.organizationId);
        for (let at = 0; at < batch.length; at += PARALLEL) {
          await Promise.all(batch.slice(at, at + PARALLEL).map((operation) => run(operation)));
        }
        executed += batch.length;
        expect(await digest(a.admin.organizationId)).toEqual(before);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(executed).toBeGreaterThanOrEqual(1000);
    // B's own moves reached its subscriptions (so the check below could fail), A's never did.
    await createDeal(b.admin.client, { name: 'Last B deal' });
    await bEvents[0]!.waitFor(1);
    for (const received of bEvents) {
      expect(received.errors).toEqual([]);
      assertNothingOfA({ via: 'ws', query: 'events', variables: {} }, { data: received.items });
    }
    // And A's data is still all there for A.
    const { deal } = await a.admin.client.ok<{ deal: { name: string } }>(`query($id: ID!) { deal(id: $id) { name } }`, { id: a.deals[0] });
    expect(deal.name).toBe(`${marker} Deal`);
  });
});
