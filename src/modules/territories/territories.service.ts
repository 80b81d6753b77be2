import { newRowId } from '../../db/row-id.js';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import type { AssignTerritoryUsersInput, CreateTerritoryInput, CriterionInput, TerritoryUserInput, UpdateTerritoryInput } from '../../generated/graphql.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { validateCriterion, type Criterion } from '../records/criteria.js';
import { assertAssignableOwner } from '../users/users.service.js';
import { territories, territoryUsers, type TerritoryRow } from './territories.table.js';
import { accessChanged } from '../access-control/access-version.js';
import { ACCOUNT_FIELDS } from './territory-match.js';
import { placeAllAccounts, territoryTree } from './territory-placement.js';

const criteriaOf = (input: readonly CriterionInput[]): Criterion[] => input.map((criterion, index) => validateCriterion(ACCOUNT_FIELDS, criterion, `criteria.${index}`));

async function lockTerritory(tx: Db, viewer: Viewer, id: string): Promise<TerritoryRow> {
  const [row] = await tx
    .select()
    .from(territories)
    .where(and(eq(territories.organizationId, viewer.organizationId), eq(territories.id, id)))
    .for('update');
  if (!row) throw notFound('Territory');
  return row;
}

/** A parent must exist and must not be the territory itself or one of its descendants. */
async function checkParent(tx: Db, viewer: Viewer, parentId: string | null, selfId: string | null): Promise<void> {
  if (parentId === null) return;
  const tree = await territoryTree(tx, viewer.organizationId);
  const byId = new Map(tree.map((territory) => [territory.id, territory]));
  if (!byId.has(parentId)) throw new DomainError('NOT_FOUND', 'parentId: Territory not found', { field: 'parentId' });
  for (let cursor: string | null = parentId; cursor !== null; cursor = byId.get(cursor)?.parentId ?? null) {
    if (cursor === selfId) throw badInput('parentId', 'A territory cannot sit under itself or one of its descendants');
  }
}

async function setUsers(tx: Db, viewer: Viewer, territoryId: string, input: readonly TerritoryUserInput[]): Promise<void> {
  const ids = input.map((user) => user.userId);
  if (new Set(ids).size !== ids.length) throw badInput('users', 'A user is listed once per territory');
  for (const [index, user] of input.entries()) await assertAssignableOwner(tx, viewer, user.userId, `users.${index}.userId`);
  const removed = await tx
    .delete(territoryUsers)
    .where(and(eq(territoryUsers.organizationId, viewer.organizationId), eq(territoryUsers.territoryId, territoryId)))
    .returning({ userId: territoryUsers.userId, manager: territoryUsers.manager });
  if (input.length > 0) {
    await tx.insert(territoryUsers).values(input.map((user) => ({ organizationId: viewer.organizationId, territoryId, userId: user.userId, manager: user.manager ?? false })));
  }
  // Managers read the territory's records: a change of managers is an access change, so live
  // subscriptions reload who manages what before their next event.
  const managers = (rows: readonly { userId: string; manager?: boolean | null | undefined }[]): string => rows.filter((row) => row.manager).map((row) => row.userId).sort().join(',');
  if (managers(removed) !== managers(input)) await accessChanged(tx, viewer.organizationId, viewer.userId);
}

export async function createTerritory(s: Session, input: CreateTerritoryInput): Promise<TerritoryRow> {
  assertManages(s.viewer, 'territories');
  const name = requiredText('name', input.name, 120);
  const criteria = criteriaOf(input.criteria ?? []);
  return inTransaction(s.db, async (tx) => {
    await checkParent(tx, s.viewer, input.parentId ?? null, null);
    const [row] = await tx
      .insert(territories)
      .values({ organizationId: s.viewer.organizationId, id: newRowId(), name, parentId: input.parentId ?? null, criteria })
      .returning();
    if (!row) throw new Error('insert returned no territory');
    await setUsers(tx, s.viewer, row.id, input.users ?? []);
    await placeAllAccounts(tx, s.viewer.organizationId);
    return row;
  });
}

export async function updateTerritory(s: Session, input: UpdateTerritoryInput): Promise<TerritoryRow> {
  assertManages(s.viewer, 'territories');
  return inTransaction(s.db, async (tx) => {
    const row = await lockTerritory(tx, s.viewer, input.id);
    const changes: Partial<TerritoryRow> = { updatedAt: new Date() };
    if (input.name != null) changes.name = requiredText('name', input.name, 120);
    if (input.criteria != null) changes.criteria = criteriaOf(input.criteria);
    if (input.parentId !== undefined) {
      await checkParent(tx, s.viewer, input.parentId, row.id);
      changes.parentId = input.parentId;
    }
    const [updated] = await tx
      .update(territories)
      .set(changes)
      .where(and(eq(territories.organizationId, s.viewer.organizationId), eq(territories.id, row.id)))
      .returning();
    if (!updated) throw notFound('Territory');
    if (input.criteria != null || input.parentId !== undefined) await placeAllAccounts(tx, s.viewer.organizationId);
    return updated;
  });
}

export async function deleteTerritory(s: Session, id: string): Promise<TerritoryRow> {
  assertManages(s.viewer, 'territories');
  return inTransaction(s.db, async (tx) => {
    const row = await lockTerritory(tx, s.viewer, id);
    const [child] = await tx
      .select({ id: territories.id })
      .from(territories)
      .where(and(eq(territories.organizationId, s.viewer.organizationId), eq(territories.parentId, row.id)))
      .limit(1);
    if (child) throw conflict('Delete or move the territory\'s children first', { reason: 'HAS_CHILDREN' });
    await tx.delete(territories).where(and(eq(territories.organizationId, s.viewer.organizationId), eq(territories.id, row.id)));
    await placeAllAccounts(tx, s.viewer.organizationId);
    return row;
  });
}

export async function assignTerritoryUsers(s: Session, input: AssignTerritoryUsersInput): Promise<TerritoryRow> {
  assertManages(s.viewer, 'territories');
  return inTransaction(s.db, async (tx) => {
    const row = await lockTerritory(tx, s.viewer, input.territoryId);
    await setUsers(tx, s.viewer, row.id, input.users);
    return row;
  });
}

/** Every territory of the organisation (the tree is small), for anyone signed in: lists filter by them. */
export function listTerritories(s: Session): Promise<TerritoryRow[]> {
  return territoryTree(s.db, s.viewer.organizationId);
}

export function territoriesByIds(db: Db, viewer: Viewer, ids: readonly string[]): Promise<TerritoryRow[]> {
  return db
    .select()
    .from(territories)
    .where(and(eq(territories.organizationId, viewer.organizationId), inArray(territories.id, [...ids])));
}
