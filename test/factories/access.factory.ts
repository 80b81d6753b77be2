import { inviteUserWithRoom, type SignedInUser } from './organizations.factory.js';
import { unique, uniqueEmail } from './unique.js';

export async function createRole(admin: SignedInUser, name: string, parentId: string | null): Promise<string> {
  const data = await admin.client.ok<{ createRole: { id: string } }>(`mutation($input: CreateRoleInput!) { createRole(input: $input) { id } }`, {
    input: { name: unique(name), parentId },
  });
  return data.createRole.id;
}

export async function topRoleId(admin: SignedInUser): Promise<string> {
  const data = await admin.client.ok<{ me: { hierarchyRole: { id: string } } }>(`{ me { hierarchyRole { id } } }`);
  return data.me.hierarchyRole.id;
}

export async function setSharing(admin: SignedInUser, module: string, access: string): Promise<void> {
  await admin.client.ok(`mutation($input: SetSharingInput!) { setSharing(input: $input) { module access } }`, { input: { module, access } });
}

export async function createProfile(admin: SignedInUser, input: Record<string, unknown>): Promise<string> {
  const data = await admin.client.ok<{ createProfile: { id: string } }>(`mutation($input: CreateProfileInput!) { createProfile(input: $input) { id } }`, {
    input: { name: unique('Profile'), ...input },
  });
  return data.createProfile.id;
}

export const ALL_ACTIONS = ['CREATE', 'READ', 'UPDATE', 'DELETE', 'IMPORT', 'EXPORT'];
export const ALL_MODULES = ['LEADS', 'CONTACTS', 'ACCOUNTS', 'DEALS', 'ACTIVITIES', 'NOTES', 'EMAILS', 'SIGNALS'];

/** Every action on every module, with `except` taken out of `module`'s. */
export function modulesExcept(module: string, except: string[]): { module: string; actions: string[] }[] {
  return ALL_MODULES.map((name) => ({ module: name, actions: name === module ? ALL_ACTIONS.filter((action) => !except.includes(action)) : ALL_ACTIONS }));
}

export async function updateUser(admin: SignedInUser, input: Record<string, unknown>): Promise<void> {
  await admin.client.ok(`mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }`, { input });
}

/** A member in `roleId` (and `profileId`, else Standard), signed in. */
export async function inviteInto(admin: SignedInUser, options: { roleId?: string | null; profileId?: string; name?: string } = {}): Promise<SignedInUser> {
  const email = uniqueEmail('member');
  const password = 'another-long-password';
  const invited = await inviteUserWithRoom(admin, { name: options.name ?? unique('Member'), email, role: 'SALES_REP', roleId: options.roleId ?? null, profileId: options.profileId ?? null });
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

/** CEO (the administrator) > Sales Manager > two Sales Reps, all signed in. */
export async function salesTeam(admin: SignedInUser) {
  const ceo = await topRoleId(admin);
  const managerRole = await createRole(admin, 'Sales Manager', ceo);
  const repRole = await createRole(admin, 'Sales Rep', managerRole);
  const manager = await inviteInto(admin, { roleId: managerRole, name: 'Mona Manager' });
  const rep = await inviteInto(admin, { roleId: repRole, name: 'Rita Rep' });
  const peer = await inviteInto(admin, { roleId: repRole, name: 'Pete Peer' });
  return { ceo, managerRole, repRole, manager, rep, peer };
}
