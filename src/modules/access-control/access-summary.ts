import { eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { users } from '../users/users.table.js';
import { profiles, roles, sharingRules, sharingSettings, type ProfileRow, type SharingRuleRow } from './access-control.table.js';
import {
  CRM_MODULES,
  RECORD_ACTIONS,
  SETTINGS,
  SHARED_MODULES,
  type RecordAction,
  type Setting,
  type SharedModule,
  type SharingLevel,
} from './permissions.js';

/** How one viewer reaches one module's records when sharing does not open them all. */
export interface RecordAccess {
  readonly level: SharingLevel;
  /** Roles whose users' records the viewer reads besides its own (subordinates and sharing rules). */
  readonly readRoles: readonly string[];
  readonly writeRoles: readonly string[];
  /** The users in those roles, for checks on records already in hand (events). */
  readonly readOwners: ReadonlySet<string>;
  readonly writeOwners: ReadonlySet<string>;
}

/**
 * Everything access checks need about one viewer, computed once per organisation access version
 * and shared by every request of viewers with the same profile and role.
 */
export interface AccessSummary {
  /** The organisation's access version it was computed at. */
  readonly version: number;
  readonly profileId: string;
  /** The built-in Administrator: every permission, every record regardless of sharing. */
  readonly administrator: boolean;
  readonly actions: ReadonlyMap<string, ReadonlySet<RecordAction>>;
  readonly settings: ReadonlySet<Setting>;
  readonly hidden: ReadonlyMap<string, ReadonlySet<string>>;
  readonly readOnly: ReadonlyMap<string, ReadonlySet<string>>;
  /** Modules the viewer does not see and change in full; absent: PUBLIC_READ_WRITE for this viewer. */
  readonly restricted: ReadonlyMap<SharedModule, RecordAccess>;
  /** Equal for viewers who read the same data (with the user id added when `restricted` is not empty). */
  readonly dataKey: string;
}

const allActions: ReadonlySet<RecordAction> = new Set(RECORD_ACTIONS);

/** What Pulse itself acts with (webhooks, forms, tracking) inside one organisation. */
export const FULL_ACCESS: AccessSummary = {
  version: 0,
  profileId: '',
  administrator: true,
  actions: new Map(CRM_MODULES.map((module) => [module, allActions])),
  settings: new Set(SETTINGS),
  hidden: new Map(),
  readOnly: new Map(),
  restricted: new Map(),
  dataKey: 'full',
};

interface OrgAccessData {
  readonly version: number;
  readonly profiles: ReadonlyMap<string, ProfileRow>;
  readonly children: ReadonlyMap<string, readonly string[]>;
  readonly usersByRole: ReadonlyMap<string, readonly string[]>;
  readonly sharing: ReadonlyMap<string, SharingLevel>;
  readonly rules: readonly SharingRuleRow[];
  readonly summaries: Map<string, AccessSummary>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

async function loadOrgAccess(db: Db, organizationId: string, version: number): Promise<OrgAccessData> {
  const [profileRows, roleRows, userRows, sharingRows, ruleRows] = await Promise.all([
    db.select().from(profiles).where(eq(profiles.organizationId, organizationId)),
    db.select({ id: roles.id, parentId: roles.parentId }).from(roles).where(eq(roles.organizationId, organizationId)),
    db.select({ id: users.id, roleId: users.roleId }).from(users).where(eq(users.organizationId, organizationId)),
    db.select().from(sharingSettings).where(eq(sharingSettings.organizationId, organizationId)),
    db.select().from(sharingRules).where(eq(sharingRules.organizationId, organizationId)),
  ]);
  const children = new Map<string, string[]>();
  for (const role of roleRows) if (role.parentId) push(children, role.parentId, role.id);
  const usersByRole = new Map<string, string[]>();
  for (const user of userRows) if (user.roleId) push(usersByRole, user.roleId, user.id);
  return {
    version,
    profiles: new Map(profileRows.map((row) => [row.id, row])),
    children,
    usersByRole,
    sharing: new Map(sharingRows.map((row) => [row.module, row.access as SharingLevel])),
    rules: ruleRows,
    summaries: new Map(),
  };
}

/** Roles strictly below `roleId`, transitively (a cycle cannot exist: parents are checked on change). */
function subordinatesOf(data: OrgAccessData, roleId: string): Set<string> {
  const found = new Set<string>();
  const queue = [...(data.children.get(roleId) ?? [])];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (found.has(next)) continue;
    found.add(next);
    queue.push(...(data.children.get(next) ?? []));
  }
  return found;
}

function recordAccess(data: OrgAccessData, module: SharedModule, level: SharingLevel, roleId: string | null): RecordAccess {
  const read = new Set<string>();
  const write = new Set<string>();
  if (roleId) {
    for (const role of subordinatesOf(data, roleId)) {
      read.add(role);
      write.add(role);
    }
    for (const rule of data.rules) {
      if (rule.module !== module) continue;
      const grantees = rule.granteeSubordinates ? subordinatesOf(data, rule.granteeRoleId).add(rule.granteeRoleId) : new Set([rule.granteeRoleId]);
      if (!grantees.has(roleId)) continue;
      const owners = rule.ownerSubordinates ? subordinatesOf(data, rule.ownerRoleId).add(rule.ownerRoleId) : new Set([rule.ownerRoleId]);
      for (const role of owners) {
        read.add(role);
        if (rule.access === 'READ_WRITE') write.add(role);
      }
    }
  }
  const ownersOf = (roleIds: Set<string>): Set<string> => new Set([...roleIds].flatMap((role) => data.usersByRole.get(role) ?? []));
  return { level, readRoles: [...read].sort(), writeRoles: [...write].sort(), readOwners: ownersOf(read), writeOwners: ownersOf(write) };
}

function summarise(data: OrgAccessData, profileId: string, roleId: string | null): AccessSummary {
  const profile = data.profiles.get(profileId);
  const administrator = profile?.builtIn === 'ADMINISTRATOR';
  if (administrator) return { ...FULL_ACCESS, version: data.version, profileId };
  const actions = new Map<string, ReadonlySet<RecordAction>>();
  for (const [module, allowed] of Object.entries(profile?.modulePermissions ?? {})) {
    actions.set(module, new Set(allowed.filter((action): action is RecordAction => (RECORD_ACTIONS as readonly string[]).includes(action))));
  }
  const hidden = new Map<string, Set<string>>();
  const readOnly = new Map<string, Set<string>>();
  for (const rule of profile?.fieldAccess ?? []) {
    const target = rule.access === 'HIDDEN' ? hidden : readOnly;
    const set = target.get(rule.module) ?? new Set<string>();
    set.add(rule.field);
    target.set(rule.module, set);
  }
  const restricted = new Map<SharedModule, RecordAccess>();
  for (const module of SHARED_MODULES) {
    const level = data.sharing.get(module) ?? 'PUBLIC_READ_WRITE';
    if (level !== 'PUBLIC_READ_WRITE') restricted.set(module, recordAccess(data, module, level, roleId));
  }
  const readable = CRM_MODULES.filter((module) => actions.get(module)?.has('read')).join(',');
  const hiddenKey = [...hidden].map(([module, fields]) => `${module}:${[...fields].sort().join('+')}`).sort().join(',');
  const restrictedKey = [...restricted].map(([module, access]) => `${module}:${access.level}:${access.readRoles.join('+')}`).join(',');
  return {
    version: data.version,
    profileId,
    administrator: false,
    actions,
    settings: new Set((profile?.settings ?? []).filter((setting): setting is Setting => (SETTINGS as readonly string[]).includes(setting))),
    hidden,
    readOnly,
    restricted,
    dataKey: `${readable}|${hiddenKey}|${restrictedKey}`,
  };
}

const MAX_ORGANISATIONS = 10_000;

/**
 * Organisations' access data by access version, for every request of this process. A version
 * bump (in the transaction of every access change) makes the next request load it again, so the
 * cache is never stale across processes: the version is read with the user on every request.
 */
export class AccessCache {
  private readonly byOrganization = new Map<string, Promise<OrgAccessData>>();
  private readonly rechecks = new Map<string, Promise<unknown>>();

  /** The organisation's data at `version` or newer: one load per version however many requests wait for it. */
  private async organizationData(db: Db, organizationId: string, version: number): Promise<OrgAccessData> {
    for (;;) {
      const known = this.byOrganization.get(organizationId);
      const data = known ? await known.catch(() => null) : null;
      // An older version read by a slower request is served the newer data rather than reloading.
      if (data && data.version >= version) return data;
      // Another request started a newer load meanwhile: wait for that one instead.
      if (this.byOrganization.get(organizationId) !== known) continue;
      const loading = loadOrgAccess(db, organizationId, version);
      if (this.byOrganization.size >= MAX_ORGANISATIONS) this.byOrganization.clear();
      this.byOrganization.set(organizationId, loading);
      loading.catch(() => {
        if (this.byOrganization.get(organizationId) === loading) this.byOrganization.delete(organizationId);
      });
      return loading;
    }
  }

  /**
   * One re-check per credentials and access version in flight: when access changes, every live
   * subscription re-authenticates before its next event, and the sockets of one user (or key)
   * share that single lookup instead of sending one query each.
   */
  recheck<T>(credentials: string, version: number, check: () => Promise<T>): Promise<T> {
    const key = `${version}|${credentials}`;
    const known = this.rechecks.get(key) as Promise<T> | undefined;
    if (known) return known;
    const pending = check();
    this.rechecks.set(key, pending);
    // Kept only while in flight: a later change has a new version, and expiry needs a fresh look.
    const forget = (): void => void this.rechecks.delete(key);
    pending.then(forget, forget);
    return pending;
  }

  async summary(db: Db, organizationId: string, version: number, profileId: string, roleId: string | null): Promise<AccessSummary> {
    const data = await this.organizationData(db, organizationId, version);
    const key = `${profileId}|${roleId ?? ''}`;
    let summary = data.summaries.get(key);
    if (!summary) {
      summary = summarise(data, profileId, roleId);
      data.summaries.set(key, summary);
    }
    return summary;
  }
}
