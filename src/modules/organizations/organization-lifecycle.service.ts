import { eq } from 'drizzle-orm';
import type { PlanName } from '../../config.js';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { tenantJob, type JobDeps } from '../../jobs/job-deps.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { assertManages } from '../auth/access.js';
import { activeUsersManaging } from '../access-control/profiles.service.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { assertVerifiedExport } from '../exports/organization-export.service.js';
import { activeMembers, deactivateForSeats, getUserRow, systemViewer } from '../users/users.service.js';
import { organizations, type OrganizationRow } from './organizations.table.js';
import { planNamed } from './plans.js';
import { seatsOf } from './seats.js';
import { noticeTeam } from './team-notice.js';

export const APPLY_SUBSCRIPTION_JOB = 'organizations.apply-subscription';
const PERIOD_DAYS = 30;
const PLAN_ORDER: Record<string, number> = { FREE: 0, STANDARD: 1, PROFESSIONAL: 2 };

async function lockOrganization(tx: Db, id: string): Promise<OrganizationRow> {
  const [row] = await tx.select().from(organizations).where(eq(organizations.id, id)).for('update');
  if (!row) throw notFound('Organization');
  return row;
}

/** The end of the current billing period (periods of 30 days from sign-up until billing sets it). */
export function periodEndOf(organization: OrganizationRow, now = new Date()): Date {
  if (organization.periodEndsAt && organization.periodEndsAt > now) return organization.periodEndsAt;
  const period = PERIOD_DAYS * 24 * 3600 * 1000;
  const elapsed = Math.floor((now.getTime() - organization.createdAt.getTime()) / period) + 1;
  return new Date(organization.createdAt.getTime() + elapsed * period);
}

export interface UpdateSubscriptionInput {
  plan: PlanName;
  seats?: number | null | undefined;
  usersToDeactivate?: readonly string[] | null | undefined;
  effective?: 'NOW' | 'PERIOD_END' | null | undefined;
}

interface Change {
  readonly plan: string;
  readonly seats: number;
  readonly usersToDeactivate: string[];
}

/** Checks a change against the plan and the active users; returns it normalised. */
async function checkChange(tx: Db, organization: OrganizationRow, input: { plan: string; seats?: number | null | undefined; usersToDeactivate?: readonly string[] | null | undefined }): Promise<Change> {
  const plan = planNamed(input.plan);
  const seats = input.seats ?? plan.seats;
  if (!Number.isInteger(seats) || seats < 1) throw badInput('seats', 'seats must be a whole number of at least 1');
  if (seats > plan.maxSeats) throw new DomainError('PLAN_LIMIT', `The ${input.plan} plan allows at most ${plan.maxSeats} seats`, { limit: 'seats', max: plan.maxSeats, plan: input.plan });
  const usersToDeactivate = [...new Set(input.usersToDeactivate ?? [])];
  // Only this organisation's active users free a seat: naming others would pass the check with too many left.
  const members = new Set((await activeMembers(tx, organization.id)).map((user) => user.id));
  const freesNothing = usersToDeactivate.find((id) => !members.has(id));
  if (freesNothing) throw badInput('usersToDeactivate', `${freesNothing} is not an active user of this organisation, so it frees no seat`);
  const active = members.size;
  const remaining = active - usersToDeactivate.length;
  if (remaining > seats) {
    throw new DomainError('PLAN_LIMIT', `${active} users are active and ${seats} seats remain: name ${active - seats} users to deactivate in usersToDeactivate`, {
      limit: 'seats',
      field: 'usersToDeactivate',
      activeUsers: active,
      seats,
      mustDeactivate: active - seats,
    });
  }
  return { plan: input.plan, seats, usersToDeactivate };
}

async function applyChange(tx: Db, jobs: JobQueue, viewer: Viewer, organization: OrganizationRow, change: Change): Promise<OrganizationRow> {
  await deactivateForSeats(tx, viewer, change.usersToDeactivate);
  const [updated] = await tx.update(organizations).set({ plan: change.plan, seats: change.seats, pendingSubscription: null }).where(eq(organizations.id, organization.id)).returning();
  if (!updated) throw notFound('Organization');
  const downgraded = (PLAN_ORDER[change.plan] ?? 0) < (PLAN_ORDER[organization.plan] ?? 0) || change.seats < seatsOf(organization);
  if (downgraded) {
    await noticeTeam(tx, jobs, {
      organizationId: organization.id,
      kind: 'DOWNGRADED',
      actorId: viewer.userId,
      inApp: true,
      subject: `${organization.name} is now on the ${change.plan} plan`,
      text: `${organization.name} moved to the ${change.plan} plan with ${change.seats} seats.${change.usersToDeactivate.length > 0 ? ` ${change.usersToDeactivate.length} users were deactivated; their records are kept.` : ''}`,
    });
  }
  return updated;
}

