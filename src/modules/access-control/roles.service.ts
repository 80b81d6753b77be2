import { newRowId } from '../../db/row-id.js';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { users } from '../users/users.table.js';
import { roles, sharingRules, sharingSettings, type RoleRow, type SharingRuleRow } from './access-control.table.js';
import { accessChanged } from './access-version.js';
import { recordAudit } from './audit.service.js';
import { SHARED_MODULES, SHARING_LEVELS, isSharedModule, type SharedModule, type SharingLevel } from './permissions.js';

const inOrg = (viewer: Viewer) => eq(roles.organizationId, viewer.organizationId);

/** A role of the viewer's organisation, or NOT_FOUND naming `field`. */
export async function getRoleRow(db: Db, viewer: Viewer, id: string, field = 'id'): Promise<RoleRow> {
  const [row] = await db.select().from(roles).where(and(inOrg(viewer), eq(roles.id, id)));
  if (!row) throw new DomainError('NOT_FOUND', field === 'id' ? 'Role not found' : `${field}: Role not found`, { field });
  return row;
}

export function listRoles(s: Session): Promise<RoleRow[]> {
  return s.db.select().from(roles).where(inOrg(s.viewer)).orderBy(asc(roles.createdAt), asc(roles.id));
}

export const getRole = (s: Session, id: string): Promise<RoleRow> => getRoleRow(s.db, s.viewer, id);

/** Refuses a parent that is the role itself or one of its subordinates (a cycle). */
async function assertParent(tx: Db, viewer: Viewer, roleId: string | null, parentId: string): Promise<void> {
  const all = await tx.select({ id: roles.id, parentId: roles.parentId }).from(roles).where(inOrg(viewer)).for('update');
  const parentOf = new Map(all.map((role) => [role.id, role.parentId]));
  if (!parentOf.has(parentId)) throw new DomainError('NOT_FOUND', 'parentId: Role not found', { field: 'parentId' });
  for (let at: string | null | undefined = parentId; at; at = parentOf.get(at)) {
    if (at === roleId) throw badInput('parentId', 'A role cannot report to itself or to one of its subordinates');
  }
}

