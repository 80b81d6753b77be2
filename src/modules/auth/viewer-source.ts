import { sql } from 'drizzle-orm';
import { organizations } from '../organizations/organizations.table.js';
import { users } from '../users/users.table.js';
import type { Db } from '../../db/database.js';
import { AccessCache } from '../access-control/access-summary.js';
import type { Role, Viewer } from './viewer.js';

export interface ViewerDeps {
  readonly db: Db;
  readonly accessCache?: AccessCache;
}

/** What a viewer is built from: the acting user, its organisation, and the profile in force. */
export interface ViewerSource {
  readonly userId: string;
  readonly organizationId: string;
  readonly role: string;
  readonly name: string;
  readonly email: string;
  readonly profileId: string;
  readonly roleId: string | null;
  readonly country: string;
  readonly currency: string;
  readonly hotDays: number;
  readonly warmDays: number;
  readonly coolingDays: number;
  readonly accessVersion: number;
  readonly trustedDocumentsOnly: boolean;
  readonly plan: string;
  readonly pausedAt: Date | null;
  /** The territories the user manages (`viewerColumns` reads them in the same statement). */
  readonly managedTerritoryIds?: readonly string[] | null;
  readonly automationVersion?: number;
}

/** The columns of `ViewerSource`, for selects joining users and organizations. */
export const viewerColumns = {
  userId: users.id,
  organizationId: users.organizationId,
  role: users.role,
  name: users.name,
  email: users.email,
  active: users.active,
  profileId: users.profileId,
  roleId: users.roleId,
  country: organizations.country,
  currency: organizations.currency,
  hotDays: organizations.hotDays,
  warmDays: organizations.warmDays,
  coolingDays: organizations.coolingDays,
  accessVersion: organizations.accessVersion,
  trustedDocumentsOnly: organizations.requireTrustedDocuments,
  plan: organizations.plan,
  pausedAt: organizations.pausedAt,
  automationVersion: organizations.automationVersion,
  // A subquery of the same statement: no extra round trip per request.
  managedTerritoryIds: sql<string[]>`array(select tu.territory_id from territory_users tu where tu.organization_id = ${users.organizationId} and tu.user_id = ${users.id} and tu.manager)`,
};

export async function viewerOf(deps: ViewerDeps, source: ViewerSource, apiKeyId: string | null): Promise<Viewer> {
  const cache = deps.accessCache ?? new AccessCache();
  return {
    userId: source.userId,
    organizationId: source.organizationId,
    role: source.role as Role,
    roleId: source.roleId,
    apiKeyId,
    access: await cache.summary(deps.db, source.organizationId, source.accessVersion, source.profileId, source.roleId),
    name: source.name,
    email: source.email,
    country: source.country,
    currency: source.currency,
    engagement: { hotDays: source.hotDays, warmDays: source.warmDays, coolingDays: source.coolingDays },
    trustedDocumentsOnly: source.trustedDocumentsOnly,
    plan: source.plan,
    paused: source.pausedAt !== null,
    ...(source.automationVersion !== undefined ? { automationVersion: source.automationVersion } : {}),
    ...(source.managedTerritoryIds && source.managedTerritoryIds.length > 0 ? { managedTerritoryIds: new Set(source.managedTerritoryIds) } : {}),
  };
}

