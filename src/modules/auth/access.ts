import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { DomainError, forbidden, labelled, mention } from '../../shared/errors.js';
import type { AccessSummary, RecordAccess } from '../access-control/access-summary.js';
import { fieldOfFilterKey, fieldOfOrderValue, securableFields } from '../access-control/field-catalog.js';
import { isSharedModule, type CrmModule, type RecordAction, type Setting } from '../access-control/permissions.js';
import { accounts } from '../accounts/accounts.table.js';
import { contacts } from '../contacts/contacts.table.js';
import { deals } from '../deals/deals.table.js';
import { leads } from '../leads/leads.table.js';
import { territoryScope } from './territory-access.js';
import type { Viewer } from './viewer.js';

/**
 * The one access function. Every read path (queries, relation loaders, subscriptions, reports,
 * exports) filters with `readScope`, and every write checks `assertCan`. What they decide comes
 * from the viewer's access summary (profile, role hierarchy, organisation-wide sharing, sharing
 * rules), loaded once per request; see `src/modules/access-control/`.
 */

export type { CrmModule, RecordAction, Setting };

/** What readScope filters besides CRM records. */
type ScopeModule = CrmModule | 'users' | 'pipelines' | 'timeline' | 'forms' | 'imports' | 'exports';
export type ScopedArea = ScopeModule;

interface ScopedTable {
  readonly organizationId: PgColumn;
  /** Tables of owned records. */
  readonly ownerId?: PgColumn;
  /** Tables of records attached to others (signals, emails, notes) follow their parents' sharing. */
  readonly leadId?: PgColumn;
  readonly contactId?: PgColumn;
  readonly accountId?: PgColumn;
  readonly dealId?: PgColumn;
}

interface OwnedRecord {
  readonly organizationId: string;
  readonly ownerId?: string | null | undefined;
  /** Accounts, contacts and deals: the territories the record sits in (their ancestors included). */
  readonly territoryIds?: readonly string[] | null | undefined;
}

/** An attached record in hand (an event's signal): which parent it names, and that parent's owner. */
interface AttachedRecord {
  readonly leadId?: string | null;
  readonly contactId?: string | null;
  readonly accountId?: string | null;
  readonly dealId?: string | null;
  readonly parentOwnerId?: string | null;
}

/** Parent columns of attached records, with the module and table each refers to. */
const PARENTS = [
  { column: 'leadId', module: 'leads', table: leads },
  { column: 'contactId', module: 'contacts', table: contacts },
  { column: 'accountId', module: 'accounts', table: accounts },
  { column: 'dealId', module: 'deals', table: deals },
] as const;

const NOTHING: SQL = sql`false`;

/**
 * Where territory managers plug in: accounts, contacts and deals of the territories a viewer
 * manages are readable beyond what the role hierarchy grants.
 */
function territoryGrants(viewer: Viewer, module: CrmModule, table: ScopedTable): SQL | undefined {
  return territoryGrant(viewer, module, table);
}

/**
 * The same for a record in hand (an event's): it sits in a territory the viewer manages. Records
 * carry their territories' ancestors, so a set intersection is the whole test, as in SQL.
 */
function territoryGrantsRecord(viewer: Viewer, module: CrmModule, record: OwnedRecord): boolean {
  if (module !== 'accounts' && module !== 'contacts' && module !== 'deals') return false;
  const managed = viewer.managedTerritoryIds;
  if (!managed || managed.size === 0 || !record.territoryIds) return false;
  return record.territoryIds.some((id) => managed.has(id));
}

/**
 * Owned by the viewer or by a user in one of `roleIds`. The owners are read by a subquery (role
 * changes apply at once) into an array, so PostgreSQL can use the (organization_id, owner_id)
 * index with `= any(...)`; an OR with an IN-subquery would filter every row instead.
 */
