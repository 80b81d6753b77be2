import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProfile, inviteInto, modulesExcept, updateUser } from './factories/access.factory.js';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { defaultPipeline } from './factories/pipelines.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer();

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const ME = `query Me { me { id role } }`;
const EVENTS = `subscription Events($p: ID!) { dealEvents(pipelineId: $p) { kind deal { id } } }`;
const REGISTER = `mutation($input: RegisterTrustedDocumentsInput!) { registerTrustedDocuments(input: $input) { hash name } }`;
const REQUIRE = `mutation($required: Boolean!) { setTrustedDocumentsRequired(input: {required: $required}) { requireTrustedDocuments } }`;

interface Answer {
  status: number;
  data: Record<string, any> | null | undefined;
  errors: { message: string; extensions: { code: string } }[] | undefined;
}

async function send(user: SignedInUser, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${server().url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Omit<Answer, 'status'>;
  return { status: response.status, data: json.data, errors: json.errors };
}

async function organizationRequiringTrustedDocuments(): Promise<{ admin: SignedInUser; member: SignedInUser; pipelineId: string }> {
  const admin = await signUpOrganization(server().client);
  const member = await inviteMember(admin);
  const pipeline = await defaultPipeline(admin.client);
  const registered = await admin.client.ok(REGISTER, { input: { documents: [{ name: 'Me', document: ME }, { name: 'Events', document: EVENTS }] } });
  expect(registered.registerTrustedDocuments).toEqual(
    expect.arrayContaining([
      { hash: sha256(ME), name: 'Me' },
      { hash: sha256(EVENTS), name: 'Events' },
    ]),
  );
  expect((await admin.client.ok(REQUIRE, { required: true })).setTrustedDocumentsRequired.requireTrustedDocuments).toBe(true);
  return { admin, member, pipelineId: pipeline.id };
}

describe('trusted documents', () => {
  it('runs registered operations by id and refuses any other document over HTTP', async () => {
    const { member } = await organizationRequiringTrustedDocuments();
    const byApolloHash = await send(member, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } });
    expect(byApolloHash.errors).toBeUndefined();
    expect(byApolloHash.data).toEqual({ me: { id: member.userId, role: 'SALES_REP' } });
    const byDocumentId = await send(member, { documentId: `sha256:${sha256(ME)}` });
    expect(byDocumentId.data?.['me'].id).toBe(member.userId);
    // Sending the registered text with its hash is fine too.
    expect((await send(member, { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } })).data?.['me'].id).toBe(member.userId);

    const arbitrary = await send(member, { query: `{ me { id email } }` });
    expect(arbitrary.status).toBe(400);
    expect(arbitrary.errors?.[0]?.extensions.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect(arbitrary.data).toBeUndefined();
    const registeredTextWithoutId = await send(member, { query: ME });
    expect(registeredTextWithoutId.errors?.[0]?.extensions.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    const unknown = await send(member, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { email } }') } } });
    expect(unknown.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const mismatched = await send(member, { query: `{ me { email } }`, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } });
    expect(mismatched.errors?.[0]?.extensions.code).toBe('BAD_REQUEST');
  });

  it('applies the same rule to WebSocket subscriptions', async () => {
    const { admin, member, pipelineId } = await organizationRequiringTrustedDocuments();
    const ws = connectWs(server().wsUrl, member.token);
    try {
      const arbitrary = ws.subscribe(`subscription($p: ID!) { dealEvents(pipelineId: $p) { kind } }`, { p: pipelineId });
      await arbitrary.ended;
      expect(JSON.stringify(arbitrary.errors)).toContain('TRUSTED_DOCUMENT_REQUIRED');

      const hub = server().server.deps.hub;
      const before = hub.subscriberCount();
      const received: unknown[] = [];
      const stop = ws.client.subscribe(
        { query: '', variables: { p: pipelineId }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(EVENTS) } } },
        { next: (result) => void received.push(result), error: (error) => void received.push(error), complete: () => undefined },
      );
      for (let i = 0; i < 200 && hub.subscriberCount() <= before; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      const deal = await createDeal(admin.client);
      for (let i = 0; i < 200 && received.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(received).toEqual([expect.objectContaining({ data: { dealEvents: { kind: 'CREATED', deal: { id: deal.id } } } })]);
      stop();
    } finally {
      await ws.dispose();
    }
  });

  it('exempts by the ORGANIZATION profile setting (which manages the documents), not by the ADMIN title', async () => {
    const { admin } = await organizationRequiringTrustedDocuments();
    const text = { query: `{ me { email } }` };
    // The ADMIN title with a profile that does not manage the organisation: held to registered documents.
    const titled = await inviteMember(admin, 'ADMIN');
    await updateUser(admin, { id: titled.userId, profileId: await createProfile(admin, { modules: modulesExcept('DEALS', []), settings: ['REPORTS'] }) });
    expect((await send(titled, text)).errors?.[0]?.extensions.code).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect((await send(titled, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } })).data?.['me'].id).toBe(titled.userId);
    // A sales rep by title whose profile manages the organisation (and so could switch the requirement off): exempt.
    const manager = await inviteInto(admin, { profileId: await createProfile(admin, { modules: modulesExcept('DEALS', []), settings: ['ORGANIZATION'] }) });
    const answer = await send(manager, text);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.['me'].email).toBe(manager.email);
  });

  it('exempts administrators, sign-in and organisations that do not require it; only administrators manage documents', async () => {
    const { admin, member } = await organizationRequiringTrustedDocuments();
    expect((await send(admin, { query: `{ me { email } }` })).errors).toBeUndefined();
    const other = await signUpOrganization(server().client);
    const otherMember = await inviteMember(other);
    expect((await send(otherMember, { query: `{ me { email } }` })).errors).toBeUndefined();
    // A hash is looked up in the caller's own organisation only.
    const foreign = await send(otherMember, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } });
    expect(foreign.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // Where text may run, Apollo's automatic persisted queries work: the retry with text and hash runs.
    const retried = await send(otherMember, { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } });
    expect(retried.data?.['me'].id).toBe(otherMember.userId);
    // Where it may not, the text sent with an unregistered hash is refused.
    const unregistered = `query Mine { me { email } }`;
    const refused = await send(member, { query: unregistered, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(unregistered) } } });
    expect(refused.errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // logIn runs before anyone is known.
    expect((await server().client.ok(`mutation($input: LogInInput!) { logIn(input: $input) { token } }`, { input: { email: member.email, password: member.password } })).logIn.token).toBeTruthy();

    await otherMember.client.fails('FORBIDDEN', REGISTER, { input: { documents: [{ name: 'Me', document: ME }] } });
    const invalid = await admin.client.fails('BAD_USER_INPUT', REGISTER, { input: { documents: [{ name: 'Bad', document: '{ nope }' }] } });
    expect(invalid.extensions?.['field']).toBe('documents.0.document');
    const listed = await admin.client.ok(`{ trustedDocuments { hash name document } }`);
    expect(listed.trustedDocuments.map((d: { name: string }) => d.name)).toEqual(['Events', 'Me']);
    expect((await admin.client.ok(`mutation($h: String!) { removeTrustedDocument(input: {hash: $h}) }`, { h: sha256(ME) })).removeTrustedDocument).toBe(true);
    expect((await send(member, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ME) } } })).errors?.[0]?.extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await admin.client.ok(REQUIRE, { required: false });
    expect((await send(member, { query: `{ me { email } }` })).errors).toBeUndefined();
  });
});