/**
 * Changes plan and seats now or at the period's end. Fewer seats than active users needs the
 * users to deactivate named (their records stay, owned by them); the caller cannot be one.
 */
export async function updateSubscription(s: Session, input: UpdateSubscriptionInput): Promise<OrganizationRow> {
  assertManages(s.viewer, 'organization');
  return inTransaction(s.db, async (tx) => {
    const organization = await lockOrganization(tx, s.viewer.organizationId);
    if ((input.usersToDeactivate ?? []).includes(s.viewer.userId)) throw badInput('usersToDeactivate', 'You cannot deactivate yourself');
    const change = await checkChange(tx, organization, input);
    if ((input.effective ?? 'NOW') === 'NOW') return applyChange(tx, s.jobs, s.viewer, organization, change);
    const at = periodEndOf(organization);
    const [updated] = await tx.update(organizations).set({ pendingSubscription: change, periodEndsAt: at }).where(eq(organizations.id, organization.id)).returning();
    await s.jobs.send(APPLY_SUBSCRIPTION_JOB, { organizationId: organization.id, requestedBy: s.viewer.userId }, { tx, startAfter: at });
    return updated ?? organization;
  });
}

/**
 * At the period's end: the pending change, checked again (users may have changed meanwhile). When
 * the check refuses it, it is dropped and its requester and the organisation's managers are told.
 */
async function applyPending(db: Db, jobs: JobQueue, data: { organizationId: string; requestedBy: string }): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [organization] = await tx.select().from(organizations).where(eq(organizations.id, data.organizationId)).for('update');
    const pending = organization?.pendingSubscription;
    if (!organization || !pending) return;
    const requester = await getUserRow(tx, organization.id, data.requestedBy);
    if (!requester) return;
    let change: Change;
    try {
      change = await checkChange(tx, organization, pending);
    } catch (error) {
      // A rule the change now breaks (more active users than its seats) is final: a retry would
      // find the same. Anything else (the database) is thrown and retried.
      if (!(error instanceof DomainError)) throw error;
      return dropPending(tx, jobs, organization, pending, data.requestedBy, error.message);
    }
    await applyChange(tx, jobs, systemViewer(requester, organization), organization, change);
  });
}

/** The pending change is cleared, and its requester and whoever manages the organisation are told why, in the app and by email. */
async function dropPending(tx: Db, jobs: JobQueue, organization: OrganizationRow, pending: Change, requestedBy: string, reason: string): Promise<void> {
  await tx.update(organizations).set({ pendingSubscription: null }).where(eq(organizations.id, organization.id));
  const told = new Set([requestedBy, ...(await activeUsersManaging(tx, organization.id, 'organization'))]);
  await noticeTeam(tx, jobs, {
    organizationId: organization.id,
    kind: 'PLAN_CHANGE_FAILED',
    actorId: null,
    inApp: true,
    userIds: [...told],
    subject: `${organization.name} was not moved to the ${pending.plan} plan`,
    text: `The change to the ${pending.plan} plan with ${pending.seats} seats, due at the end of the period, was not made: ${reason}. ${organization.name} stays on the ${organization.plan} plan with ${seatsOf(organization)} seats; change the subscription again to retry.`,
  });
}

async function setPaused(s: Session, paused: boolean): Promise<OrganizationRow> {
  assertManages(s.viewer, 'organization');
  return inTransaction(s.db, async (tx) => {
    const organization = await lockOrganization(tx, s.viewer.organizationId);
    if ((organization.pausedAt !== null) === paused) return organization;
    const [updated] = await tx.update(organizations).set({ pausedAt: paused ? new Date() : null }).where(eq(organizations.id, organization.id)).returning();
    await noticeTeam(tx, s.jobs, {
      organizationId: organization.id,
      kind: paused ? 'PAUSED' : 'RESUMED',
      actorId: s.viewer.userId,
      inApp: true,
      subject: paused ? `${organization.name} is paused` : `${organization.name} is active again`,
      text: paused
        ? `${s.viewer.name} paused ${organization.name}. You can still sign in, read and export everything; nothing can be changed until it is resumed.`
        : `${s.viewer.name} resumed ${organization.name}. Everything can be changed again.`,
    });
    return updated ?? organization;
  });
}

export const pauseOrganization = (s: Session): Promise<OrganizationRow> => setPaused(s, true);
export const resumeOrganization = (s: Session): Promise<OrganizationRow> => setPaused(s, false);

export interface DeleteOrganizationInput {
  confirmName: string;
  exportId?: string | null | undefined;
  withoutExport?: boolean | null | undefined;
  inDays?: number | null | undefined;
}

export const DELETE_JOB = 'organizations.delete';
const DAY_MS = 24 * 3600 * 1000;
const MAX_DELETION_DAYS = 90;

