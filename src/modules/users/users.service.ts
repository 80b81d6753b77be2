import { newRowId } from '../../db/row-id.js';
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { normaliseEmail, requiredText } from '../../shared/validation.js';
import { assertManages, readScope, recordScope } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { ROLES, type Role, type Viewer } from '../auth/viewer.js';
import { invitations, loginIdentities, users, type UserRow } from './users.table.js';
import { inTransaction } from '../../db/transaction.js';
import { profiles } from '../access-control/access-control.table.js';
import { FULL_ACCESS } from '../access-control/access-summary.js';
import { accessChanged } from '../access-control/access-version.js';
import { recordAudit } from '../access-control/audit.service.js';
import { builtInProfileId, getProfileRow, lockActiveAdministrators } from '../access-control/profiles.service.js';
import { getRoleRow } from '../access-control/roles.service.js';
import { assertSeatAvailable } from '../organizations/seats.js';
import { automationChanged } from '../organizations/automation-version.js';

const INVITATION_DAYS = 7;

export interface InviteResult {
  readonly user: UserRow;
  readonly invitationToken: string;
  readonly invitationExpiresAt: Date;
}

export const hashInvitationToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function listUsers(s: Session, includeInactive: boolean): Promise<UserRow[]> {
  const scope = readScope(s.viewer, 'users', users);
  return s.db
    .select()
    .from(users)
    .where(includeInactive ? scope : and(scope, eq(users.active, true)))
    .orderBy(desc(users.active), asc(users.name), asc(users.id));
}

export async function getUser(s: Session, id: string): Promise<UserRow> {
  const [row] = await s.db.select().from(users).where(recordScope(s.viewer, 'users', users, id));
  if (!row) throw notFound('User');
  return row;
}

