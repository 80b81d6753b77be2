import { newRowId } from '../../db/row-id.js';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { unauthenticated } from '../../shared/errors.js';
import { normaliseEmail, password as validPassword, requiredText } from '../../shared/validation.js';
import { organizations, type OrganizationRow } from '../organizations/organizations.table.js';
import { DEFAULT_STAGES, insertPipeline } from '../pipelines/pipelines.service.js';
import { applyTemplateIn } from '../customization/templates.service.js';
import type { IndustryTemplate } from '../customization/industry-templates.js';
import { hashInvitationToken, insertUser, systemViewer } from '../users/users.service.js';
import { invitations, loginIdentities, users, type UserRow } from '../users/users.table.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { assertSignInAllowed, clearAccountFailures, recordSignInFailure, throttleKeys, type ThrottleDeps } from './sign-in-throttle.service.js';
import { bearerToken, signToken, verifyToken } from './tokens.js';
import { viewerColumns, viewerOf } from './viewer-source.js';
import type { Viewer } from './viewer.js';
import { inTransaction } from '../../db/transaction.js';
import type { AccessCache } from '../access-control/access-summary.js';
import { authenticateApiKey, isApiKey } from '../access-control/api-keys.service.js';
import { recordAudit } from '../access-control/audit.service.js';
import { createDefaultAccess } from '../access-control/profiles.service.js';

export interface AuthResult {
  readonly token: string;
  readonly expiresAt: Date;
  readonly user: UserRow;
  readonly organization: OrganizationRow;
}

export interface AuthDeps {
  readonly db: Db;
  readonly config: Config;
  /** Organisations' access data by version; without one, every call loads it afresh. */
  readonly accessCache?: AccessCache;
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
  /** An industry starter template applied in the same transaction. */
  template?: IndustryTemplate | null | undefined;
}

/** Creates an organisation, its administrator and its default pipeline in one transaction. */
export async function signUp(deps: AuthDeps, input: SignUpInput): Promise<AuthResult> {
  const organizationName = requiredText('organizationName', input.organizationName, 200);
  const name = requiredText('name', input.name, 200);
  const email = normaliseEmail('email', input.email);
  const passwordHash = await hashPassword(validPassword('password', input.password));
  const { user, organization } = await inTransaction(deps.db, async (tx) => {
    const [org] = await tx.insert(organizations).values({ id: newRowId(), name: organizationName }).returning();
    if (!org) throw new Error('insert returned no organisation');
    const access = await createDefaultAccess(tx, org.id);
    const admin = await insertUser(tx, {
      organizationId: org.id,
      name,
      email,
      role: 'ADMIN',
      passwordHash,
      profileId: access.administratorProfileId,
      roleId: access.topRoleId,
    });
    await insertPipeline(tx, org.id, 'Standard', DEFAULT_STAGES, true);
    if (input.template) await applyTemplateIn(tx, systemViewer(admin, org), input.template, deps.config);
    return { user: admin, organization: org };
  });
  return issue(deps, user, organization);
}

const WRONG_CREDENTIALS = 'Email or password is incorrect';

/**
 * Throttled per account and per IP address (`SIGN_IN_MAX_FAILURES_PER_*`): once either has too
 * many failures in the window, every attempt gets RATE_LIMITED, right password or not, known
 * email or not.
 */
export async function logIn(deps: AuthDeps & ThrottleDeps, input: { email: string; password: string }, address: string): Promise<AuthResult> {
  const email = input.email.trim().toLowerCase();
  const keys = throttleKeys(email, address);
  const hadFailures = await assertSignInAllowed(deps, keys);
  const [found] = await deps.db
    .select({ user: users, organization: organizations })
    .from(loginIdentities)
    .innerJoin(users, and(eq(users.organizationId, loginIdentities.organizationId), eq(users.id, loginIdentities.userId)))
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(eq(loginIdentities.email, email));
  // Unknown email, wrong password and deactivated user all get the same answer after the same work.
  const valid = await verifyPassword(found?.user.passwordHash ?? null, input.password);
  if (!found || !valid || !found.user.active) {
    await recordSignInFailure(deps, keys);
    // An unknown email belongs to no organisation, so there is no tenant log to write it to.
    if (found) {
      await recordAudit(deps.db, { organizationId: found.user.organizationId, userId: found.user.id }, {
        action: 'SIGN_IN_FAILED',
        summary: `Failed sign-in for ${found.user.email}`,
        targetType: 'USER',
        targetId: found.user.id,
        detail: { reason: found.user.active ? 'password' : 'inactive' },
      });
    }
    throw unauthenticated(WRONG_CREDENTIALS);
  }
  if (hadFailures) await clearAccountFailures(deps, keys);
  await recordAudit(deps.db, { organizationId: found.user.organizationId, userId: found.user.id }, {
    action: 'SIGNED_IN',
    summary: `${found.user.name} signed in`,
    targetType: 'USER',
    targetId: found.user.id,
  });
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
  | { readonly viewer: Viewer; readonly expiresAt: Date | null; readonly error: null }
  | { readonly viewer: null; readonly expiresAt: null; readonly error: string | null };

/**
 * Turns an Authorization value (a sign-in token or an API key) into the viewer, checking the user
 * (and key) are still valid and loading current access, so a deactivated user, a revoked key or
 * a changed profile takes effect on the next request.
 */
export async function authenticate(deps: AuthDeps, authorization: string | null | undefined): Promise<Authentication> {
  if (!authorization) return { viewer: null, expiresAt: null, error: null };
  const token = bearerToken(authorization);
  if (token && isApiKey(token)) return authenticateApiKey(deps, token);
  const claims = token ? await verifyToken(deps.config.jwtSecret, token) : null;
  if (!claims) return { viewer: null, expiresAt: null, error: 'The token is invalid or expired' };
  const [user] = await deps.db
    .select(viewerColumns)
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(eq(users.organizationId, claims.organizationId), eq(users.id, claims.userId)));
  if (!user || !user.active) return { viewer: null, expiresAt: null, error: 'The token belongs to a user who is no longer active' };
  return { viewer: await viewerOf(deps, user, null), expiresAt: claims.expiresAt, error: null };
}

/** Whether the viewer's user still exists and is active (live subscriptions re-check it). */
export async function isActiveUser(db: Db, viewer: Viewer): Promise<boolean> {
  const [row] = await db
    .select({ active: users.active })
    .from(users)
    .where(and(eq(users.organizationId, viewer.organizationId), eq(users.id, viewer.userId)));
  return row?.active === true;
}
