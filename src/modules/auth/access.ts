import { and, eq, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { DomainError, forbidden } from '../../shared/errors.js';
import type { Viewer } from './viewer.js';

/**
 * The one access function. Every read path (queries, relation loaders, subscriptions, reports,
 * exports) filters with `readScope`, and every write checks `assertCan`; when profiles, the role
 * hierarchy and private sharing arrive, only this file has to change.
 */

export type CrmModule = 'leads' | 'contacts' | 'accounts' | 'deals' | 'activities' | 'notes' | 'emails' | 'signals';
export type RecordAction = 'read' | 'create' | 'update' | 'delete';
export type Setting = 'users' | 'organization' | 'pipelines' | 'forms' | 'signals';
/** What readScope filters besides CRM records. */
export type ScopedArea = CrmModule | 'users' | 'pipelines' | 'timeline' | 'forms' | 'imports' | 'exports';

interface ScopedTable {
  readonly organizationId: PgColumn;
}

/** The WHERE condition limiting `table` of `module` to what the viewer may read. */
export function readScope(viewer: Viewer, _module: ScopedArea, table: ScopedTable): SQL {
  return eq(table.organizationId, viewer.organizationId);
}

/** `readScope` narrowed to one record. */
export function recordScope(
  viewer: Viewer,
  module: ScopedArea,
  table: ScopedTable & { readonly id: PgColumn },
  id: string,
): SQL {
  return and(readScope(viewer, module, table), eq(table.id, id)) as SQL;
}

export function canAct(viewer: Viewer, _action: RecordAction, _module: CrmModule): boolean {
  // For now every active user reads and writes the organisation's records.
  return viewer.organizationId !== '';
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

export function assertCan(viewer: Viewer, action: RecordAction, module: CrmModule): void {
  if (action !== 'read') assertWritable(viewer);
  if (!canAct(viewer, action, module)) throw forbidden(`You may not ${action} ${module}`);
}

export function canManage(viewer: Viewer, _setting: Setting): boolean {
  return viewer.role === 'ADMIN';
}

export function assertManages(viewer: Viewer, setting: Setting): void {
  if (!canManage(viewer, setting)) throw forbidden(`Only administrators may manage ${setting}`);
}

/**
 * Whether the viewer may read one record it already holds (an event's record, before it is
 * sent to a subscriber). Must agree with `readScope`.
 */
export function canReadRecord(viewer: Viewer, _module: CrmModule, record: { readonly organizationId: string }): boolean {
  return record.organizationId === viewer.organizationId;
}

/**
 * Viewers with equal fingerprints read exactly the same data, so a subscription event resolved
 * for one may be shared with the others. Today that is everyone in the organisation; when access
 * depends on the user, this must say so.
 */
export function accessFingerprint(viewer: Viewer): string {
  return viewer.organizationId;
}
