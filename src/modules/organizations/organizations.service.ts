import type { Db } from '../../db/database.js';
import { eq } from 'drizzle-orm';
import { notFound } from '../../shared/errors.js';
import { countryCode, currencyCode, requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import { organizations, type OrganizationRow } from './organizations.table.js';

export async function currentOrganization(s: Session): Promise<OrganizationRow> {
  const [row] = await s.db.select().from(organizations).where(eq(organizations.id, s.viewer.organizationId));
  if (!row) throw notFound('Organization');
  return row;
}

export interface UpdateOrganizationInput {
  name?: string | null | undefined;
  currency?: string | null | undefined;
  country?: string | null | undefined;
}

export async function updateOrganization(s: Session, input: UpdateOrganizationInput): Promise<OrganizationRow> {
  assertManages(s.viewer, 'organization');
  const changes: Partial<OrganizationRow> = {};
  if (input.name != null) changes.name = requiredText('name', input.name, 200);
  if (input.currency != null) changes.currency = currencyCode('currency', input.currency);
  if (input.country != null) changes.country = countryCode('country', input.country);
  if (Object.keys(changes).length === 0) return currentOrganization(s);
  const [row] = await s.db.update(organizations).set(changes).where(eq(organizations.id, s.viewer.organizationId)).returning();
  if (!row) throw notFound('Organization');
  return row;
}

/** The organisation by id, for paths that know it before anyone signed in (webhooks, forms, tracking). */
export async function organizationById(db: Db, id: string): Promise<OrganizationRow | undefined> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
  return row;
}