function ownedWithin(viewer: Viewer, ownerId: PgColumn, roleIds: readonly string[]): SQL {
  if (roleIds.length === 0) return eq(ownerId, viewer.userId);
  const list = sql.join(
    roleIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  return sql`${ownerId} = any(array(select u.id from users u where u.organization_id = ${viewer.organizationId} and u.role_id in (${list}) union all select ${viewer.userId}::uuid))`;
}

const restrictionOf = (viewer: Viewer, module: CrmModule): RecordAccess | undefined =>
  isSharedModule(module) ? viewer.access.restricted.get(module) : undefined;

/** The WHERE condition limiting `table` of `module` to what the viewer may read. */
export function readScope(viewer: Viewer, module: ScopeModule, table: ScopedTable): SQL {
  const tenant = eq(table.organizationId, viewer.organizationId);
  if (module === 'users' || module === 'pipelines' || module === 'timeline' || module === 'forms' || module === 'imports' || module === 'exports') return tenant;
  if (!canAct(viewer, 'read', module)) return NOTHING;
  if (!table.ownerId) return parentsScope(viewer, table, tenant);
  const restriction = restrictionOf(viewer, module);
  if (!restriction || restriction.level !== 'PRIVATE') return tenant;
  const territories = territoryGrants(viewer, module, table);
  const owned = ownedWithin(viewer, table.ownerId, restriction.readRoles);
  return and(tenant, territories ? or(owned, territories) : owned) as SQL;
}

/**
 * An attached record (a signal, an email, a note) is readable when each parent it names is: with
 * a PRIVATE parent module, the parent must be owned within the viewer's reach. Nothing is added
 * while every parent module is public to the viewer.
 */
function parentsScope(viewer: Viewer, table: ScopedTable, tenant: SQL): SQL {
  const conditions: SQL[] = [tenant];
  for (const parent of PARENTS) {
    const column = table[parent.column];
    const restriction = viewer.access.restricted.get(parent.module);
    if (!column || !restriction || restriction.level !== 'PRIVATE') continue;
    const owned = ownedWithin(viewer, parent.table.ownerId, restriction.readRoles);
    conditions.push(
      sql`(${column} is null or ${column} in (select ${parent.table.id} from ${parent.table} where ${parent.table.organizationId} = ${viewer.organizationId} and ${owned}))`,
    );
  }
  return conditions.length === 1 ? tenant : (and(...conditions) as SQL);
}

/** What territory managers may read beyond the role hierarchy: accounts, contacts, deals of the territories they manage. */
export function territoryGrant(viewer: Viewer, module: CrmModule, table: ScopedTable & { readonly territoryIds?: PgColumn }): SQL | undefined {
  if ((module !== 'accounts' && module !== 'contacts' && module !== 'deals') || !table.territoryIds) return undefined;
  return territoryScope(viewer, { organizationId: table.organizationId, territoryIds: table.territoryIds });
}

/** `readScope` narrowed to one record. */
export function recordScope(viewer: Viewer, module: ScopeModule, table: ScopedTable & { readonly id: PgColumn }, id: string): SQL {
  return and(readScope(viewer, module, table), eq(table.id, id)) as SQL;
}

/**
 * Whether the viewer may take `action` on `module`: its profile, and with a record in hand, the
 * record's sharing (PUBLIC_READ and PRIVATE records are changed by their owner, the owner's
 * superiors and READ_WRITE sharing rules only).
 */
export function canAct(viewer: Viewer, action: RecordAction, module: CrmModule, record?: OwnedRecord): boolean {
  if (viewer.organizationId === '') return false;
  if (!viewer.access.actions.get(module)?.has(action)) return false;
  if (!record) return true;
  if (record.organizationId !== viewer.organizationId) return false;
  const restriction = restrictionOf(viewer, module);
  if (!restriction || record.ownerId === undefined || record.ownerId === null || record.ownerId === viewer.userId) return true;
  if (action === 'read' && restriction.level === 'PUBLIC_READ') return true;
  if (action !== 'read') return restriction.writeOwners.has(record.ownerId);
  // Territory managers read their territories' records; changing them stays with owners and their superiors.
  return restriction.readOwners.has(record.ownerId) || territoryGrantsRecord(viewer, module, record);
}

/** The error every write of a paused organisation gets: FORBIDDEN with reason ORGANIZATION_PAUSED. */
export const organizationPaused = (): DomainError =>
  new DomainError('FORBIDDEN', 'The organisation is paused: everything can be read and exported, nothing can be changed until an administrator resumes it', {
    reason: 'ORGANIZATION_PAUSED',
  });

/** Refuses any write while the organisation is paused (records, settings, imports, HTTP routes). */
export function assertWritable(viewer: Viewer): void {
  if (viewer.paused) throw organizationPaused();
}

export function assertCan(viewer: Viewer, action: RecordAction, module: CrmModule, record?: OwnedRecord): void {
  if (action !== 'read') assertWritable(viewer);
  if (!canAct(viewer, action, module, record)) {
    const named = mention(module, module, true);
    throw forbidden(record ? labelled`You may not ${action} this record (${named})` : labelled`You may not ${action} ${named}`);
  }
}

export function canManage(viewer: Viewer, setting: Setting): boolean {
  return viewer.access.settings.has(setting);
}

export function assertManages(viewer: Viewer, setting: Setting): void {
  if (!canManage(viewer, setting)) throw forbidden(`Your profile does not allow managing ${setting}`);
}

/**
 * Whether the viewer may read one record it already holds (an event's record, before it is
 * sent to a subscriber). Agrees with `readScope`, from the same access summary.
 */
export function canReadRecord(viewer: Viewer, module: CrmModule, record: OwnedRecord & AttachedRecord): boolean {
  if (record.organizationId !== viewer.organizationId) return false;
  if (!canAct(viewer, 'read', module)) return false;
  if (!isSharedModule(module)) {
    // An attached record in hand is checked against its parent's owner (`parentOwnerId`).
    const parent = PARENTS.find((candidate) => record[candidate.column]);
    if (!parent) return true;
    return canReadRecord(viewer, parent.module, { organizationId: record.organizationId, ownerId: record.parentOwnerId });
  }
  const restriction = restrictionOf(viewer, module);
  if (!restriction || restriction.level !== 'PRIVATE' || record.ownerId === undefined || record.ownerId === null) return true;
  return record.ownerId === viewer.userId || restriction.readOwners.has(record.ownerId) || territoryGrantsRecord(viewer, module, record);
}

/**
 * Viewers with equal fingerprints read exactly the same data, so a subscription event resolved
 * for one may be shared with the others: same organisation and access version, same readable
 * modules and hidden fields, and (when any module is not public to them) the same user.
 */
export function accessFingerprint(viewer: Viewer): string {
  const summary: AccessSummary = viewer.access;
  const who = summary.restricted.size > 0 ? viewer.userId : '';
  return `${viewer.organizationId}|${summary.version}|${summary.dataKey}|${who}`;
}

// Field-level security. A hidden field reads as null everywhere (lists, records, relations and
// events, which are resolved through the same GraphQL fields), cannot be filtered or sorted on
// (FORBIDDEN), and neither a hidden nor a read-only field can be written (FORBIDDEN).

/** Whether `field` of `module` is hidden from the viewer. */
export function isHiddenField(viewer: Viewer, module: string, field: string): boolean {
  return viewer.access.hidden.get(module)?.has(field) ?? false;
}

/**
 * The securable fields of `module` the viewer may see; reports and exports select only these
 * (fields outside the securable catalogue, such as names and keys, are always visible).
 */
export function visibleFields(viewer: Viewer, module: string): readonly string[] {
  return securableFields(module).filter((field) => !isHiddenField(viewer, module, field));
}

/** Refuses a filter or an order naming a field hidden from the viewer. */
export function assertFilterable(viewer: Viewer, module: string, filter: Readonly<Record<string, unknown>> | null | undefined, orderField?: string | null): void {
  const hidden = viewer.access.hidden.get(module);
  if (!hidden || hidden.size === 0) return;
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (value === undefined || value === null) continue;
    const field = fieldOfFilterKey(module, key);
    if (field && hidden.has(field)) throw new DomainError('FORBIDDEN', `You may not filter on ${field}`, { field: key });
  }
  const sorted = orderField ? fieldOfOrderValue(orderField) : null;
  if (sorted && hidden.has(sorted)) throw new DomainError('FORBIDDEN', `You may not sort on ${sorted}`, { field: 'orderBy' });
}

/** Refuses an input that writes a field hidden from or read-only for the viewer. */
export function assertWritableFields(viewer: Viewer, module: string, input: Readonly<Record<string, unknown>>): void {
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (isHiddenField(viewer, module, field) || (viewer.access.readOnly.get(module)?.has(field) ?? false)) {
      throw new DomainError('FORBIDDEN', `You may not change ${field}`, { field });
    }
  }
}
