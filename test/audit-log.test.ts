import { describe, expect, it } from 'vitest';
import { createProfile, createRole, inviteInto, setSharing, topRoleId, updateUser } from './factories/access.factory.js';
import { signUpOrganization } from './factories/organizations.factory.js';
import { createDeal } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const AUDIT = `query($filter: AuditFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { action actor { id } actorApiKeyId targetType targetId summary detail }
  }
}`;

interface AuditNode {
  action: string;
  actor: { id: string } | null;
  actorApiKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  summary: string;
  detail: Record<string, unknown>;
}
interface AuditPage {
  auditLog: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: AuditNode[] };
}

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { token } }`;

describe('audit log', () => {
  it('records sign-ins, user, profile, role, sharing and key changes, and deletions, for administrators only', async () => {
    const admin = await signUpOrganization(server().client);
    const anonymous = server().client.as(null);
    await anonymous.ok(LOG_IN, { input: { email: admin.email, password: admin.password } });
    await anonymous.fails('UNAUTHENTICATED', LOG_IN, { input: { email: admin.email, password: 'wrong-password-here' } });
    const member = await inviteInto(admin);
    const profileId = await createProfile(admin, { modules: [{ module: 'DEALS', actions: ['READ'] }] });
    await admin.client.ok(`mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`, { input: { id: profileId, name: 'Readers' } });
    const roleId = await createRole(admin, 'Sales', await topRoleId(admin));
    await updateUser(admin, { id: member.userId, roleId });
    await setSharing(admin, 'LEADS', 'PRIVATE');
    await admin.client.ok(`mutation($input: CreateSharingRuleInput!) { createSharingRule(input: $input) { id } }`, {
      input: { module: 'LEADS', ownerRoleId: roleId, granteeRoleId: roleId, access: 'READ' },
    });
    const key = await admin.client.ok<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret } }`,
      { input: { name: 'Zapier', profileId } },
    );
    const deal = await createDeal(admin.client);
    await admin.client.ok(`mutation($id: ID!) { deleteDeal(id: $id) { id } }`, { id: deal.id });
    await admin.client.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.createApiKey.apiKey.id });
    await admin.client.ok(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: member.userId });
    await admin.client.ok(`mutation($id: ID!) { deleteProfile(id: $id) { id } }`, { id: profileId });

    const page = await admin.client.ok<AuditPage>(AUDIT, { first: 100 });
    const actions = page.auditLog.nodes.map((node) => node.action);
    // Newest first.
    expect(actions).toEqual([
      'PROFILE_DELETED',
      'USER_DEACTIVATED',
      'API_KEY_REVOKED',
      'RECORD_DELETED',
      'API_KEY_CREATED',
      'SHARING_RULE_CREATED',
      'SHARING_CHANGED',
      'USER_UPDATED',
      'ROLE_CREATED',
      'PROFILE_UPDATED',
      'PROFILE_CREATED',
      'USER_INVITED',
      'SIGN_IN_FAILED',
      'SIGNED_IN',
    ]);
    expect(page.auditLog.totalCount).toBe(actions.length);
    const deletion = page.auditLog.nodes.find((node) => node.action === 'RECORD_DELETED');
    expect(deletion).toMatchObject({ actor: { id: admin.userId }, targetType: 'deals', targetId: deal.id });
    const failed = page.auditLog.nodes.find((node) => node.action === 'SIGN_IN_FAILED');
    expect(failed).toMatchObject({ targetType: 'USER', targetId: admin.userId, detail: { reason: 'password' } });
    const updated = page.auditLog.nodes.find((node) => node.action === 'USER_UPDATED');
    expect(updated?.detail).toMatchObject({ before: { roleId: null }, after: { roleId } });

    const filtered = await admin.client.ok<AuditPage>(AUDIT, { filter: { actions: ['API_KEY_CREATED', 'API_KEY_REVOKED'] } });
    expect(filtered.auditLog.nodes.map((node) => [node.action, node.targetId])).toEqual([
      ['API_KEY_REVOKED', key.createApiKey.apiKey.id],
      ['API_KEY_CREATED', key.createApiKey.apiKey.id],
    ]);
    const first = await admin.client.ok<AuditPage>(AUDIT, { first: 2 });
    expect(first.auditLog.pageInfo.hasNextPage).toBe(true);
    const next = await admin.client.ok<AuditPage>(AUDIT, { first: 2, after: first.auditLog.pageInfo.endCursor });
    expect(next.auditLog.nodes.map((node) => node.action)).toEqual(actions.slice(2, 4));

    const reader = await inviteInto(admin);
    await reader.client.fails('FORBIDDEN', AUDIT, {});
    // Another organisation's log holds none of this.
    const other = await signUpOrganization(server().client);
    const theirs = await other.client.ok<AuditPage>(AUDIT, { first: 100 });
    expect(theirs.auditLog.nodes).toEqual([]);
  });
});
