import type { EngagementThresholds } from '../records/engagement.js';

/** Roles a user can hold; profiles and a role hierarchy refine them later without changing callers. */
export type Role = 'ADMIN' | 'MANAGER' | 'SALES_REP';

export const ROLES: readonly Role[] = ['ADMIN', 'MANAGER', 'SALES_REP'];

/** The signed-in user an operation runs for. Every service and loader takes one. */
export interface Viewer {
  readonly userId: string;
  readonly organizationId: string;
  readonly role: Role;
  readonly name: string;
  readonly email: string;
  /** The organisation's country, for reading phone numbers written without a prefix. */
  readonly country: string;
  /** The organisation's default currency. */
  readonly currency: string;
  /** The organisation's engagement thresholds (days). */
  readonly engagement: EngagementThresholds;
  /** The organisation's plan (features and limits: src/modules/organizations/plans.ts). */
  readonly plan: string;
  /** While the organisation is paused every write is refused (`assertCan`, the mutation guard). */
  readonly paused: boolean;
}