/** Every row of the organisation goes with it (every tenant table cascades from it). */
async function removeOrganization(tx: Db, id: string): Promise<void> {
  const deleted = await tx.delete(organizations).where(eq(organizations.id, id)).returning({ id: organizations.id });
  if (deleted.length === 0) throw conflict('The organisation was already deleted');
}

/**
 * Removes the organisation and every row it owns, now or (`inDays`) by a job on the scheduled
 * day, after the name is confirmed and a verified export younger than a day is named, or the
 * export is explicitly waived. Tokens die with the users: authentication reads the user on every
 * request. A scheduled deletion tells the members in the app and by email; a deletion now can
 * only email them (their accounts, notifications and events go in the same transaction).
 */
export async function deleteOrganization(s: Session, input: DeleteOrganizationInput): Promise<string> {
  assertManages(s.viewer, 'organization');
  const days = input.inDays ?? 0;
  if (!Number.isInteger(days) || days < 0 || days > MAX_DELETION_DAYS) throw badInput('inDays', `inDays must be a whole number from 0 to ${MAX_DELETION_DAYS}`);
  return inTransaction(s.db, async (tx) => {
    const organization = await lockOrganization(tx, s.viewer.organizationId);
    if (input.confirmName !== organization.name) throw badInput('confirmName', 'confirmName must be the organisation\'s exact name');
    if (input.exportId) await assertVerifiedExport(tx, s.viewer, input.exportId);
    else if (input.withoutExport !== true) throw badInput('exportId', 'Name a verified export younger than a day (exportOrganization, then verifyExport), or set withoutExport: true');
    if (days > 0) {
      const at = new Date(Date.now() + days * DAY_MS);
      await tx.update(organizations).set({ deletionScheduledAt: at }).where(eq(organizations.id, organization.id));
      await s.jobs.send(DELETE_JOB, { organizationId: organization.id, at: at.toISOString() } satisfies DeleteJob, { tx, startAfter: at });
      await noticeTeam(tx, s.jobs, {
        organizationId: organization.id,
        kind: 'DELETION_SCHEDULED',
        actorId: s.viewer.userId,
        inApp: true,
        subject: `${organization.name} will be deleted on ${at.toISOString().slice(0, 10)}`,
        text: `${s.viewer.name} scheduled ${organization.name} for deletion on ${at.toISOString().slice(0, 10)}: its records, settings and sign-ins will be removed then. Export what you need before; an administrator can cancel it until then.`,
      });
      return organization.id;
    }
    await noticeTeam(tx, s.jobs, {
      organizationId: organization.id,
      kind: 'DELETION_SCHEDULED',
      actorId: s.viewer.userId,
      // Removed now, with its members, notifications and events: email is the only way to tell them.
      inApp: false,
      subject: `${organization.name} is being deleted`,
      text: `${s.viewer.name} deleted ${organization.name}. Its records, settings and sign-ins are removed.`,
    });
    await removeOrganization(tx, organization.id);
    return organization.id;
  });
}

export async function cancelOrganizationDeletion(s: Session): Promise<OrganizationRow> {
  assertManages(s.viewer, 'organization');
  return inTransaction(s.db, async (tx) => {
    const organization = await lockOrganization(tx, s.viewer.organizationId);
    if (!organization.deletionScheduledAt) throw conflict('No deletion is scheduled');
    const [updated] = await tx.update(organizations).set({ deletionScheduledAt: null }).where(eq(organizations.id, organization.id)).returning();
    await noticeTeam(tx, s.jobs, {
      organizationId: organization.id,
      kind: 'DELETION_CANCELLED',
      actorId: s.viewer.userId,
      inApp: true,
      subject: `${organization.name} will not be deleted`,
      text: `${s.viewer.name} cancelled the deletion of ${organization.name}.`,
    });
    return updated ?? organization;
  });
}

interface DeleteJob {
  readonly organizationId: string;
  /** The schedule this job carries out: a cancelled or rescheduled deletion leaves it nothing to do. */
  readonly at: string;
}

/** On the scheduled day (the queue starts it then): deletes the organisation if that deletion is still the scheduled one. */
async function deleteWhenDue(db: Db, data: DeleteJob): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [organization] = await tx.select().from(organizations).where(eq(organizations.id, data.organizationId)).for('update');
    if (organization?.deletionScheduledAt?.toISOString() !== data.at) return;
    await removeOrganization(tx, organization.id);
  });
}

export function defineLifecycleJobs(jobs: JobQueue, deps: JobDeps): void {
  jobs.define<{ organizationId: string; requestedBy: string }>(APPLY_SUBSCRIPTION_JOB, tenantJob(deps, (db, data) => applyPending(db, jobs, data)));
  // The organisation deletes itself under its own policy, as deleteOrganization does for a request:
  // the cascade to every tenant table runs as the tables' owner (foreign-key actions always do).
  jobs.define<DeleteJob>(DELETE_JOB, tenantJob(deps, deleteWhenDue));
}

