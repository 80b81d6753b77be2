import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { notFound } from '../../shared/errors.js';
import { countActiveUsers } from '../users/users.service.js';
import { organizations, type OrganizationRow } from './organizations.table.js';
import { assertWithinLimit, planOf } from './plans.js';

/** The seats an organisation pays for: its own number, or its plan's default. */
export const seatsOf = (organization: Pick<OrganizationRow, 'plan' | 'seats'>): number => organization.seats ?? planOf(organization.plan).seats;

/**
 * PLAN_LIMIT (limit "seats") when one more active user would pass the seats. Locks the
 * organisation row so two invitations at once cannot both take the last seat.
 */
export async function assertSeatAvailable(tx: Db, organizationId: string): Promise<void> {
  const [organization] = await tx.select().from(organizations).where(eq(organizations.id, organizationId)).for('update');
  if (!organization) throw notFound('Organization');
  const active = await countActiveUsers(tx, organizationId);
  assertWithinLimit(organization.plan, 'seats', active + 1, seatsOf(organization));
}
