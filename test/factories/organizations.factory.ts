import type { GraphQLClient, GraphQLResponse } from '../helpers/graphql-client.js';
import { unique, uniqueEmail } from './unique.js';

export interface SignedInUser {
  readonly token: string;
  readonly userId: string;
  readonly organizationId: string;
  readonly email: string;
  readonly password: string;
  /** A client that sends this user's token. */
  readonly client: GraphQLClient;
}

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { token expiresAt user { id email role } organization { id name } }
  }
`;

/** A new organisation with its administrator, signed in. */
export async function signUpOrganization(client: GraphQLClient, overrides: { organizationName?: string } = {}): Promise<SignedInUser> {
  const email = uniqueEmail('admin');
  const password = 'a-long-enough-password';
  const data = await client.ok<{ signUp: { token: string; user: { id: string }; organization: { id: string } } }>(SIGN_UP, {
    input: { organizationName: overrides.organizationName ?? unique('Org'), name: 'Ada Admin', email, password },
  });
  return {
    token: data.signUp.token,
    userId: data.signUp.user.id,
    organizationId: data.signUp.organization.id,
    email,
    password,
    client: client.as(data.signUp.token),
  };
}

type InviteAnswer = { inviteUser: { user: { id: string }; invitationToken: string } };

/**
 * `inviteUser`, moving the organisation to a paid plan first when FREE's 3 seats are taken: tests
 * that need a bigger team do what a customer would (organization-lifecycle.test.ts tests the limit).
 */
export async function inviteUserWithRoom(admin: SignedInUser, input: Record<string, unknown>): Promise<InviteAnswer> {
  const invite = (): Promise<GraphQLResponse<InviteAnswer>> =>
    admin.client.request(`mutation($input: InviteUserInput!) { inviteUser(input: $input) { user { id } invitationToken } }`, { input });
  let result = await invite();
  if (result.errors?.[0]?.extensions?.['code'] === 'PLAN_LIMIT') {
    await admin.client.ok(`mutation($input: UpdateSubscriptionInput!) { updateSubscription(input: $input) { id } }`, { input: { plan: 'PROFESSIONAL', seats: 1000 } });
    result = await invite();
  }
  if (result.errors || !result.data) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** A second member of `admin`'s organisation, signed in. */
export async function inviteMember(admin: SignedInUser, role: 'ADMIN' | 'MANAGER' | 'SALES_REP' = 'SALES_REP'): Promise<SignedInUser> {
  const email = uniqueEmail('member');
  const password = 'another-long-password';
  const invited = await inviteUserWithRoom(admin, { name: 'Sam Seller', email, role });
  const accepted = await admin.client.as(null).ok<{ acceptInvitation: { token: string } }>(
    `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { token } }`,
    { input: { token: invited.inviteUser.invitationToken, password } },
  );
  return {
    token: accepted.acceptInvitation.token,
    userId: invited.inviteUser.user.id,
    organizationId: admin.organizationId,
    email,
    password,
    client: admin.client.as(accepted.acceptInvitation.token),
  };
}