export async function createRole(s: Session, input: { name: string; parentId?: string | null | undefined }): Promise<RoleRow> {
  assertManages(s.viewer, 'access');
  const name = requiredText('name', input.name, 120);
  return inTransaction(s.db, async (tx) => {
    if (input.parentId) await assertParent(tx, s.viewer, null, input.parentId);
    const [row] = await tx.insert(roles).values({ organizationId: s.viewer.organizationId, id: newRowId(), name, parentId: input.parentId ?? null }).returning();
    if (!row) throw new Error('insert returned no role');
    await recordAudit(tx, s.viewer, { action: 'ROLE_CREATED', summary: `Role "${name}" created`, targetType: 'ROLE', targetId: row.id, detail: { parentId: row.parentId } });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

/** Renames a role or moves it under another parent (`parentId: null` makes it a top role). */
export async function updateRole(s: Session, input: { id: string; name?: string | null | undefined; parentId?: string | null | undefined }): Promise<RoleRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const current = await getRoleRow(tx, s.viewer, input.id);
    const changes: Partial<RoleRow> = {};
    if (input.name !== undefined && input.name !== null) changes.name = requiredText('name', input.name, 120);
    if (input.parentId !== undefined) {
      if (input.parentId) await assertParent(tx, s.viewer, current.id, input.parentId);
      changes.parentId = input.parentId;
    }
    if (Object.keys(changes).length === 0) return current;
    const [row] = await tx.update(roles).set(changes).where(and(inOrg(s.viewer), eq(roles.id, current.id))).returning();
    if (!row) throw notFound('Role');
    await recordAudit(tx, s.viewer, {
      action: 'ROLE_UPDATED',
      summary: `Role "${row.name}" changed`,
      targetType: 'ROLE',
      targetId: row.id,
      detail: { before: { name: current.name, parentId: current.parentId }, after: { name: row.name, parentId: row.parentId } },
    });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

/** Deletes a role nobody holds; its subordinate roles move up to its parent. */
export async function deleteRole(s: Session, id: string): Promise<RoleRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const row = await getRoleRow(tx, s.viewer, id);
    const holders = await tx.$count(users, and(eq(users.organizationId, s.viewer.organizationId), eq(users.roleId, id)));
    if (holders > 0) throw conflict('Users still hold this role; give them another first');
    await tx.update(roles).set({ parentId: row.parentId }).where(and(inOrg(s.viewer), eq(roles.parentId, id)));
    await tx.delete(roles).where(and(inOrg(s.viewer), eq(roles.id, id)));
    await recordAudit(tx, s.viewer, { action: 'ROLE_DELETED', summary: `Role "${row.name}" deleted`, targetType: 'ROLE', targetId: row.id });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

export interface ModuleSharingRow {
  readonly module: SharedModule;
  readonly access: SharingLevel;
}

/** Organisation-wide sharing of every module with owned records (PUBLIC_READ_WRITE unless set). */
export async function listSharing(s: Session): Promise<ModuleSharingRow[]> {
  const rows = await s.db.select().from(sharingSettings).where(eq(sharingSettings.organizationId, s.viewer.organizationId));
  const set = new Map(rows.map((row) => [row.module, row.access as SharingLevel]));
  return SHARED_MODULES.map((module) => ({ module, access: set.get(module) ?? 'PUBLIC_READ_WRITE' }));
}

const sharedModule = (value: string, field: string): SharedModule => {
  const module = value.toLowerCase();
  if (!isSharedModule(module)) throw badInput(field, `Sharing applies to ${SHARED_MODULES.join(', ')}`);
  return module;
};

export async function setSharing(s: Session, input: { module: string; access: string }): Promise<ModuleSharingRow[]> {
  assertManages(s.viewer, 'access');
  const module = sharedModule(input.module, 'module');
  if (!(SHARING_LEVELS as readonly string[]).includes(input.access)) throw badInput('access', `access must be one of ${SHARING_LEVELS.join(', ')}`);
  await inTransaction(s.db, async (tx) => {
    await tx
      .insert(sharingSettings)
      .values({ organizationId: s.viewer.organizationId, module, access: input.access })
      .onConflictDoUpdate({ target: [sharingSettings.organizationId, sharingSettings.module], set: { access: input.access } });
    await recordAudit(tx, s.viewer, { action: 'SHARING_CHANGED', summary: `Sharing of ${module} set to ${input.access}`, detail: { module, access: input.access } });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
  });
  return listSharing(s);
}

export function listSharingRules(s: Session): Promise<SharingRuleRow[]> {
  return s.db.select().from(sharingRules).where(eq(sharingRules.organizationId, s.viewer.organizationId)).orderBy(asc(sharingRules.createdAt), asc(sharingRules.id));
}

export interface SharingRuleInput {
  module: string;
  ownerRoleId: string;
  ownerSubordinates?: boolean | null | undefined;
  granteeRoleId: string;
  granteeSubordinates?: boolean | null | undefined;
  access: string;
}

export async function createSharingRule(s: Session, input: SharingRuleInput): Promise<SharingRuleRow> {
  assertManages(s.viewer, 'access');
  const module = sharedModule(input.module, 'module');
  if (input.access !== 'READ' && input.access !== 'READ_WRITE') throw badInput('access', 'access must be READ or READ_WRITE');
  return inTransaction(s.db, async (tx) => {
    await getRoleRow(tx, s.viewer, input.ownerRoleId, 'ownerRoleId');
    await getRoleRow(tx, s.viewer, input.granteeRoleId, 'granteeRoleId');
    const [row] = await tx
      .insert(sharingRules)
      .values({
        organizationId: s.viewer.organizationId,
        id: newRowId(),
        module,
        ownerRoleId: input.ownerRoleId,
        ownerSubordinates: input.ownerSubordinates ?? false,
        granteeRoleId: input.granteeRoleId,
        granteeSubordinates: input.granteeSubordinates ?? false,
        access: input.access,
      })
      .returning();
    if (!row) throw new Error('insert returned no sharing rule');
    await recordAudit(tx, s.viewer, { action: 'SHARING_RULE_CREATED', summary: `Sharing rule on ${module} created`, targetType: 'SHARING_RULE', targetId: row.id, detail: { ...input } });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

export async function deleteSharingRule(s: Session, id: string): Promise<SharingRuleRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx.delete(sharingRules).where(and(eq(sharingRules.organizationId, s.viewer.organizationId), eq(sharingRules.id, id))).returning();
    if (!row) throw notFound('Sharing rule');
    await recordAudit(tx, s.viewer, { action: 'SHARING_RULE_DELETED', summary: `Sharing rule on ${row.module} deleted`, targetType: 'SHARING_RULE', targetId: row.id });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}
