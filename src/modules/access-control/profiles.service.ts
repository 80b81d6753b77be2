import { newRowId } from '../../db/row-id.js';
import { and, arrayContains, asc, eq, isNull, or } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { badInput, conflict, DomainError, notFound } from '../../shared/errors.js';
import { requiredText } from '../../shared/validation.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { users } from '../users/users.table.js';
import { profiles, roles, type ProfileRow, type StoredFieldAccess } from './access-control.table.js';
import { accessChanged } from './access-version.js';
import { apiKeys } from './api-keys.table.js';
import { recordAudit } from './audit.service.js';
import { securableFields } from './field-catalog.js';
import { ALL_MODULE_PERMISSIONS, CRM_MODULES, RECORD_ACTIONS, SETTINGS, type BuiltInProfile, type Setting } from './permissions.js';

export interface DefaultAccess {
  readonly administratorProfileId: string;
  readonly standardProfileId: string;
  readonly topRoleId: string;
}

/** The built-in Administrator and Standard profiles and a top (CEO) role of a new organisation. */
export async function createDefaultAccess(tx: Db, organizationId: string): Promise<DefaultAccess> {
  const access = { administratorProfileId: newRowId(), standardProfileId: newRowId(), topRoleId: newRowId() };
  await tx.insert(profiles).values([
    {
      organizationId,
      id: access.administratorProfileId,
      name: 'Administrator',
      builtIn: 'ADMINISTRATOR',
      description: 'Every permission and every setting; sees every record.',
      modulePermissions: ALL_MODULE_PERMISSIONS(),
      settings: [...SETTINGS],
    },
    {
      organizationId,
      id: access.standardProfileId,
      name: 'Standard',
      builtIn: 'STANDARD',
      description: "Works with every module's records; manages no settings.",
      modulePermissions: ALL_MODULE_PERMISSIONS(),
      settings: [],
    },
  ]);
  await tx.insert(roles).values({ organizationId, id: access.topRoleId, name: 'CEO', parentId: null });
  return access;
}

/** A profile of the viewer's organisation, or NOT_FOUND naming `field`. */
export async function getProfileRow(db: Db, viewer: Viewer, id: string, field = 'id'): Promise<ProfileRow> {
  const [row] = await db.select().from(profiles).where(and(eq(profiles.organizationId, viewer.organizationId), eq(profiles.id, id)));
  if (!row) throw new DomainError('NOT_FOUND', field === 'id' ? 'Profile not found' : `${field}: Profile not found`, { field });
  return row;
}

/** The built-in profile of an organisation (sign-up, invitations without a profile). */
export async function builtInProfileId(db: Db, organizationId: string, builtIn: BuiltInProfile): Promise<string> {
  const [row] = await db.select({ id: profiles.id }).from(profiles).where(and(eq(profiles.organizationId, organizationId), eq(profiles.builtIn, builtIn)));
  if (!row) throw new Error(`organisation ${organizationId} has no ${builtIn} profile`);
  return row.id;
}

export function listProfiles(s: Session): Promise<ProfileRow[]> {
  return s.db.select().from(profiles).where(eq(profiles.organizationId, s.viewer.organizationId)).orderBy(asc(profiles.createdAt), asc(profiles.name), asc(profiles.id));
}

export const getProfile = (s: Session, id: string): Promise<ProfileRow> => getProfileRow(s.db, s.viewer, id);

export interface ProfileInput {
  name?: string | null | undefined;
  description?: string | null | undefined;
  modules?: readonly { module: string; actions: readonly string[] }[] | null | undefined;
  settings?: readonly string[] | null | undefined;
  fieldAccess?: readonly { module: string; field: string; access: string }[] | null | undefined;
}

const lower = (value: string): string => value.toLowerCase();

function modulePermissions(input: NonNullable<ProfileInput['modules']>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const entry of input) {
    const module = lower(entry.module);
    if (!(CRM_MODULES as readonly string[]).includes(module)) throw badInput('modules', `Unknown module ${entry.module}`);
    const actions = [...new Set(entry.actions.map(lower))];
    for (const action of actions) if (!(RECORD_ACTIONS as readonly string[]).includes(action)) throw badInput('modules', `Unknown action ${action}`);
    result[module] = actions;
  }
  return result;
}

function fieldAccess(input: NonNullable<ProfileInput['fieldAccess']>): StoredFieldAccess[] {
  const seen = new Set<string>();
  return input.map((entry) => {
    const module = lower(entry.module);
    if (!securableFields(module).includes(entry.field)) {
      throw badInput('fieldAccess', `${entry.module}.${entry.field} cannot be secured; securable fields: ${securableFields(module).join(', ') || 'none'}`);
    }
    if (entry.access !== 'HIDDEN' && entry.access !== 'READ_ONLY') throw badInput('fieldAccess', `Unknown field access ${entry.access}`);
    const key = `${module}.${entry.field}`;
    if (seen.has(key)) throw badInput('fieldAccess', `${key} is named twice`);
    seen.add(key);
    return { module, field: entry.field, access: entry.access };
  });
}