function role(value: string): Role {
  if (!ROLES.includes(value as Role)) throw badInput('role', `role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

/** Inserts a user and the global email mapping; a taken email is a CONFLICT, race-free via the primary key. */
export async function insertUser(
  tx: Db,
  values: { organizationId: string; name: string; email: string; role: Role; passwordHash: string | null; profileId?: string; roleId?: string | null },
): Promise<UserRow> {
  // Without a profile: Administrator for ADMIN, Standard for the rest (demo and benchmark data).
  const profileId = values.profileId ?? (await builtInProfileId(tx, values.organizationId, values.role === 'ADMIN' ? 'ADMINISTRATOR' : 'STANDARD'));
  const [user] = await tx
    .insert(users)
    .values({ ...values, profileId, roleId: values.roleId ?? null, id: newRowId() })
    .onConflictDoNothing()
    .returning();
  const taken = conflict(`A user with email ${values.email} already exists`, { field: 'email' });
  if (!user) throw taken;
  const claimed = await tx
    .insert(loginIdentities)
    .values({ email: values.email, organizationId: values.organizationId, userId: user.id })
    .onConflictDoNothing()
    .returning({ email: loginIdentities.email });
  // The caller's transaction rolls the user back with this error.
  if (claimed.length === 0) throw taken;
  // Assignment rotations keep the active users with the rules (a territory's new member takes turns at once).
  await automationChanged(tx, values.organizationId);
  return user;
}

/** Active users of an organisation (the seats in use). */
export async function countActiveUsers(tx: Db, organizationId: string): Promise<number> {
  const rows = await tx.select({ id: users.id }).from(users).where(and(eq(users.organizationId, organizationId), eq(users.active, true)));
  return rows.length;
}

/** Active members, for team notices. */
export function activeMembers(tx: Db, organizationId: string): Promise<UserRow[]> {
  return tx.select().from(users).where(and(eq(users.organizationId, organizationId), eq(users.active, true))).orderBy(asc(users.createdAt));
}

/**
 * Deactivates users to fit fewer seats, in the caller's transaction. Their records stay, owned
 * by them (an inactive owner) until someone reassigns them. The caller is never among them.
 */
export async function deactivateForSeats(tx: Db, viewer: Viewer, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    if (id === viewer.userId) throw badInput('usersToDeactivate', 'You cannot deactivate yourself');
    const [target] = await tx.select().from(users).where(recordScope(viewer, 'users', users, id)).for('update');
    if (!target) throw new DomainError('NOT_FOUND', 'usersToDeactivate: User not found', { field: 'usersToDeactivate' });
    await tx.update(users).set({ active: false, deactivatedAt: new Date() }).where(and(recordScope(viewer, 'users', users, id), eq(users.active, true)));
  }
  // They drop out of assignment rotations, which keep the active users with the rules.
  if (ids.length > 0) await automationChanged(tx, viewer.organizationId);
}

export interface InviteUserInput {
  name: string;
  email: string;
  role: string;
  profileId?: string | null | undefined;
  roleId?: string | null | undefined;
}

/** The profile a user gets: the one named, else Administrator for ADMIN and Standard for the rest. */
async function profileFor(tx: Db, viewer: Viewer, profileId: string | null | undefined, userRole: Role): Promise<string> {
  if (profileId) return (await getProfileRow(tx, viewer, profileId, 'profileId')).id;
  return builtInProfileId(tx, viewer.organizationId, userRole === 'ADMIN' ? 'ADMINISTRATOR' : 'STANDARD');
}

export async function inviteUser(s: Session, input: InviteUserInput): Promise<InviteResult> {
  assertManages(s.viewer, 'users');
  const name = requiredText('name', input.name, 200);
  const email = normaliseEmail('email', input.email);
  const userRole = role(input.role);
  const invitationToken = randomBytes(32).toString('base64url');
  const invitationExpiresAt = new Date(Date.now() + INVITATION_DAYS * 24 * 3600 * 1000);
  const user = await inTransaction(s.db, async (tx) => {
    await assertSeatAvailable(tx, s.viewer.organizationId);
    const profileId = await profileFor(tx, s.viewer, input.profileId, userRole);
    const roleId = input.roleId ? (await getRoleRow(tx, s.viewer, input.roleId, 'roleId')).id : null;
    const created = await insertUser(tx, { organizationId: s.viewer.organizationId, name, email, role: userRole, passwordHash: null, profileId, roleId });
    await tx.insert(invitations).values({
      tokenHash: hashInvitationToken(invitationToken),
      organizationId: s.viewer.organizationId,
      userId: created.id,
      expiresAt: invitationExpiresAt,
    });
    await recordAudit(tx, s.viewer, { action: 'USER_INVITED', summary: `${name} <${email}> invited`, targetType: 'USER', targetId: created.id, detail: { profileId, roleId } });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return created;
  });
  return { user, invitationToken, invitationExpiresAt };
}

/** Refuses a change that would leave the organisation without an active Administrator. */
async function assertKeepsAnAdministrator(tx: Db, viewer: Viewer, userId: string): Promise<void> {
  // Locking every active administrator makes two admins demoting each other take turns.
  const admins = await lockActiveAdministrators(tx, viewer.organizationId);
  if (admins.includes(userId) && admins.length === 1) throw conflict('The last active administrator must keep the Administrator profile');
}

export interface UpdateUserInput {
  id: string;
  name?: string | null | undefined;
  role?: string | null | undefined;
  profileId?: string | null | undefined;
  /** null takes the user out of the hierarchy. */
  roleId?: string | null | undefined;
}

/** Changes a member's name, title, profile or role; effective on their next request and event. */
export async function updateUser(s: Session, input: UpdateUserInput): Promise<UserRow> {
  assertManages(s.viewer, 'users');
  return inTransaction(s.db, async (tx) => {
    const [target] = await tx.select().from(users).where(recordScope(s.viewer, 'users', users, input.id)).for('update');
    if (!target) throw notFound('User');
    const changes: Partial<UserRow> = {};
    if (input.name !== undefined && input.name !== null) changes.name = requiredText('name', input.name, 200);
    if (input.role !== undefined && input.role !== null) changes.role = role(input.role);
    if (input.profileId !== undefined && input.profileId !== null && input.profileId !== target.profileId) {
      const profile = await getProfileRow(tx, s.viewer, input.profileId, 'profileId');
      if (profile.builtIn !== 'ADMINISTRATOR') await assertKeepsAnAdministrator(tx, s.viewer, target.id);
      changes.profileId = profile.id;
    }
    if (input.roleId !== undefined && input.roleId !== target.roleId) {
      changes.roleId = input.roleId === null ? null : (await getRoleRow(tx, s.viewer, input.roleId, 'roleId')).id;
    }
    if (Object.keys(changes).length === 0) return target;
    const [updated] = await tx.update(users).set(changes).where(recordScope(s.viewer, 'users', users, target.id)).returning();
    if (!updated) throw notFound('User');
    await recordAudit(tx, s.viewer, {
      action: 'USER_UPDATED',
      summary: `${updated.name} changed`,
      targetType: 'USER',
      targetId: updated.id,
      detail: {
        before: { name: target.name, role: target.role, profileId: target.profileId, roleId: target.roleId },
        after: { name: updated.name, role: updated.role, profileId: updated.profileId, roleId: updated.roleId },
      },
    });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return updated;
  });
}

export async function deactivateUser(s: Session, id: string): Promise<UserRow> {
  assertManages(s.viewer, 'users');
  if (id === s.viewer.userId) throw badInput('id', 'You cannot deactivate yourself');
  return inTransaction(s.db, async (tx) => {
    const [target] = await tx.select().from(users).where(recordScope(s.viewer, 'users', users, id)).for('update');
    if (!target) throw notFound('User');
    if (!target.active) return target;
    const admins = await lockActiveAdministrators(tx, s.viewer.organizationId);
    if (admins.includes(id) && admins.length === 1) throw conflict('The last active administrator cannot be deactivated');
    const [updated] = await tx
      .update(users)
      .set({ active: false, deactivatedAt: new Date() })
      .where(recordScope(s.viewer, 'users', users, id))
      .returning();
    if (!updated) throw notFound('User');
    await recordAudit(tx, s.viewer, { action: 'USER_DEACTIVATED', summary: `${updated.name} deactivated`, targetType: 'USER', targetId: updated.id });
    // Their live subscriptions stop before the next event, and their API keys with them.
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    // They drop out of assignment rotations, which keep the active users with the rules.
    await automationChanged(tx, s.viewer.organizationId);
    return updated;
  });
}

/** Checks that `ownerId` names an active user of the viewer's organisation. */
export async function assertAssignableOwner(tx: Db, viewer: Viewer, ownerId: string, field = 'ownerId'): Promise<string> {
  if (ownerId === viewer.userId) return ownerId;
  const [owner] = await tx
    .select({ id: users.id, active: users.active })
    .from(users)
    .where(recordScope(viewer, 'users', users, ownerId));
  if (!owner) throw new DomainError('NOT_FOUND', `${field}: User not found`, { field });
  if (!owner.active) throw badInput(field, `${field} names a deactivated user`);
  return ownerId;
}

/** Who owns what Pulse creates on its own (leads from social signals, forms without an owner): the first active administrator. */
export async function defaultOwner(tx: Db, organizationId: string): Promise<UserRow | undefined> {
  const [row] = await tx
    .select({ user: users })
    .from(users)
    .innerJoin(profiles, and(eq(profiles.organizationId, users.organizationId), eq(profiles.id, users.profileId)))
    .where(and(eq(users.organizationId, organizationId), eq(profiles.builtIn, 'ADMINISTRATOR'), eq(users.active, true)))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(1);
  return row?.user;
}

/** A viewer acting for Pulse itself inside one organisation (webhooks, tracking, forms), as `user`. */
export function systemViewer(
  user: UserRow,
  organization: { country: string; currency: string; hotDays: number; warmDays: number; coolingDays: number; plan: string; pausedAt: Date | null; automationVersion?: number },
): Viewer {
  return {
    userId: user.id,
    organizationId: user.organizationId,
    role: user.role as Role,
    roleId: user.roleId,
    apiKeyId: null,
    access: FULL_ACCESS,
    name: user.name,
    email: user.email,
    country: organization.country,
    currency: organization.currency,
    engagement: { hotDays: organization.hotDays, warmDays: organization.warmDays, coolingDays: organization.coolingDays },
    plan: organization.plan,
    paused: organization.pausedAt !== null,
    // With the organisation's rule version the rule caches serve system work too (an import
    // would otherwise read every rule set once per row).
    ...(organization.automationVersion !== undefined ? { automationVersion: organization.automationVersion } : {}),
  };
}

/** A user by id within an organisation, for paths without a signed-in viewer. */
export async function getUserRow(db: Db, organizationId: string, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(and(eq(users.organizationId, organizationId), eq(users.id, id)));
  return row;
}
