import { randomUUID } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { unauthenticated } from '../../shared/errors.js';
import { normaliseEmail, password as validPassword, requiredText } from '../../shared/validation.js';
import { organizations, type OrganizationRow } from '../organizations/organizations.table.js';
import { DEFAULT_STAGES, insertPipeline } from '../pipelines/pipelines.service.js';
import { hashInvitationToken, insertUser } from '../users/users.service.js';
import { invitations, loginIdentities, users, type UserRow } from '../users/users.table.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { bearerToken, signToken, verifyToken } from './tokens.js';
import type { Role, Viewer } from './viewer.js';
import { inTransaction } from '../../db/transaction.js';

export interface AuthResult {
  readonly token: string;
  readonly expiresAt: Date;
  readonly user: UserRow;
  readonly organization: OrganizationRow;
}

export interface AuthDeps {
  readonly db: Db;
  readonly config: Config;
}

async function issue(deps: AuthDeps, user: UserRow, organization: OrganizationRow): Promise<AuthResult> {
  const { token, expiresAt } = await signToken(deps.config.jwtSecret, deps.config.tokenTtlSeconds, {
    userId: user.id,
    organizationId: user.organizationId,
  });
  return { token, expiresAt, user, organization };
}

export interface SignUpInput {
  organizationName: string;
  name: string;
  email: string;
  password: string;
}

/** Creates an organisation, its administrator and its default pipeline in one transaction. */
export async function signUp(deps: AuthDeps, input: SignUpInput): Promise<AuthResult> {
  const organizationName = requiredText('organizationName', input.organizationName, 200);
  const name = requiredText('name', input.name, 200);
  const email = normaliseEmail('email', input.email);
  const passwordHash = await hashPassword(validPassword('password', input.password));
  const { user, organization } = await inTransaction(deps.db, async (tx) => {
    const [org] = await tx.insert(organizations).values({ id: randomUUID(), name: organizationName }).returning();
    if (!org) throw new Error('insert returned no organisation');
    const admin = await insertUser(tx, { organizationId: org.id, name, email, role: 'ADMIN', passwordHash });
    await insertPipeline(tx, org.id, 'Standard', DEFAULT_STAGES, true);
    return { user: admin, organization: org };
  });
  return issue(deps, user, organization);
}

const WRONG_CREDENTIALS = 'Email or password is incorrect';

export async function logIn(deps: AuthDeps, input: { email: string; password: string }): Promise<AuthResult> {
  const email = input.email.trim().toLowerCase();
  const [found] = await deps.db
    .select({ user: users, organization: organizations })
    .from(loginIdentities)
    .innerJoin(users, and(eq(users.organizationId, loginIdentities.organizationId), eq(users.id, loginIdentities.userId)))
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(eq(loginIdentities.email, email));
  // Unknown email, wrong password and deactivated user all get the same answer after the same work.
  const valid = await verifyPassword(found?.user.passwordHash ?? null, input.password);
  if (!found || !valid || !found.user.active) throw unauthenticated(WRONG_CREDENTIALS);
  return issue(deps, found.user, found.organization);
}

export async function acceptInvitation(deps: AuthDeps, input: { token: string; password: string }): Promise<AuthResult> {
  const passwordHash = await hashPassword(validPassword('password', input.password));
  const result = await inTransaction(deps.db, async (tx) => {
    const [invitation] = await tx
      .update(invitations)
      .set({ usedAt: new Date() })
      .where(and(eq(invitations.tokenHash, hashInvitationToken(input.token)), isNull(invitations.usedAt), gt(invitations.expiresAt, new Date())))
      .returning();
    if (!invitation) throw unauthenticated('This invitation is unknown, used or expired');
    const [user] = await tx
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.organizationId, invitation.organizationId), eq(users.id, invitation.userId), eq(users.active, true)))
      .returning();
    const [organization] = await tx.select().from(organizations).where(eq(organizations.id, invitation.organizationId));
    if (!user || !organization) throw unauthenticated('This invitation is unknown, used or expired');
    return { user, organization };
  });
  return issue(deps, result.user, result.organization);
}

export type Authentication =
  | { readonly viewer: Viewer; readonly expiresAt: Date; readonly error: null }
  | { readonly viewer: null; readonly expiresAt: null; readonly error: string | null };

/**
 * Turns an Authorization value into the viewer, checking the user still exists and is active,
 * so a deactivated user's token stops working on the next request.
 */
export async function authenticate(deps: AuthDeps, authorization: string | null | undefined): Promise<Authentication> {
  if (!authorization) return { viewer: null, expiresAt: null, error: null };
  const token = bearerToken(authorization);
  const claims = token ? await verifyToken(deps.config.jwtSecret, token) : null;
  if (!claims) return { viewer: null, expiresAt: null, error: 'The token is invalid or expired' };
  const [user] = await deps.db
    .select({
      id: users.id,
      organizationId: users.organizationId,
      role: users.role,
      name: users.name,
      email: users.email,
      active: users.active,
      country: organizations.country,
      currency: organizations.currency,
      hotDays: organizations.hotDays,
      warmDays: organizations.warmDays,
      coolingDays: organizations.coolingDays,
      plan: organizations.plan,
      pausedAt: organizations.pausedAt,
    })
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(eq(users.organizationId, claims.organizationId), eq(users.id, claims.userId)));
  if (!user || !user.active) return { viewer: null, expiresAt: null, error: 'The token belongs to a user who is no longer active' };
  return {
    viewer: {
      userId: user.id,
      organizationId: user.organizationId,
      role: user.role as Role,
      name: user.name,
      email: user.email,
      country: user.country,
      currency: user.currency,
      engagement: { hotDays: user.hotDays, warmDays: user.warmDays, coolingDays: user.coolingDays },
      plan: user.plan,
      paused: user.pausedAt !== null,
    },
    expiresAt: claims.expiresAt,
    error: null,
  };
}

/** Whether the viewer's user still exists and is active (live subscriptions re-check it). */
export async function isActiveUser(db: Db, viewer: Viewer): Promise<boolean> {
  const [row] = await db
    .select({ active: users.active })
    .from(users)
    .where(and(eq(users.organizationId, viewer.organizationId), eq(users.id, viewer.userId)));
  return row?.active === true;
}