function settingsOf(input: readonly string[]): string[] {
  const settings = [...new Set(input.map(lower))];
  for (const setting of settings) if (!(SETTINGS as readonly string[]).includes(setting)) throw badInput('settings', `Unknown setting ${setting}`);
  return settings;
}

export async function createProfile(s: Session, input: ProfileInput & { name: string }): Promise<ProfileRow> {
  assertManages(s.viewer, 'access');
  const values = {
    organizationId: s.viewer.organizationId,
    id: newRowId(),
    name: requiredText('name', input.name, 120),
    description: input.description ?? null,
    modulePermissions: modulePermissions(input.modules ?? []),
    settings: settingsOf(input.settings ?? []),
    fieldAccess: fieldAccess(input.fieldAccess ?? []),
  };
  return inTransaction(s.db, async (tx) => {
    const [row] = await tx.insert(profiles).values(values).returning();
    if (!row) throw new Error('insert returned no profile');
    await recordAudit(tx, s.viewer, { action: 'PROFILE_CREATED', summary: `Profile "${row.name}" created`, targetType: 'PROFILE', targetId: row.id });
    // Cached access data must know the new profile before anyone is given it.
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

/** Changes a profile; fields left out stay. The Administrator profile cannot change (it has everything). */
export async function updateProfile(s: Session, input: ProfileInput & { id: string }): Promise<ProfileRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const current = await getProfileRow(tx, s.viewer, input.id);
    if (current.builtIn === 'ADMINISTRATOR') throw new DomainError('FORBIDDEN', 'The Administrator profile cannot be changed');
    const changes: Partial<typeof profiles.$inferInsert> = { updatedAt: new Date() };
    if (input.name !== undefined && input.name !== null) changes.name = requiredText('name', input.name, 120);
    if (input.description !== undefined) changes.description = input.description;
    if (input.modules) changes.modulePermissions = modulePermissions(input.modules);
    if (input.settings) changes.settings = settingsOf(input.settings);
    if (input.fieldAccess) changes.fieldAccess = fieldAccess(input.fieldAccess);
    const [row] = await tx.update(profiles).set(changes).where(and(eq(profiles.organizationId, s.viewer.organizationId), eq(profiles.id, input.id))).returning();
    if (!row) throw notFound('Profile');
    await recordAudit(tx, s.viewer, {
      action: 'PROFILE_UPDATED',
      summary: `Profile "${row.name}" changed`,
      targetType: 'PROFILE',
      targetId: row.id,
      detail: { before: { modules: current.modulePermissions, settings: current.settings, fieldAccess: current.fieldAccess } },
    });
    await accessChanged(tx, s.viewer.organizationId, s.viewer.userId);
    return row;
  });
}

/** Deletes a custom profile nobody (no user, no API key) uses. */
export async function deleteProfile(s: Session, id: string): Promise<ProfileRow> {
  assertManages(s.viewer, 'access');
  return inTransaction(s.db, async (tx) => {
    const row = await getProfileRow(tx, s.viewer, id);
    if (row.builtIn) throw new DomainError('FORBIDDEN', `The built-in ${row.name} profile cannot be deleted`);
    const org = s.viewer.organizationId;
    const inUse =
      (await tx.$count(users, and(eq(users.organizationId, org), eq(users.profileId, id)))) +
      (await tx.$count(apiKeys, and(eq(apiKeys.organizationId, org), eq(apiKeys.profileId, id), isNull(apiKeys.revokedAt))));
    if (inUse > 0) throw conflict('Users or API keys still have this profile; give them another first');
    // Revoked keys keep their row for the audit trail until their profile goes.
    await tx.delete(apiKeys).where(and(eq(apiKeys.organizationId, org), eq(apiKeys.profileId, id)));
    await tx.delete(profiles).where(and(eq(profiles.organizationId, s.viewer.organizationId), eq(profiles.id, id)));
    await recordAudit(tx, s.viewer, { action: 'PROFILE_DELETED', summary: `Profile "${row.name}" deleted`, targetType: 'PROFILE', targetId: row.id });
    return row;
  });
}

/** Active users whose profile manages `setting` (the Administrator's included), e.g. whom to tell about a failed plan change. */
export async function activeUsersManaging(tx: Db, organizationId: string, setting: Setting): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .innerJoin(profiles, and(eq(profiles.organizationId, users.organizationId), eq(profiles.id, users.profileId)))
    .where(and(eq(users.organizationId, organizationId), eq(users.active, true), or(eq(profiles.builtIn, 'ADMINISTRATOR'), arrayContains(profiles.settings, [setting]))));
  return rows.map((row) => row.id);
}

/** Active users holding the Administrator profile, locked (the last one cannot lose it). */
export async function lockActiveAdministrators(tx: Db, organizationId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .innerJoin(profiles, and(eq(profiles.organizationId, users.organizationId), eq(profiles.id, users.profileId)))
    .where(and(eq(users.organizationId, organizationId), eq(profiles.builtIn, 'ADMINISTRATOR'), eq(users.active, true)))
    .for('update', { of: users });
  return rows.map((row) => row.id);
}
