import type { AccessSummary } from '../access-control/access-summary.js';
import type { EngagementThresholds } from '../records/engagement.js';

/** Legacy user titles; what a user may do comes from its profile (`access`). */
export type Role = 'ADMIN' | 'MANAGER' | 'SALES_REP';

export const ROLES: readonly Role[] = ['ADMIN', 'MANAGER', 'SALES_REP'];

/** The signed-in user an operation runs for. Every service and loader takes one. */
export interface Viewer {
  readonly userId: string;
  readonly organizationId: string;
  readonly role: Role;
  /** The user's place in the role hierarchy. */
  readonly roleId: string | null;
  /** Set when the caller signed in with an API key: it acts as its creator, with the key's profile. */
  readonly apiKeyId: string | null;
  /** Profile permissions, field security and record sharing, computed once per access version. */
  readonly access: AccessSummary;
  readonly name: string;
  readonly email: string;
  /** The organisation's country, for reading phone numbers written without a prefix. */
  readonly country: string;
  /** The organisation's default currency. */
  readonly currency: string;
  /** The organisation's engagement thresholds (days). */
  readonly engagement: EngagementThresholds;
  /** The organisation runs registered operations only (trusted documents); absent means no. */
  readonly trustedDocumentsOnly?: boolean;
  /** The organisation's plan (features and limits: src/modules/organizations/plans.ts). */
  readonly plan: string;
  /** While the organisation is paused every write is refused (`assertCan`, the mutation guard). */
  readonly paused: boolean;
  /**
   * The territories the user manages, read with the user (a membership change moves the access
   * version on, so live subscriptions reload it): their accounts, contacts and deals are readable
   * in hand (events) as `readScope` makes them readable in SQL. Absent: none.
   */
  readonly managedTerritoryIds?: ReadonlySet<string>;
  /** The organisation's automation rules version as of sign-in (rule caches compare with it); absent for system work. */
  readonly automationVersion?: number;
}
