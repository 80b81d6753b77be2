import { describe, expect, it } from 'vitest';
import { inviteMember, SIGN_UP, signUpOrganization } from './factories/organizations.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token user { id email } organization { id } } }`;

describe('sign-up and sign-in', () => {
  it('creates an organisation whose first user is an administrator and can sign in again', async () => {
    const { client } = server();
    const admin = await signUpOrganization(client, { organizationName: 'Acme Corp' });
    const me = await admin.client.ok(`{ me { id role active } organization { name plan { name } currency } }`);
    expect(me).toEqual({
      me: { id: admin.userId, role: 'ADMIN', active: true },
      organization: { name: 'Acme Corp', plan: { name: 'FREE' }, currency: 'USD' },
    });
    const again = await client.ok(LOG_IN, { input: { email: admin.email.toUpperCase(), password: admin.password } });
    expect(again.logIn.user.id).toBe(admin.userId);
    expect(again.logIn.organization.id).toBe(admin.organizationId);
  });

  it('gives a new organisation the default pipeline with Zoho stages', async () => {
    const admin = await signUpOrganization(server().client);
    const { pipelines } = await admin.client.ok(`{ pipelines { name isDefault stages { name probability kind position } } }`);
    expect(pipelines).toHaveLength(1);
    expect(pipelines[0].isDefault).toBe(true);
    expect(pipelines[0].stages.map((s: { name: string; probability: number }) => [s.name, s.probability])).toEqual([
      ['Qualification', 10],
      ['Needs Analysis', 20],
      ['Value Proposition', 40],
      ['Identify Decision Makers', 60],
      ['Proposal/Price Quote', 75],
      ['Negotiation/Review', 90],
      ['Closed Won', 100],
      ['Closed Lost', 0],
    ]);
    expect(pipelines[0].stages.at(-2).kind).toBe('WON');
    expect(pipelines[0].stages.at(-1).kind).toBe('LOST');
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const { client } = server();
    const admin = await signUpOrganization(client);
    const wrongPassword = await client.fails('UNAUTHENTICATED', LOG_IN, { input: { email: admin.email, password: 'not-the-password' } });
    const unknownEmail = await client.fails('UNAUTHENTICATED', LOG_IN, { input: { email: uniqueEmail('nobody'), password: 'not-the-password' } });
    expect(wrongPassword.message).toBe(unknownEmail.message);
  });

  it('refuses a taken email, a short password and a malformed email with typed errors', async () => {
    const { client } = server();
    const admin = await signUpOrganization(client);
    const input = { organizationName: 'Other', name: 'Bo', email: admin.email, password: 'long-enough-password' };
    await client.fails('CONFLICT', SIGN_UP, { input });
    const short = await client.fails('BAD_USER_INPUT', SIGN_UP, { input: { ...input, email: uniqueEmail(), password: 'short' } });
    expect(short.extensions?.['field']).toBe('password');
    const malformed = await client.fails('BAD_USER_INPUT', SIGN_UP, { input: { ...input, email: 'not-an-email' } });
    expect(malformed.extensions?.['field']).toBe('email');
  });

  it('requires a valid token for everything but signing in', async () => {
    const { client } = server();
    await client.fails('UNAUTHENTICATED', `{ me { id } }`);
    await client.as('not-a-token').fails('UNAUTHENTICATED', `{ leads { totalCount } }`);
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJvcmciOiJ4Iiwic3ViIjoieSIsImlzcyI6InB1bHNlIn0.c2lnbmF0dXJl';
    await client.as(forged).fails('UNAUTHENTICATED', `{ me { id } }`);
    // Signing up works even when a stale token is still sent.
    const admin = await signUpOrganization(client.as('stale-token'));
    expect(admin.token).toBeTruthy();
  });

  it('invites a member who sets a password once, and deactivation ends their access at once', async () => {
    const admin = await signUpOrganization(server().client);
    const member = await inviteMember(admin, 'SALES_REP');
    const me = await member.client.ok(`{ me { id role } }`);
    expect(me.me).toEqual({ id: member.userId, role: 'SALES_REP' });
    await member.client.fails('FORBIDDEN', `mutation { deactivateUser(id: "${admin.userId}") { id } }`);
    await member.client.fails('FORBIDDEN', `mutation { inviteUser(input: {name: "X", email: "${uniqueEmail()}", role: ADMIN}) { invitationToken } }`);
    const deactivated = await admin.client.ok(`mutation { deactivateUser(id: "${member.userId}") { active } }`);
    expect(deactivated.deactivateUser.active).toBe(false);
    await member.client.fails('UNAUTHENTICATED', `{ me { id } }`);
    await server().client.fails('UNAUTHENTICATED', LOG_IN, { input: { email: member.email, password: member.password } });
    const { users } = await admin.client.ok(`{ users { id } }`);
    expect(users.map((u: { id: string }) => u.id)).toEqual([admin.userId]);
  });

  it('keeps the last administrator active', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.fails('BAD_USER_INPUT', `mutation { deactivateUser(id: "${admin.userId}") { id } }`);
  });
});
